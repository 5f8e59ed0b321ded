"""The admin's credentials file: what `iamd serve` writes on first start and
the dev-mode reset, the CLI and the tests read back.

A leaf: the Runtime, bootstrap and iamd.testing all use it, and it uses none
of them. The file has the columns of the console's "Download .csv" of a new
user, with the password and the sign-in link, and is private (0600).
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path

CREDENTIALS_FILE = "admin-credentials.csv"
CSV_COLUMNS = ["User name", "Password", "Access key ID", "Secret access key", "Console login link"]
ADMIN_USER = "admin"


@dataclass(frozen=True)
class AdminCredentials:
    account_id: str
    user_name: str
    access_key_id: str
    secret_access_key: str
    path: Path | None = None
    password: str = ""  # the console password, first start only
    signin_link: str = ""


def write_credentials_file(data_dir: Path, credentials: AdminCredentials,
                           name: str = CREDENTIALS_FILE) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerow([credentials.user_name, credentials.password, credentials.access_key_id,
                     credentials.secret_access_key, credentials.signin_link])
    path = data_dir / name
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(buffer.getvalue())
    os.chmod(path, 0o600)
    return path


def read_credentials_file(path: Path, account_id: str = "") -> AdminCredentials | None:
    """The credentials a file of this form holds (its first row); None if it
    cannot be read or has no key."""
    try:
        with path.open(newline="") as handle:
            row = next(csv.DictReader(handle))
    except (OSError, StopIteration, csv.Error):
        return None
    key_id, secret = row.get("Access key ID"), row.get("Secret access key")
    if not key_id or not secret:
        return None
    return AdminCredentials(account_id, row.get("User name") or ADMIN_USER, key_id, secret, path)
