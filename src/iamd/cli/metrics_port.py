"""`iamd serve --metrics-port PORT`: the Prometheus text, unsigned, on loopback.

For a scraper that cannot sign its requests (Prometheus scrapes without
SigV4): it reaches 127.0.0.1:PORT only, so it must run on the same host (or
read it through a sidecar); anything further away signs `GET /_iamd/metrics`
with a key allowed `iamd:GetMetrics`. It is prometheus_client's own server,
on a thread of the `iamd serve` process (the supervisor under --workers N,
which adds up every worker's values).

With several workers, each one writes its values to files in a directory
of its own (prometheus_client's multiprocess mode); `metrics_directory`
makes that directory, empty, before the workers start, and removes it when
they have stopped.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator

from iamd.service.metrics import MULTIPROCESS_DIR_ENV, exposition_registry

LOOPBACK = "127.0.0.1"


def serve_metrics_on_loopback(port: int) -> None:
    """Start the metrics server's thread (OSError when the port cannot be had)."""
    from prometheus_client import start_http_server

    try:
        start_http_server(port, addr=LOOPBACK, registry=exposition_registry())
    except OSError as error:
        raise OSError(error.errno, f"cannot listen on {LOOPBACK}:{port} for metrics: "
                                   f"{error.strerror}") from None


@contextlib.contextmanager
def metrics_directory() -> Iterator[str]:
    """A fresh directory for the workers' metric files, named in the environment
    the workers inherit."""
    directory = tempfile.mkdtemp(prefix="iamd-metrics-")
    os.environ[MULTIPROCESS_DIR_ENV] = directory
    try:
        yield directory
    finally:
        os.environ.pop(MULTIPROCESS_DIR_ENV, None)
        shutil.rmtree(directory, ignore_errors=True)
