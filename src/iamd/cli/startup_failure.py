"""Start-up failures of `iamd serve` as one line and exit status 1.

What an operator can fix before the server runs (a database that is not
reachable or not supported, a data directory or master key that cannot be
read, a port in use, a TLS certificate that does not load) is reported as
`iamd: cannot start: <why>`, never as a Python traceback. Anything else is a
bug, and keeps its traceback.
"""

from __future__ import annotations

import ssl

from iamd.store import MasterKeyError, StoreError


class StartupFailure(Exception):
    """A start-up failure iamd itself words (the message is the line shown)."""


# The errors whose message is what the operator needs to read.
STARTUP_FAILURES: tuple[type[BaseException], ...] = (StartupFailure, StoreError, MasterKeyError,
                                                      ssl.SSLError, OSError)


def describe_startup_failure(error: BaseException) -> str:
    """The one line that says why the server could not start."""
    if isinstance(error, ssl.SSLError):
        # OpenSSL's reason ("PEM lib", "KEY_VALUES_MISMATCH"), not its error stack.
        reason = error.reason or error.strerror or str(error)
        return f"the TLS certificate or key does not load ({reason})"
    if isinstance(error, OSError) and not isinstance(error, ssl.SSLError):
        what = error.strerror or str(error)
        return f"{what}: {error.filename}" if error.filename else what
    return " ".join(str(error).split())
