"""Session token keys on a schedule: one new key per period however many nodes
see it due at once, old keys kept as long as a token they sealed can live."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from conftest import database_for
from iamd.service.sts.token_keys import RETAINED, SETTINGS_KEY, TokenKeys
from iamd.store import open_store
from iamd.store.interface import Store
from iamd.store.secrets import SecretBox

PERIOD = timedelta(days=30)
BOX = SecretBox(bytes(range(32)))


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    opened = open_store(database_for(request.param) or f"sqlite:///{tmp_path / 'iamd.db'}")
    try:
        yield opened
    finally:
        opened.close()


def stored(store: Store) -> list[dict[str, str]]:
    with store.transaction(read_only=True) as tx:
        keys: list[dict[str, str]] = json.loads(tx.settings.get(SETTINGS_KEY) or "[]")
    return keys


def test_nodes_that_find_the_key_due_at_once_make_one_key(store: Store) -> None:
    nodes = [TokenKeys(store, BOX) for _ in range(4)]
    for node in nodes:
        node.ensure()
    (first,) = stored(store)
    due = datetime.fromisoformat(first["created"]) + PERIOD + timedelta(seconds=1)
    start = threading.Barrier(8)
    made: list[int | None] = []

    def check(node: TokenKeys) -> None:
        start.wait()
        made.append(node.rotate_if_due(PERIOD, due))

    threads = [threading.Thread(target=check, args=(nodes[n % 4],)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    new = [key_id for key_id in made if key_id is not None]
    assert len(new) == 1
    assert [int(entry["id"]) for entry in stored(store)] == [int(first["id"]), new[0]]
    # Every node signs with the new key now and still opens the old one.
    assert {node.signing()[0] for node in nodes} == {new[0]}
    assert all(node.opening(int(first["id"])) is not None for node in nodes)
    # Not due again until a period has passed since the new key.
    assert nodes[0].rotate_if_due(PERIOD, due + PERIOD - timedelta(seconds=2)) is None


def test_a_key_is_kept_while_a_token_it_sealed_can_live(store: Store) -> None:
    keys = TokenKeys(store, BOX)
    keys.ensure()
    (first,) = stored(store)
    start = datetime.fromisoformat(first["created"])
    second = keys.rotate_if_due(timedelta(hours=1), start + timedelta(hours=1))
    assert second is not None
    # The first key stopped sealing when the second was made: it opens until
    # the longest token sealed just before that has expired.
    third = keys.rotate_if_due(timedelta(hours=1), start + timedelta(hours=1) + RETAINED
                               - timedelta(seconds=1))
    assert third is not None
    assert [int(e["id"]) for e in stored(store)] == [int(first["id"]), second, third]
    fourth = keys.rotate_if_due(timedelta(hours=1), start + timedelta(hours=2) + RETAINED)
    assert [int(e["id"]) for e in stored(store)] == [second, third, fourth]
    assert keys.opening(int(first["id"])) is None
    assert keys.opening(second) is not None


def test_a_fresh_key_is_left_alone(store: Store) -> None:
    keys = TokenKeys(store, BOX)
    keys.ensure()
    before = stored(store)
    assert keys.rotate_if_due(PERIOD, datetime.now(UTC)) is None
    assert stored(store) == before
