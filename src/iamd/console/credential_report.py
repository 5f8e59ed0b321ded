"""The credential report: a page saying what it is, and its download.

"Download credentials report" runs GenerateCredentialReport, then reads the
report with GetCredentialReport, asking again a few times while it is not
ready (iamd builds it at once; AWS may take a moment), and answers the CSV
as an attachment named as AWS's console names it.
"""

from __future__ import annotations

import time

from starlette.responses import Response
from starlette.routing import Route

from iamd.console.web import View, page, with_headers
from iamd.model.errors import AwsError
from iamd.service.runtime import Runtime

POLLS = 5
POLL_PAUSE = 0.5  # seconds between GetCredentialReport tries


def report_page(view: View, error: str = "", status: int = 200) -> Response:
    report, problem = view.try_call("GetCredentialReport")
    return view.render("credential_report.html", status=status, error=error,
                       generated=(report or {}).get("GeneratedTime"),
                       state=problem.message if problem is not None else "")


def report_view(view: View) -> Response:
    return report_page(view)


def download(view: View) -> Response:
    _, failure = view.try_call("GenerateCredentialReport")
    if failure is not None:
        return report_page(view, failure.message, failure.status)
    last: AwsError | None = None
    for attempt in range(POLLS):
        report, last = view.try_call("GetCredentialReport")
        if report is not None:
            content = report["Content"]
            name = f"status_reports_{report['GeneratedTime']:%Y-%m-%dT%H_%M_%S}.csv"
            return with_headers(Response(
                content if isinstance(content, bytes) else str(content).encode("utf-8"),
                media_type="text/csv",
                headers={"Content-Disposition": f"attachment; filename={name}"}))
        if attempt + 1 < POLLS:
            time.sleep(POLL_PAUSE)
    return report_page(view, last.message if last else "The report is not ready yet.", 503)


def routes(runtime: Runtime) -> list[Route]:
    return [Route("/console/credential-report", page(runtime, report_view), methods=["GET"]),
            Route("/console/credential-report/download", page(runtime, download),
                  methods=["POST"])]
