"""`iamd serve --outbound-key-rotation-days`: an account's outbound web identity
signing keys are replaced while the server runs, and a verifier that fetches
the issuer's key set still accepts tokens the replaced keys signed.

The period is cut to seconds so the test sees a rotation. The replaced keys
stay in the key set as public halves only; their private halves are gone
from the store.
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import pytest
from test_outbound_federation import AUDIENCE, fetch, verified

from conftest import database_for
from iamd.store import open_store
from iamd.testing import IamdServer

PERIOD_DAYS = 0.0001  # 8.64 seconds


def header_kid(token: str) -> str:
    head = token.split(".")[0]
    return str(json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))["kid"])


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_replaced_keys_still_verify_their_tokens(tmp_path: Path, backend: str) -> None:
    database = database_for(backend)
    with IamdServer.start(tmp_path / "iamd", database=database,
                          extra_args=["--outbound-key-rotation-days", str(PERIOD_DAYS)]) as server:
        issuer = str(server.client("iam").enable_outbound_web_identity_federation()[
            "IssuerIdentifier"])
        sts = server.client("sts")

        def token(algorithm: str) -> Any:
            return sts.get_web_identity_token(Audience=[AUDIENCE], SigningAlgorithm=algorithm,
                                              DurationSeconds=3600)["WebIdentityToken"]

        before = {algorithm: token(algorithm) for algorithm in ("RS256", "ES384")}
        first_set = fetch(issuer + "/.well-known/jwks.json")
        assert len(first_set["keys"]) == 2
        time.sleep(PERIOD_DAYS * 86400 + 1)
        after = {algorithm: token(algorithm) for algorithm in ("RS256", "ES384")}
        for algorithm in before:
            assert header_kid(after[algorithm]) != header_kid(before[algorithm])
        key_set = fetch(issuer + "/.well-known/jwks.json")
        # The new keys first (what signs now), then the replaced ones.
        assert [key["kid"] for key in key_set["keys"]] == (
            [header_kid(after["RS256"]), header_kid(after["ES384"])]
            + [key["kid"] for key in first_set["keys"]])
        assert all("d" not in key for key in key_set["keys"])
        for algorithm in before:
            verified(before[algorithm], issuer)  # a verifier fetching the key set now
            verified(after[algorithm], issuer)
        # Public halves only are kept of the replaced keys.
        account = sts.get_caller_identity()["Account"]
        store = open_store(database or f"sqlite:///{tmp_path / 'iamd' / 'iamd.sqlite3'}")
        try:
            with store.transaction(read_only=True) as tx:
                row = tx.settings.get(f"outbound_signing_keys:{account}")
        finally:
            store.close()
        retired = json.loads(row or "{}")["retired"]
        assert [set(entry) for entry in retired] == [{"public", "retired"}] * 2
        assert all("d" not in entry["public"] for entry in retired)

