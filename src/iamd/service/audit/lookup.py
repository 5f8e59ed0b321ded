"""CloudTrail's LookupEvents over iamd's audit trail.

The caller's account's events, newest first, between StartTime and EndTime
(default: everything retained, up to now), narrowed by at most one lookup
attribute, MaxResults at a time (1 to 50, default 50) with NextToken.
Each event carries its record as `CloudTrailEvent` (JSON text) and the
resources it names. Authorized as any call (`cloudtrail:LookupEvents` on
"*"); it is a read, so its own event is batched like any read's.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from iamd.model.errors import (
    InvalidEventCategoryException,
    InvalidLookupAttributesException,
    InvalidMaxResultsException,
    InvalidNextTokenException,
    InvalidTimeRangeException,
)
from iamd.service.context import OperationContext
from iamd.service.registry import Params, operation
from iamd.store.audit_events import EventFilter, StoredEvent
from iamd.store.errors import InvalidMarker

ATTRIBUTES = ("EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName",
              "EventSource", "AccessKeyId")
DEFAULT_MAX_RESULTS = 50
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)


def _aware(value: Any, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise InvalidTimeRangeException(f"{name} is not a valid time.")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _filter(params: Params) -> EventFilter | None:
    attributes = params.get("LookupAttributes") or []
    if len(attributes) > 1:
        raise InvalidLookupAttributesException(
            "Only one lookup attribute is allowed in a LookupEvents request.")
    if not attributes:
        return None
    key, value = attributes[0].get("AttributeKey"), attributes[0].get("AttributeValue")
    if key not in ATTRIBUTES:
        raise InvalidLookupAttributesException(
            f"{key} is not a valid lookup attribute; valid keys are {', '.join(ATTRIBUTES)}.")
    if not isinstance(value, str) or not 1 <= len(value) <= 2000:
        raise InvalidLookupAttributesException(
            "The lookup attribute value must be 1 to 2000 characters long.")
    if key == "ReadOnly" and value.lower() not in ("true", "false"):
        raise InvalidLookupAttributesException("The ReadOnly attribute value must be true or false.")
    return EventFilter(key, value)


def _event(stored: StoredEvent) -> dict[str, Any]:
    event: dict[str, Any] = {"EventId": stored.event_id, "EventName": stored.event_name,
                             "ReadOnly": "true" if stored.read_only else "false"}
    if stored.access_key_id:
        event["AccessKeyId"] = stored.access_key_id
    event["EventTime"] = stored.event_time.replace(microsecond=0)
    event["EventSource"] = stored.event_source
    if stored.username:
        event["Username"] = stored.username
    event["Resources"] = [{"ResourceType": r.resource_type, "ResourceName": r.resource_name}
                          for r in stored.resources]
    event["CloudTrailEvent"] = stored.record
    return event


def _query_of(match: EventFilter | None, start: datetime | None, end: datetime | None) -> str:
    """What a NextToken is bound to: the attribute and the times as given
    (an EndTime left out means "now", which a later page may extend)."""
    asked = [match.attribute if match else "", match.value if match else "",
             *(when.isoformat() if when is not None else "" for when in (start, end))]
    return hashlib.sha256(json.dumps(asked).encode()).hexdigest()[:16]


@operation("cloudtrail", "LookupEvents", read_only=True)
def lookup_events(ctx: OperationContext, params: Params) -> dict[str, Any]:
    match = _filter(params)
    limit = params.get("MaxResults", DEFAULT_MAX_RESULTS)
    if not isinstance(limit, int) or not 1 <= limit <= DEFAULT_MAX_RESULTS:
        raise InvalidMaxResultsException("MaxResults must be between 1 and 50.")
    category = params.get("EventCategory")
    now = ctx.info.now
    given_start = _aware(params["StartTime"], "StartTime") if "StartTime" in params else None
    given_end = _aware(params["EndTime"], "EndTime") if "EndTime" in params else None
    start = given_start or _EARLIEST
    end = given_end or now + timedelta(seconds=1)
    if start > end:
        raise InvalidTimeRangeException("Start time must be before end time.")
    if category is not None and category != "insight":
        raise InvalidEventCategoryException(f"{category} is not a valid event category.")
    if category == "insight":
        return {"Events": []}  # iamd makes no Insights events
    try:
        page = ctx.tx.audit_events.lookup(ctx.account_id, start=start, end=end, match=match,
                                          limit=limit, after=params.get("NextToken"),
                                          query=_query_of(match, given_start, given_end))
    except InvalidMarker:
        raise InvalidNextTokenException("Invalid NextToken.") from None
    out: dict[str, Any] = {"Events": [_event(e) for e in page.items]}
    if page.marker is not None:
        out["NextToken"] = page.marker
    return out
