"""Paging a list operation the way the console's tables page: by Marker.

A table shows `PAGE_SIZE` rows and a "Next page" link carrying the API's
marker. A search filters by name as AWS's console does, on the client side
of the API: each call asks for no more items than the page still needs, so
no matching item is ever skipped by the marker that continues after it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from iamd.console.web import View

PAGE_SIZE = 50


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_marker: str | None


def list_page(view: View, operation: str, member: str, params: Mapping[str, Any],
              matches: Callable[[dict[str, Any]], bool] | None = None,
              size: int = PAGE_SIZE) -> Page:
    """One page of `operation`'s `member`, from the request's `marker`."""
    items: list[dict[str, Any]] = []
    marker = view.query.get("marker") or None
    while len(items) < size:
        ask: dict[str, Any] = {**params, "MaxItems": size - len(items)}
        if marker:
            ask["Marker"] = marker
        result = view.call(operation, ask)
        items += [item for item in result.get(member, []) if matches is None or matches(item)]
        marker = result.get("Marker") if result.get("IsTruncated") else None
        if marker is None:
            break
    return Page(items, marker)


def name_filter(search: str, key: str) -> Callable[[dict[str, Any]], bool] | None:
    """Case-insensitive substring match on one member, as the console's search box."""
    needle = search.strip().lower()
    if not needle:
        return None
    return lambda item: needle in str(item.get(key, "")).lower()


def read_all(view: View, operation: str, member: str,
             params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every item of a list operation (for short lists: pickers, attachments)."""
    items: list[dict[str, Any]] = []
    marker = None
    while True:
        ask = dict(params or {})
        if marker:
            ask["Marker"] = marker
        result = view.call(operation, ask)
        items += result.get(member, [])
        marker = result.get("Marker") if result.get("IsTruncated") else None
        if marker is None:
            return items
