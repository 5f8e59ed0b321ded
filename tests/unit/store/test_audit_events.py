"""The audit trail's store: lookups by each attribute, newest first, paging,
one account's events only, pruning by time, and a write's hook that runs
only once its transaction commits."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from iamd.store import SqlStore
from iamd.store.audit_events import AuditResource, EventFilter, StoredEvent, time_ordered_floor
from iamd.store.errors import InvalidMarker

from .factories import ACCOUNT, NOW, OTHER_ACCOUNT


def event(number: int, *, minutes_ago: int = 0, account: str = ACCOUNT, name: str = "GetUser",
          user: str = "alice", read_only: bool = True) -> StoredEvent:
    when = NOW - timedelta(minutes=minutes_ago)
    stamp = time_ordered_floor(when)
    event_id = f"{stamp[:24]}{number:012d}"
    return StoredEvent(event_id=event_id, account_id=account, event_time=when, event_name=name,
                       event_source="iam.amazonaws.com", username=user,
                       access_key_id=f"AKIA{number}", read_only=read_only,
                       record=f'{{"n":{number}}}',
                       resources=(AuditResource("AWS::IAM::User", f"user-{number}"),
                                  AuditResource("AWS::IAM::Policy", "arn:aws:iam::aws:policy/X")))


def lookup(store: SqlStore, match: EventFilter | None = None, *, limit: int = 50,
           after: str | None = None, account: str = ACCOUNT) -> tuple[list[int], str | None]:
    with store.transaction(read_only=True) as tx:
        page = tx.audit_events.lookup(account, start=NOW - timedelta(days=1), end=NOW,
                                      match=match, limit=limit, after=after)
    return [int(e.record[5:-1]) for e in page.items], page.marker


@pytest.fixture
def stored(store: SqlStore) -> SqlStore:
    with store.transaction() as tx:
        tx.audit_events.insert([
            event(1, minutes_ago=30), event(2, minutes_ago=20, name="CreateUser", read_only=False),
            event(3, minutes_ago=10, user="bob"), event(4, minutes_ago=5, account=OTHER_ACCOUNT),
            event(5, minutes_ago=60 * 30)])
    return store


def test_newest_first_and_one_accounts_only(stored: SqlStore) -> None:
    assert lookup(stored) == ([3, 2, 1], None)
    assert lookup(stored, account=OTHER_ACCOUNT) == ([4], None)


@pytest.mark.parametrize(("attribute", "value", "found"), [
    ("EventName", "CreateUser", [2]),
    ("Username", "bob", [3]),
    ("AccessKeyId", "AKIA1", [1]),
    ("ReadOnly", "false", [2]),
    ("ReadOnly", "true", [3, 1]),
    ("EventSource", "iam.amazonaws.com", [3, 2, 1]),
    ("ResourceName", "user-2", [2]),
    ("ResourceType", "AWS::IAM::Policy", [3, 2, 1]),
    ("ResourceName", "nobody", []),
])
def test_each_lookup_attribute(stored: SqlStore, attribute: str, value: str,
                               found: list[int]) -> None:
    assert lookup(stored, EventFilter(attribute, value))[0] == found


def test_event_id_lookup_and_resources(stored: SqlStore) -> None:
    second = event(2, minutes_ago=20, name="CreateUser", read_only=False)
    with stored.transaction(read_only=True) as tx:
        page = tx.audit_events.lookup(ACCOUNT, start=NOW - timedelta(days=1), end=NOW,
                                      match=EventFilter("EventId", second.event_id),
                                      limit=5, after=None)
    (only,) = page.items
    assert replace(only, resources=()) == replace(second, resources=())
    assert set(only.resources) == set(second.resources)


def test_paging(stored: SqlStore) -> None:
    first, marker = lookup(stored, limit=2)
    assert first == [3, 2] and marker is not None
    assert lookup(stored, limit=2, after=marker) == ([1], None)
    with pytest.raises(InvalidMarker):
        lookup(stored, after="not-a-marker")


def test_pruning_deletes_older_events_with_their_resources(stored: SqlStore) -> None:
    with stored.transaction() as tx:
        assert tx.audit_events.prune(NOW - timedelta(minutes=15)) == 3
    with stored.transaction() as tx:
        assert tx.audit_events.prune(NOW - timedelta(minutes=15)) == 0
    assert lookup(stored) == ([3], None)
    assert lookup(stored, EventFilter("ResourceName", "user-1")) == ([], None)


def test_after_commit_hooks_run_only_on_commit(store: SqlStore) -> None:
    ran: list[str] = []
    with store.transaction() as tx:
        tx.after_commit(lambda: ran.append("committed"))
        assert ran == []
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.after_commit(lambda: ran.append("rolled back"))
        raise RuntimeError("roll back")
    assert ran == ["committed"]


def test_a_batch_larger_than_one_statement_is_stored_whole(store: SqlStore) -> None:
    # SQLite gets many rows to an INSERT, a bounded number of parameters each:
    # 700 events (9 columns) and their 1,400 resources (3) span several statements.
    events = [event(number, minutes_ago=1 + number % 50) for number in range(1, 701)]
    with store.transaction() as tx:
        tx.audit_events.insert(events)
    numbers, marker = lookup(store, limit=1000)
    assert sorted(numbers) == list(range(1, 701)) and marker is None
    assert lookup(store, EventFilter("ResourceName", "user-577"))[0] == [577]
    with store.transaction(read_only=True) as tx:
        page = tx.audit_events.lookup(ACCOUNT, start=NOW - timedelta(days=1), end=NOW,
                                      match=EventFilter("EventId", events[699].event_id),
                                      limit=5, after=None)
    assert [e.access_key_id for e in page.items] == ["AKIA700"]
    assert {r.resource_name for r in page.items[0].resources} == {
        "user-700", "arn:aws:iam::aws:policy/X"}
