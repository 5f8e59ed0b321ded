"""On SQLite, short writes are answered on the event loop, but never wait there
for the write lock: while another process holds it, reads are still answered
at once, and the write is answered once the lock is free (it waits in the
thread pool), as the same write would be on any server."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from iamd.testing import IamdServer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IamdServer]:
    with IamdServer.start(tmp_path_factory.mktemp("loop-writes")) as started:
        yield started


def test_a_write_lock_held_elsewhere_delays_the_write_not_the_reads(server: IamdServer) -> None:
    iam = server.client("iam")
    iam.create_user(UserName="already")
    holder = sqlite3.connect(Path(server.data_dir) / "iamd.sqlite3", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # the write lock, as another iamd process would hold it
    created: dict[str, object] = {}

    def create() -> None:
        started = time.monotonic()
        iam.create_user(UserName="waited")
        created["after"] = time.monotonic() - started

    writer = threading.Thread(target=create)
    try:
        writer.start()
        time.sleep(0.3)
        # The write waits for the lock; the loop still answers reads meanwhile
        # (blocked in the write, it would answer nothing for the busy timeout).
        reads = time.monotonic()
        for _ in range(5):
            assert iam.get_user(UserName="already")["User"]["UserName"] == "already"
        assert time.monotonic() - reads < 2
        assert writer.is_alive()
    finally:
        holder.execute("COMMIT")
        holder.close()
    writer.join(timeout=30)
    assert created["after"] >= 0.3
    assert iam.get_user(UserName="waited")["User"]["UserName"] == "waited"
    # And with the lock free, writes go on as usual.
    iam.put_user_policy(UserName="waited", PolicyName="p", PolicyDocument=(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*",'
        '"Resource":"*"}]}'))
    iam.delete_user_policy(UserName="waited", PolicyName="p")
    iam.delete_user(UserName="waited")
