"""`iamd serve --log-format json`: one JSON object a line, with the request id.

Every line (iamd's own loggers, uvicorn's server and access logs, the start-up
lines) is `{"time", "level", "logger", "message"}`, plus `request_id` when it
was logged while serving a request (api/request_ids.py), an access line's
`client`, `method`, `path` and `status` as fields (iamd's own line for the
API's requests, uvicorn's for the rest), and `exception` with the
traceback when there is one, so that a line never spans two. The logging
configuration is handed to uvicorn too, which applies it in every worker
process of `--workers N`.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from iamd.api.request_ids import current_request_id


class JsonLogFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = current_request_id.get()
        if request_id is not None:
            line["request_id"] = request_id
        access = getattr(record, "access", None)
        if isinstance(access, dict):  # the lifecycle's line of an API request
            line.update(access)
        elif record.name == "uvicorn.access" and isinstance(record.args, tuple) \
                and len(record.args) == 5:
            # uvicorn's fixed arguments: client, method, path, HTTP version, status
            # (the path as redacted by console/app.py's filter).
            client, method, path, _version, status = record.args
            line.update(client=client, method=method, path=path, status=status)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def json_logging_config(level: str) -> dict[str, Any]:
    """A logging.config.dictConfig for the root logger and uvicorn's, all in JSON."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonLogFormatter"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json",
                                "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": level.upper()},
        # uvicorn's loggers pass their lines to the root's one handler.
        "loggers": {name: {"handlers": [], "propagate": True}
                    for name in ("uvicorn", "uvicorn.error", "uvicorn.access")},
    }


class LoggedLines:
    """A text stream whose lines become log records: what `iamd serve`
    prints at start-up, as JSON lines like the rest."""

    def __init__(self, logger: logging.Logger, level: int = logging.INFO) -> None:
        self.logger = logger
        self.level = level
        self.pending = ""

    def write(self, text: str) -> int:
        self.pending += text
        *lines, self.pending = self.pending.split("\n")
        for line in lines:
            self.logger.log(self.level, "%s", line)
        return len(text)

    def flush(self) -> None:
        if self.pending:
            self.logger.log(self.level, "%s", self.pending)
            self.pending = ""
