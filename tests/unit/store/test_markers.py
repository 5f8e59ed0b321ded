"""Pagination markers: opaque, tied to their listing, safe in a URL."""

from __future__ import annotations

import re

import pytest

from iamd.store import InvalidMarker
from iamd.store.markers import decode, encode


def test_round_trip_with_awkward_values() -> None:
    key = ("ünïcode/näme", 'quote"and\\slash', "")
    marker = encode("users", key)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", marker)
    assert decode("users", marker, 3) == key


@pytest.mark.parametrize("marker", ["", "%%%", "bm90IGpzb24", encode("groups", ["a", "b"]),
                                    encode("users", ["a"]), encode("users", ["a", "b", "c"])])
def test_foreign_or_broken_markers_are_refused(marker: str) -> None:
    with pytest.raises(InvalidMarker):
        decode("users", marker, 2)
