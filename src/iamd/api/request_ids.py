"""The request id: minted once per request, known to every log line of it.

`new_request_id()` makes the id a request answers with (`x-amzn-RequestId`,
the `<RequestId>` of its XML) and remembers it in a context variable, which
the request's task, the worker thread it may run in (Starlette copies the
context into the thread pool) and uvicorn's access log line all see; the
JSON log format (cli/json_logs.py) writes it on every line.
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar

current_request_id: ContextVar[str | None] = ContextVar("iamd_request_id", default=None)


def new_request_id() -> str:
    request_id = str(uuid.uuid4())
    current_request_id.set(request_id)
    return request_id
