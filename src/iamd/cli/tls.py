"""HTTPS for `iamd serve --tls-cert FILE --tls-key FILE`, reloaded on SIGHUP.

iamd builds the server's `ssl.SSLContext` itself and hands it to uvicorn
(uvicorn's `ssl_context_factory`), so that it keeps a reference to the live
context: on SIGHUP it calls `load_cert_chain` again on that same context.
Handshakes from then on get the new certificate; connections already open
keep theirs and are not dropped. A certificate that does not load on
SIGHUP is logged and the old one stays in use.

With `--workers N` each worker process builds its own context and reloads
on its own SIGHUP, while uvicorn's supervisor answers a SIGHUP sent to it
by restarting the workers one at a time (each loads the files afresh).
"""

from __future__ import annotations

import logging
import signal
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("iamd.tls")


def server_context(cert_file: str, key_file: str) -> ssl.SSLContext:
    """A TLS server context (TLS 1.2 and later) with the certificate chain loaded;
    ssl.SSLError or OSError when the files do not load."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_file, key_file)
    return context


@dataclass(frozen=True)
class TlsFiles:
    """The certificate and key files; called by uvicorn (in each worker
    process: it pickles) to make the server's context."""

    cert_file: str
    key_file: str

    def __call__(self, _config: Any, _default: Callable[[], ssl.SSLContext]) -> ssl.SSLContext:
        context = server_context(self.cert_file, self.key_file)
        if hasattr(signal, "SIGHUP"):
            signal.signal(signal.SIGHUP, lambda _signum, _frame: self.reload(context))
        return context

    def reload(self, context: ssl.SSLContext) -> None:
        try:
            # Loaded into a context of its own first: a key that does not
            # match would otherwise leave the live one half-changed.
            server_context(self.cert_file, self.key_file)
            context.load_cert_chain(self.cert_file, self.key_file)
        except (ssl.SSLError, OSError) as error:
            log.error("TLS certificate not reloaded, the previous one stays in use: %s", error)
            return
        log.info("TLS certificate reloaded from %s", self.cert_file)
