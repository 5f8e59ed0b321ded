"""`iamd serve --token-key-rotation-days`: session token keys rotate while the
server runs, and credentials sealed under the previous key stay good.

The period is cut to a few seconds so the test sees rotations happen; on
PostgreSQL two nodes share the store and, both seeing the key due, make one
new key a period, not one each.
"""

from __future__ import annotations

import base64
import json
import os
import struct
import time
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from conftest import database_for
from iamd.service.sts.token_keys import SETTINGS_KEY
from iamd.store import open_store
from iamd.testing import IamdServer

PERIOD_DAYS = 0.0001  # 8.64 seconds
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}


def token_key_id(session_token: str) -> int:
    """The key id an iamd session token names: after its four-character marker,
    base64url of a version byte and the key id (service/sts/tokens.py)."""
    text = session_token[4:]
    blob = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    return int(struct.unpack(">BI", blob[:5])[1])


def session(server: IamdServer, role_arn: str, name: str) -> dict[str, Any]:
    credentials: dict[str, Any] = server.client("sts").assume_role(
        RoleArn=role_arn, RoleSessionName=name)["Credentials"]
    return credentials


def caller(server: IamdServer, credentials: dict[str, Any]) -> str:
    client = server.client("sts", credentials["AccessKeyId"], credentials["SecretAccessKey"],
                           credentials["SessionToken"])
    return str(client.get_caller_identity()["Arn"])


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_keys_rotate_on_schedule_and_old_sessions_stay_good(tmp_path: Path, backend: str) -> None:
    database = database_for(backend)
    schedule = ["--token-key-rotation-days", str(PERIOD_DAYS)]
    master = {"IAMD_MASTER_KEY": base64.b64encode(os.urandom(32)).decode()}
    nodes = [IamdServer.start(tmp_path / "one", database=database, extra_args=schedule,
                              extra_env=master)]
    try:
        if database:
            nodes.append(IamdServer.start(tmp_path / "two", database=database,
                                          extra_args=schedule, extra_env=master))
            for node in nodes[1:]:
                node.access_key_id, node.secret_access_key = (nodes[0].access_key_id,
                                                              nodes[0].secret_access_key)
        iam = nodes[0].client("iam")
        role_arn = iam.create_role(RoleName="scheduled", AssumeRolePolicyDocument=json.dumps(TRUST))[
            "Role"]["Arn"]
        first = session(nodes[0], role_arn, "first")
        seen = {token_key_id(first["SessionToken"])}
        deadline = time.monotonic() + 60
        latest = first
        while len(seen) < 3 and time.monotonic() < deadline:
            time.sleep(1.0)
            latest = session(nodes[len(seen) % len(nodes)], role_arn, "later")
            seen.add(token_key_id(latest["SessionToken"]))
        assert len(seen) >= 3, "two rotations within a minute"
        # Sealed two keys ago, still good on every node until it expires.
        for node in nodes:
            assert caller(node, first).endswith(":assumed-role/scheduled/first")
            assert caller(node, latest).endswith(":assumed-role/scheduled/later")
    finally:
        for node in nodes:
            node.stop()
    store = open_store(database or f"sqlite:///{tmp_path / 'one' / 'iamd.sqlite3'}")
    try:
        with store.transaction(read_only=True) as tx:
            keys = json.loads(tx.settings.get(SETTINGS_KEY) or "[]")
    finally:
        store.close()
    made = [datetime.fromisoformat(entry["created"]) for entry in keys]
    period = timedelta(days=PERIOD_DAYS)
    # One key a period, whichever node made it.
    assert all(later - earlier >= period for earlier, later in pairwise(made))
