"""Reading a request body with a ceiling, for every endpoint of iamd's HTTP API."""

from __future__ import annotations

from starlette.requests import Request

# How much of a refused body is still read (and dropped) so that the client,
# which sends it all before it reads, gets the answer rather than a reset.
DRAIN_BYTES = 64 * 1024 * 1024


async def read_body(request: Request, limit: int) -> bytes | None:
    """The request's body, or None when it is longer than `limit` (what is
    read beyond the limit is dropped, up to DRAIN_BYTES); never more than
    `limit` bytes are held, whether the length was declared or chunked."""
    body = bytearray()
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen <= limit:
            body += chunk
        elif seen > DRAIN_BYTES:
            break
    return bytes(body) if seen <= limit else None
