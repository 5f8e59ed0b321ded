"""`GET /_iamd/metrics`: the Prometheus text format, for a caller allowed
`iamd:GetMetrics`.

The scraper signs the GET with SigV4 like any call (any region; the service
in its credential scope is `iamd` by convention) and is authenticated and
authorized as every caller is: the same engine decides `iamd:GetMetrics` on
resource `*` against its policies. Such a scrape is not an audit event (a
scraper calls every few seconds and changes nothing). Without a signing
scraper, `iamd serve --metrics-port` serves the same text unsigned on
loopback (cli/serve_command.py).
"""

from __future__ import annotations

from starlette.responses import Response

from iamd.api.authorize_http import IamdJsonErrors
from iamd.api.lifecycle import Exchange
from iamd.auth.authenticate import authenticate
from iamd.auth.sigv4 import parse_signed_request
from iamd.service.authorization import require
from iamd.service.context import OperationContext
from iamd.service.metrics import exposition
from iamd.service.registry import Permission
from iamd.service.runtime import Runtime

PATH = "/_iamd/metrics"
ACTION = "iamd:GetMetrics"


class MetricsEndpoint(IamdJsonErrors):  # errors spelled as /_iamd/authorize's
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def inline(self, exchange: Exchange) -> bool:
        return False  # adding up several workers' files is no work for the event loop

    def handle(self, exchange: Exchange) -> Response:
        runtime = self.runtime
        exchange.action = ACTION
        signed = parse_signed_request(exchange.method, exchange.path, exchange.query,
                                      exchange.headers)
        with runtime.store.transaction(read_only=True) as tx:
            caller = authenticate(runtime, signed, exchange.method, exchange.path,
                                  exchange.query, exchange.headers, exchange.body,
                                  exchange.now, tx)
            ctx = OperationContext(caller=caller, info=exchange.info(signed.region), tx=tx,
                                   runtime=runtime, operation="GetMetrics", service="iamd")
            require(ctx, Permission(ACTION, "*"))
        body, content_type = exposition()
        return Response(body, headers={"content-type": content_type})
