"""Strict-Transport-Security on every answer served over HTTPS.

Once a browser has seen it, it reaches this host only over HTTPS for a year,
so a console session cookie can never be sent in clear by a mistyped
`http://` link. The header is host-wide by nature (RFC 6797): it is sent on
every HTTPS answer, which API clients ignore, and never over plain HTTP,
where a browser must ignore it. No includeSubDomains: iamd does not speak
for other hosts under its name.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HSTS = (b"strict-transport-security", b"max-age=31536000")


class StrictTransportSecurity:
    """ASGI middleware adding HSTS to HTTPS answers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("scheme") != "https":
            await self.app(scope, receive, send)
            return

        async def send_with_hsts(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), HSTS]
            await send(message)

        await self.app(scope, receive, send_with_hsts)
