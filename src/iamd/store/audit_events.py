"""The audit trail's events: stored, looked up, pruned.

An event arrives whole (the service layer builds the CloudTrail record and
the attributes lookups filter on); the store keeps the record as JSON text
and the attributes in indexed columns, and the resources it names in a
table of their own. A lookup is one account's events between two times,
newest first, optionally narrowed by one attribute, and pages with a marker
holding the last event's time and id. Pruning deletes whole events older
than a time, with their resources.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, or_, select

from iamd.model.entities import Page
from iamd.store import markers, schema
from iamd.store.errors import InvalidMarker
from iamd.store.transaction import TransactionCore

_events = schema.audit_events
_resources = schema.audit_event_resources

LISTING = "audit-events"


@dataclass(frozen=True, slots=True)
class AuditResource:
    resource_type: str  # "AWS::IAM::User"
    resource_name: str  # a name or an ARN, as CloudTrail's Resources list gives it


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One event: its record (CloudTrail JSON, as text) and what lookups filter on."""

    event_id: str
    account_id: str
    event_time: datetime
    event_name: str
    event_source: str
    username: str | None
    access_key_id: str | None
    read_only: bool
    record: str
    resources: tuple[AuditResource, ...] = ()


@dataclass(frozen=True, slots=True)
class EventFilter:
    """One LookupEvents attribute: the column it names and the value it must equal."""

    attribute: str  # EventId, EventName, ReadOnly, Username, ResourceType, ResourceName,
    # EventSource or AccessKeyId
    value: str


_COLUMNS = {
    "EventId": _events.c.event_id,
    "EventName": _events.c.event_name,
    "EventSource": _events.c.event_source,
    "Username": _events.c.username,
    "AccessKeyId": _events.c.access_key_id,
}


def _condition(found: EventFilter) -> ColumnElement[bool]:
    if found.attribute in _COLUMNS:
        return _COLUMNS[found.attribute] == found.value
    if found.attribute == "ReadOnly":
        return _events.c.read_only == (found.value.lower() == "true")
    column = (_resources.c.resource_name if found.attribute == "ResourceName"
              else _resources.c.resource_type)
    named = select(_resources.c.event_id).where(column == found.value)
    return _events.c.event_id.in_(named)


class SqlAuditEvents:
    def __init__(self, core: TransactionCore) -> None:
        self._core = core

    def insert(self, events: Sequence[StoredEvent]) -> None:
        """Store events (one INSERT of all their rows, one of all their resources)."""
        if not events:
            return
        self._core.insert_many(_events, [
            {"event_id": e.event_id, "account_id": e.account_id, "event_time": e.event_time,
             "event_name": e.event_name, "event_source": e.event_source,
             "username": e.username, "access_key_id": e.access_key_id,
             "read_only": e.read_only, "record": e.record} for e in events])
        resources = {(e.event_id, r.resource_type, r.resource_name)
                     for e in events for r in e.resources}
        self._core.insert_many(_resources, [
            {"event_id": event_id, "resource_type": kind, "resource_name": name}
            for event_id, kind, name in sorted(resources)])

    def lookup(self, account_id: str, *, start: datetime, end: datetime,
               match: EventFilter | None, limit: int, after: str | None,
               query: str = "") -> Page[StoredEvent]:
        """One page of an account's events in [start, end], newest first.
        `query` names what the caller asked for: a marker made for one query
        is refused by another, as CloudTrail refuses a NextToken reused with
        different parameters."""
        listing = f"{LISTING}:{account_id}:{query}"
        statement = select(_events).where(_events.c.account_id == account_id,
                                          _events.c.event_time >= start,
                                          _events.c.event_time <= end)
        if match is not None:
            statement = statement.where(_condition(match))
        if after is not None:
            time_text, event_id = markers.decode(listing, after, 2)
            try:
                last_time = datetime.fromisoformat(time_text)
            except ValueError:
                raise InvalidMarker("pagination marker is not valid") from None
            statement = statement.where(or_(
                _events.c.event_time < last_time,
                and_(_events.c.event_time == last_time, _events.c.event_id < event_id)))
        rows = self._core.execute(statement.order_by(
            _events.c.event_time.desc(), _events.c.event_id.desc()).limit(limit + 1)).all()
        marker = None
        if len(rows) > limit:
            rows = rows[:limit]
            last = rows[-1]._mapping
            marker = markers.encode(listing, [last["event_time"].isoformat(), last["event_id"]])
        return Page(tuple(self._with_resources([_stored(row) for row in rows])), marker)

    def _with_resources(self, events: list[StoredEvent]) -> Iterable[StoredEvent]:
        if not events:
            return events
        rows = self._core.execute(select(_resources).where(
            _resources.c.event_id.in_([e.event_id for e in events]))).all()
        by_event: dict[str, list[AuditResource]] = {}
        for row in rows:
            by_event.setdefault(row.event_id, []).append(
                AuditResource(row.resource_type, row.resource_name))
        return [replace(e, resources=tuple(by_event.get(e.event_id, ()))) for e in events]

    def prune(self, before: datetime, *, batch: int = 5000) -> int:
        """Delete up to `batch` events older than `before` (so that no
        transaction holds the write lock for long); how many went. Event ids
        begin with their time, so the oldest are the first of the key."""
        ids = [row[0] for row in self._core.execute(
            select(_events.c.event_id).where(_events.c.event_id < time_ordered_floor(before))
            .order_by(_events.c.event_id).limit(batch)).all()]
        if not ids:
            return 0
        self._core.execute(delete(_resources).where(_resources.c.event_id.in_(ids)))
        self._core.execute(delete(_events).where(_events.c.event_id.in_(ids)))
        return len(ids)


def time_ordered_floor(when: datetime) -> str:
    """The smallest time-ordered event id (UUID version 7) of `when`'s millisecond."""
    x = f"{int(when.timestamp() * 1000):012x}"
    return f"{x[:8]}-{x[8:12]}-7000-8000-000000000000"


def _stored(row: Any) -> StoredEvent:
    m = row._mapping
    return StoredEvent(event_id=m["event_id"], account_id=m["account_id"],
                       event_time=m["event_time"], event_name=m["event_name"],
                       event_source=m["event_source"], username=m["username"],
                       access_key_id=m["access_key_id"], read_only=bool(m["read_only"]),
                       record=m["record"])
