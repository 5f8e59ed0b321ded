"""`iamd serve --dev`: unknown keys act as the root user, and /_iamd/reset empties the
account as moto_server's reset does (no users, no groups), the admin key in
admin-credentials.csv still working, as the root user's. Outside dev mode the reset
endpoint does not exist."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from iamd.testing import IamdServer


def post(url: str) -> int:
    request = urllib.request.Request(url, method="POST", data=b"")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_dev_mode_root_and_reset(tmp_path: Path) -> None:
    with IamdServer.start(tmp_path / "dev", dev=True) as server:
        anyone = server.client("iam", "AKIAANYTHINGATALL123", "not-checked")
        identity = server.client("sts", "AKIAANYTHINGATALL123", "not-checked").get_caller_identity()
        assert identity["Arn"] == "arn:aws:iam::123456789012:root"
        anyone.create_user(UserName="temporary")
        # Validation and errors behave exactly as in normal mode.
        with pytest.raises(ClientError) as exc:
            anyone.create_user(UserName="temporary")
        assert exc.value.response["Error"]["Code"] == "EntityAlreadyExists"
        assert post(f"{server.endpoint}/_iamd/reset") == 200
        assert anyone.list_users()["Users"] == []
        assert anyone.list_groups()["Groups"] == []
        # The admin's key survives a reset as the root user's, signatures checked as ever.
        admin = server.client("sts")
        assert admin.get_caller_identity()["Arn"] == "arn:aws:iam::123456789012:root"
        forged = server.client("sts", server.access_key_id, "x" * 40)
        with pytest.raises(ClientError) as exc:
            forged.get_caller_identity()
        assert exc.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
        assert post(f"{server.endpoint}/moto-api/reset") == 200
        assert anyone.list_users()["Users"] == []


def test_reset_does_not_exist_outside_dev_mode(iamd_server: IamdServer) -> None:
    assert post(f"{iamd_server.endpoint}/_iamd/reset") == 404
    assert iamd_server.client("iam").get_user()["User"]["UserName"] == "admin"


def test_reset_keeps_the_admin_key_across_restarts_and_workers(tmp_path: Path) -> None:
    """The admin key in admin-credentials.csv is the one a reset restores, also in a
    restarted server or a second worker, which did not create it themselves."""
    data_dir = tmp_path / "dev"
    with IamdServer.start(data_dir, dev=True) as first:
        key_id = first.access_key_id
    with IamdServer.start(data_dir, dev=True, workers=2) as again:
        assert again.access_key_id == key_id
        for _ in range(4):  # whichever worker answers the reset
            assert post(f"{again.endpoint}/_iamd/reset") == 200
            assert again.client("sts").get_caller_identity()["Arn"].endswith(":root")
            assert again.client("iam").list_users()["Users"] == []
