"""Download .csv of just-created credentials, in AWS's formats.

The success pages already hold the secrets; their "Download .csv" button
posts them back in hidden fields (never in a URL), and this answers with the
file as an attachment that no cache keeps. Two formats, as AWS's console
writes them: a new user's `User name,Password,Access key ID,Secret access
key,Console login link`, and a new access key's `Access key ID,Secret access
key`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from starlette.responses import Response
from starlette.routing import Route

from iamd.console.web import View, page, with_headers
from iamd.service.admin_credentials import CSV_COLUMNS
from iamd.service.runtime import Runtime

# The columns of the admin's own credentials file: one form for every new user.
USER_HEADER = tuple(CSV_COLUMNS)
KEY_HEADER = ("Access key ID", "Secret access key")


def csv_text(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def download(view: View) -> Response:
    header: tuple[str, ...]
    rows: list[tuple[str, ...]]
    if view.field("format") == "access-key":
        header, filename = KEY_HEADER, "accessKeys.csv"
        rows = [(view.field("AccessKeyId"), view.field("SecretAccessKey"))]
    else:
        header, filename = USER_HEADER, "credentials.csv"
        columns = [view.form_lists.get(name, []) for name in
                   ("UserName", "Password", "AccessKeyId", "SecretAccessKey", "SigninLink")]
        rows = list(zip(*columns, strict=False))
    response = Response(csv_text(header, rows), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f"attachment; filename={filename}", "Cache-Control": "no-store"})
    return with_headers(response)


def routes(runtime: Runtime) -> list[Route]:
    return [Route("/console/credentials.csv", page(runtime, download), methods=["POST"])]
