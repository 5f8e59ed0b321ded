"""`--forwarded-allow-ips`: the proxies whose X-Forwarded-For and
X-Forwarded-Proto iamd believes.

Nobody is trusted unless listed: a client that could set its own
X-Forwarded-For would choose its aws:SourceIp and pass any policy that
limits addresses. (uvicorn on its own trusts 127.0.0.1 when nothing is
listed; iamd does not. A list in uvicorn's FORWARDED_ALLOW_IPS variable is
still taken, as the option's fallback after IAMD_FORWARDED_ALLOW_IPS.)
From a listed proxy, uvicorn's ProxyHeadersMiddleware takes the client as the
right-most X-Forwarded-For address that is not itself a listed proxy, and
the scheme from X-Forwarded-Proto (so aws:SecureTransport follows the
client's connection to the proxy).
"""

from __future__ import annotations

import ipaddress

from iamd.cli.startup_failure import StartupFailure


def trusted_proxies(text: str | None) -> list[str]:
    """The listed addresses and networks (comma-separated; `*` for any), checked."""
    entries = [entry.strip() for entry in (text or "").split(",") if entry.strip()]
    for entry in entries:
        if entry == "*":
            continue
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise StartupFailure(
                f"--forwarded-allow-ips: {entry!r} is not an IP address or network") from None
    return entries
