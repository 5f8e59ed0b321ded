"""The credential report: GenerateCredentialReport and GetCredentialReport.

The report is AWS's CSV, column for column: one row for the account's root
user (`<root_account>`, first) and one per IAM user, with its password, MFA,
two access keys and two signing certificates. Values are written as AWS
writes them: ISO 8601 times with "+00:00", "true"/"false", "N/A" where the
credential does not exist, "no_information" for a password never used, and
"not_supported" for what the root user cannot have.

AWS builds a report in the background and keeps it for four hours: a
Generate call while a report younger than that exists changes nothing and
answers COMPLETE; the first call answers STARTED. iamd builds the report
within the Generate call itself (so ReportInProgress and the limit on
concurrent generations never arise) and keeps it, per account, in the
settings table. A report older than four hours is ReportExpired until the
next Generate call.
"""

from __future__ import annotations

import base64
import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from iamd.model.entities import AccessKey, SigningCertificate, User
from iamd.model.errors import CredentialReportExpired, CredentialReportNotPresent
from iamd.service import arns
from iamd.service.context import OperationContext
from iamd.service.registry import Params, operation
from iamd.store.interface import Transaction

REPORT_LIFETIME = timedelta(hours=4)
COLUMNS = (
    "user", "arn", "user_creation_time", "password_enabled", "password_last_used",
    "password_last_changed", "password_next_rotation", "mfa_active",
    "access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
    "access_key_1_last_used_region", "access_key_1_last_used_service",
    "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
    "access_key_2_last_used_region", "access_key_2_last_used_service",
    "cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
)
NA = "N/A"
NO_INFORMATION = "no_information"
NOT_SUPPORTED = "not_supported"
STARTED_DESCRIPTION = "No report exists. Starting a new report generation task"


def _time(value: datetime | None) -> str:
    return NA if value is None else value.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _key_columns(key: AccessKey | None) -> list[str]:
    if key is None:
        return ["false", NA, NA, NA, NA]
    return [_flag(key.status == "Active"), _time(key.created), _time(key.last_used),
            key.last_used_region or NA if key.last_used else NA,
            key.last_used_service or NA if key.last_used else NA]


def _cert_columns(cert: SigningCertificate | None) -> list[str]:
    if cert is None:
        return ["false", NA]
    return [_flag(cert.status == "Active"), _time(cert.uploaded)]


def _users(tx: Transaction, account_id: str) -> Iterator[User]:
    after = None
    while True:
        page = tx.users.list(account_id, after=after, limit=1000)
        yield from page.items
        if page.marker is None:
            return
        after = page.marker


def _user_row(tx: Transaction, user: User, max_age_days: int | None) -> list[str]:
    profile = tx.login_profiles.get(user.id)
    if profile is None:
        password = ["false", NA, NA, NA]
    else:
        rotation = (_time(profile.password_changed + timedelta(days=max_age_days))
                    if max_age_days else NA)
        password = ["true",
                    _time(user.password_last_used) if user.password_last_used else NO_INFORMATION,
                    _time(profile.password_changed), rotation]
    keys = sorted(tx.access_keys.list_for_user(user.id), key=lambda k: (k.created, k.id))
    certs = sorted(tx.signing_certificates.list_for_user(user.id), key=lambda c: (c.uploaded, c.id))
    row = [user.name, user.arn, _time(user.created), *password,
           _flag(tx.mfa_devices.count_for_user(user.id) > 0)]
    for index in range(2):
        row += _key_columns(keys[index] if index < len(keys) else None)
    for index in range(2):
        row += _cert_columns(certs[index] if index < len(certs) else None)
    return row


def build_report(tx: Transaction, account_id: str) -> bytes:
    account = tx.accounts.get(account_id)
    policy = tx.password_policies.get(account_id)
    max_age = policy.max_password_age if policy is not None else None
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    # The root user: its password is not_supported as AWS reports it, its
    # MFA and access keys are real; it has no signing certificates.
    root_keys = tx.access_keys.list_for_root(account_id)
    root_row = ["<root_account>", arns.root_arn(account_id),
                _time(account.created if account is not None else None),
                NOT_SUPPORTED, NA, NOT_SUPPORTED, NOT_SUPPORTED,
                _flag(bool(tx.mfa_devices.list_for_root(account_id)))]
    for index in range(2):
        root_row += _key_columns(root_keys[index] if index < len(root_keys) else None)
    writer.writerow([*root_row, "false", NA, "false", NA])
    for user in _users(tx, account_id):
        writer.writerow(_user_row(tx, user, max_age))
    return out.getvalue().rstrip("\n").encode("utf-8")


def _key(account_id: str) -> str:
    return f"credential-report/{account_id}"


def _stored(ctx: OperationContext) -> tuple[datetime, bytes] | None:
    raw = ctx.tx.settings.get(_key(ctx.account_id))
    if raw is None:
        return None
    data = json.loads(raw)
    return datetime.fromisoformat(data["generated"]), base64.b64decode(data["content"])


@operation("iam", "GenerateCredentialReport")
def generate_credential_report(ctx: OperationContext, params: Params) -> dict[str, Any]:
    stored = _stored(ctx)
    if stored is not None and ctx.info.now - stored[0] < REPORT_LIFETIME:
        return {"State": "COMPLETE"}
    content = build_report(ctx.tx, ctx.account_id)
    ctx.tx.settings.set(_key(ctx.account_id), json.dumps({
        "generated": ctx.info.now.isoformat(), "content": base64.b64encode(content).decode()}))
    return {"State": "STARTED", "Description": STARTED_DESCRIPTION}


@operation("iam", "GetCredentialReport", read_only=True)
def get_credential_report(ctx: OperationContext, params: Params) -> dict[str, Any]:
    stored = _stored(ctx)
    if stored is None:
        raise CredentialReportNotPresent(
            "The request was rejected because the credential report does not exist. "
            "To generate a credential report, use GenerateCredentialReport.")
    generated, content = stored
    if ctx.info.now - generated >= REPORT_LIFETIME:
        raise CredentialReportExpired(
            "The request was rejected because the most recent credential report has expired. "
            "To generate a new credential report, use GenerateCredentialReport.")
    return {"Content": content, "ReportFormat": "text/csv", "GeneratedTime": generated}
