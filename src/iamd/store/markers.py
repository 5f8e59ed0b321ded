"""Pagination markers: the sort key of the last item of a page, made opaque.

Every listing is ordered by a tuple of strings (for users: lower-cased name,
then id) and resumes strictly after the tuple in the marker, so a marker stays
valid while rows are added or removed. The marker is that tuple as JSON in
URL-safe base64, tagged with the listing it came from: a client may echo it
back but cannot usefully make one up, and a marker from another listing is
refused instead of silently skipping rows.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.sql.elements import KeyedColumnElement

from iamd.store.errors import InvalidMarker


def encode(listing: str, sort_key: Sequence[str]) -> str:
    raw = json.dumps([listing, *sort_key], separators=(",", ":"), ensure_ascii=True)
    return base64.urlsafe_b64encode(raw.encode("ascii")).decode("ascii").rstrip("=")


def decode(listing: str, marker: str, width: int) -> tuple[str, ...]:
    try:
        padded = marker + "=" * (-len(marker) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error) as exc:
        raise InvalidMarker("pagination marker is not valid") from exc
    if (not isinstance(value, list) or len(value) != width + 1 or value[0] != listing
            or not all(isinstance(part, str) for part in value)):
        raise InvalidMarker("pagination marker does not belong to this listing")
    return tuple(value[1:])


def after(columns: Sequence[KeyedColumnElement[str]], values: Sequence[str]) -> ColumnElement[bool]:
    """`columns > values` compared as tuples, spelled out for every backend."""
    first, *rest = columns
    head, *tail = values
    if not rest:
        return first > head
    return or_(first > head, and_(first == head, after(rest, tail)))
