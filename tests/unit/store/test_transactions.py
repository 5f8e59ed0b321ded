"""Transaction behaviour the service layer relies on, identical on every backend."""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter
from contextlib import suppress
from pathlib import Path

import pytest

from iamd.model.entities import Account, ResourceKind, Tag
from iamd.store import (
    Conflict,
    Contention,
    ReadOnlyTransaction,
    SqlStore,
    StoreError,
    TransactionAborted,
    database,
    open_store,
)

from .factories import NOW, make_group, make_user


class Boom(Exception):
    pass


def test_an_exception_rolls_back_every_write_of_the_block(store: SqlStore, account: str) -> None:
    user, group = make_user("alice"), make_group("ops")
    with pytest.raises(Boom), store.transaction() as tx:
        tx.users.insert(user)
        tx.groups.insert(group)
        tx.memberships.add(group.id, user.id)
        raise Boom
    with store.transaction(read_only=True) as tx:
        assert tx.users.get(user.id) is None
        assert tx.groups.get(group.id) is None
        assert tx.users.count(account) == 0


def test_a_conflict_rolls_back_the_whole_block(store: SqlStore, account: str) -> None:
    with store.transaction() as tx:
        tx.users.insert(make_user("alice"))
    bob = make_user("bob")
    with pytest.raises(Conflict), store.transaction() as tx:
        tx.users.insert(bob)
        tx.users.insert(make_user("ALICE"))
    with store.transaction(read_only=True) as tx:
        assert tx.users.get(bob.id) is None


def test_a_failed_transaction_refuses_more_statements(store: SqlStore, account: str) -> None:
    with store.transaction() as tx:
        tx.users.insert(make_user("alice"))
    bob = make_user("bob")
    with pytest.raises(TransactionAborted), store.transaction() as tx:
        tx.users.insert(bob)
        with pytest.raises(Conflict):
            tx.users.insert(make_user("alice"))
        tx.users.get(bob.id)


def test_leaving_a_failed_transaction_normally_raises_and_rolls_back(
        store: SqlStore, account: str) -> None:
    with store.transaction() as tx:
        tx.users.insert(make_user("alice"))
    bob = make_user("bob")
    with pytest.raises(TransactionAborted), store.transaction() as tx:
        tx.users.insert(bob)
        with suppress(Conflict):  # swallowed: the store must not commit bob regardless
            tx.users.insert(make_user("alice"))
    with store.transaction(read_only=True) as tx:
        assert tx.users.get(bob.id) is None


def test_read_only_transactions_refuse_writes(store: SqlStore, account: str) -> None:
    with pytest.raises(ReadOnlyTransaction), store.transaction(read_only=True) as tx:
        assert tx.read_only
        tx.users.insert(make_user("alice"))
    # The pooled connection that served it writes normally afterwards.
    for _ in range(3):
        with store.transaction() as tx:
            assert not tx.read_only
            tx.users.insert(make_user(f"user{tx.users.count(account)}"))
    with store.transaction(read_only=True) as tx:
        assert tx.users.count(account) == 3


def test_for_update_reads_the_row(store: SqlStore, account: str) -> None:
    user = make_user("alice")
    with store.transaction() as tx:
        tx.users.insert(user)
    with store.transaction() as tx:
        assert tx.users.get(user.id, for_update=True) == user
        assert tx.users.get_by_name(account, "ALICE", for_update=True) == user


def test_concurrent_inserts_of_one_name_let_exactly_one_win(
        store: SqlStore, database_url: str, account: str) -> None:
    # A store of its own with a pool as large as the crowd, so all 20 are in
    # flight at once rather than queued on the pool.
    crowd = open_store(database_url, pool_size=20)
    start = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(n: int) -> None:
        start.wait()
        try:
            with crowd.transaction() as tx:
                tx.users.insert(make_user("Alice" if n % 2 else "alice"))
            outcome = "ok"
        except Conflict:
            outcome = "conflict"
        except StoreError as exc:
            outcome = f"{type(exc).__name__}: {exc}"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(20)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        crowd.close()
    assert Counter(outcomes) == Counter({"ok": 1, "conflict": 19})
    with store.transaction(read_only=True) as tx:
        assert tx.users.count(account) == 1


def test_writers_locking_in_opposite_orders_do_not_hang(store: SqlStore, account: str) -> None:
    # PostgreSQL detects the deadlock and fails one side with Contention (the
    # caller may retry it); SQLite never gets there, as BEGIN IMMEDIATE makes
    # the second writer wait for the first to finish.
    first, second = make_user("first"), make_user("second")
    with store.transaction() as tx:
        tx.users.insert(first)
        tx.users.insert(second)
    both_hold_one = threading.Barrier(2, timeout=3)
    outcomes: list[str] = []

    def writer(one: str, other: str) -> None:
        try:
            with store.transaction() as tx:
                tx.users.record_password_used(one, NOW)
                with suppress(threading.BrokenBarrierError):
                    both_hold_one.wait()
                tx.users.record_password_used(other, NOW)
            outcomes.append("ok")
        except Contention:
            outcomes.append("contention")

    threads = [threading.Thread(target=writer, args=(first.id, second.id)),
               threading.Thread(target=writer, args=(second.id, first.id))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    expected = ["contention", "ok"] if store.backend == "postgresql" else ["ok", "ok"]
    assert sorted(outcomes) == expected


def test_a_read_only_transaction_that_reads_nothing_is_a_no_op(store: SqlStore,
                                                               account: str) -> None:
    with store.transaction(read_only=True) as tx:
        assert tx.read_only
    with pytest.raises(Boom), store.transaction(read_only=True):
        raise Boom
    with store.transaction() as tx:
        tx.users.insert(make_user("alice"))


def test_a_read_only_transaction_answers_a_repeated_read_alike(store: SqlStore,
                                                               account: str) -> None:
    # Within one read-only transaction a repeated read gives what the first
    # gave, even if a writer commits in between (a snapshot on SQLite; on
    # PostgreSQL the transaction remembers its first answer).
    user = make_user("alice")
    with store.transaction() as tx:
        tx.users.insert(user)
    with store.transaction(read_only=True) as reader:
        assert reader.users.get_by_name(account, "alice") == user
        with store.transaction() as writer:
            assert writer.users.delete(user.id)
        assert reader.users.get_by_name(account, "ALICE") == user
    with store.transaction(read_only=True) as tx:
        assert tx.users.get_by_name(account, "alice") is None


def test_a_writing_transaction_reads_its_own_writes(store: SqlStore, account: str) -> None:
    user = make_user("alice")
    with store.transaction() as tx:
        assert tx.users.get(user.id) is None
        tx.users.insert(user)
        assert tx.users.get(user.id) == user
        assert tx.tags.list(ResourceKind.USER, user.id) == ()
        tx.tags.put(ResourceKind.USER, user.id, [Tag("team", "a")])
        assert tx.tags.list(ResourceKind.USER, user.id) == (Tag("team", "a"),)


def test_a_sqlite_writer_that_cannot_get_the_lock_gets_contention(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # BEGIN IMMEDIATE waits up to the busy timeout for the write lock, then
    # fails; the caller sees Contention (and dispatch retries), never a raw
    # driver error. A read-only transaction is not held up by the writer.
    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", 50)
    path = tmp_path / "iamd.db"
    store = open_store(f"sqlite:///{path}")
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(Contention), store.transaction() as tx:
            tx.settings.set("k", "v")
        with store.transaction(read_only=True) as tx:
            assert tx.settings.get("k") is None
        holder.execute("ROLLBACK")
        with store.transaction() as tx:
            tx.settings.set("k", "v")
    finally:
        holder.close()
        store.close()


def test_reads_built_per_call_never_run_another_reads_sql(store: SqlStore, account: str) -> None:
    # The compiled form and a read-only transaction's memory of a read are keyed
    # by the statement; one built per call and then garbage-collected must not
    # leave its SQL (or its rows) to the next statement that gets its address.
    from sqlalchemy import literal_column, select

    for read_only in (True, False):
        with store.transaction(read_only=read_only) as tx:
            core = tx._core
            for value in range(200):
                statement = select(literal_column(str(value)).label("value"))
                assert core.first(statement, {}).value == value
                del statement


@pytest.mark.postgres
def test_a_pooled_connection_the_server_dropped_is_replaced_after_idling(
        store: SqlStore, account: str, database_url: str) -> None:
    # A database restart or failover drops the pool's connections; one that
    # idled in the pool is pinged before use and replaced when dead.
    if store.backend != "postgresql":
        pytest.skip("PostgreSQL only")
    import time

    import psycopg
    from sqlalchemy import text

    with store.transaction(read_only=True) as tx:
        pid = tx._core.execute(text("SELECT pg_backend_pid()")).scalar_one()
    base = database_url.replace("postgresql+psycopg://", "postgresql://").split("?")[0]
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    time.sleep(database.PING_AFTER_IDLE_SECONDS + 0.5)
    with store.transaction(read_only=True) as tx:
        assert tx.users.count(account) == 0


def test_sqlite_reads_run_on_a_connection_of_each_threads_own(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'own.db'}")
    try:
        seen: dict[str, list[int]] = {}

        def read(name: str) -> None:
            for _ in range(3):
                with store.transaction(read_only=True) as tx:
                    tx.users.get_by_name("123456789012", "nobody")
                    own = store.database.thread_reader()
                    assert own is not None
                    seen.setdefault(name, []).append(id(own))

        read("main")
        other = threading.Thread(target=read, args=("other",))
        other.start()
        other.join()
        assert len(set(seen["main"])) == 1 and len(set(seen["other"])) == 1
        assert seen["main"][0] != seen["other"][0]
        # A write committed by another connection is seen by the next read.
        with store.transaction() as tx:
            tx.accounts.insert(Account(account_id="123456789012", name="own", email=None,
                                       alias=None, created=NOW))
        with store.transaction(read_only=True) as tx:
            assert tx.accounts.get("123456789012") is not None
        kept = store.database.thread_reader()
    finally:
        store.close()
    assert kept is not None
    with pytest.raises(sqlite3.ProgrammingError):  # closed with the store
        kept.execute("SELECT 1")


def test_a_transaction_begun_without_waiting_refuses_a_taken_lock_at_once(tmp_path: Path) -> None:
    from iamd.store import WouldWait, without_waiting

    store = open_store(f"sqlite:///{tmp_path / 'wait.db'}")
    try:
        # Another thread of this process holds the writer's turn...
        holding, release = threading.Event(), threading.Event()

        def hold() -> None:
            with store.transaction():
                holding.set()
                release.wait(10)

        holder = threading.Thread(target=hold)
        holder.start()
        holding.wait(10)
        with pytest.raises(WouldWait), without_waiting(), store.transaction() as tx:
            tx.accounts.insert(Account(account_id="123456789012", name="a", email=None,
                                       alias=None, created=NOW))
        release.set()
        holder.join()
        # ...or another process holds SQLite's write lock.
        other = sqlite3.connect(tmp_path / "wait.db", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(WouldWait), without_waiting(), store.transaction():
            pass
        other.execute("COMMIT")
        other.close()
        # Nothing was written, and the lock free, the same transaction goes through;
        # the connection it used waits for the lock again as before.
        with without_waiting(), store.transaction() as tx:
            assert tx.accounts.get("123456789012") is None
            tx.accounts.insert(Account(account_id="123456789012", name="a", email=None,
                                       alias=None, created=NOW))
            driver = tx._core.begin().connection.driver_connection
            assert driver is not None
            assert driver.execute("PRAGMA busy_timeout").fetchone()[0] == \
                database.SQLITE_BUSY_TIMEOUT_MS
        with store.transaction(read_only=True) as tx:
            assert tx.accounts.get("123456789012") is not None
    finally:
        store.close()
