"""Tags on IAM resources, kept in the order they were first given.

Keys are unique per resource ignoring case: tagging "Dept" on a resource that
has "dept" replaces that tag (new spelling, new value) where it stands in the
order. Tags have no foreign key (they hang off many kinds of resource); the
store deletes a user's, role's or policy's tags when it deletes the resource,
and `delete_all` is there for the kinds the store does not delete itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import ColumnElement, bindparam, delete, func, select

from iamd.model.entities import ResourceKind, Tag
from iamd.store import schema
from iamd.store.transaction import TransactionCore, fold

_tags = schema.tags
# Authorization reads the caller's and the target's tags: built once, compiled once.
_LIST = (select(_tags.c.key, _tags.c.value)
         .where(_tags.c.resource_kind == bindparam("kind"), _tags.c.resource_id == bindparam("id"))
         .order_by(_tags.c.position, _tags.c.key_lower))


def _dedupe(tags: Sequence[Tag]) -> list[Tag]:
    # A key given twice in one call keeps its first place and its last value.
    merged: dict[str, Tag] = {}
    for tag in tags:
        merged[fold(tag.key)] = tag
    return list(merged.values())


class SqlTags:
    def __init__(self, core: TransactionCore) -> None:
        self._core = core

    @staticmethod
    def _of(kind: ResourceKind, resource_id: str) -> ColumnElement[bool]:
        return (_tags.c.resource_kind == kind.value) & (_tags.c.resource_id == resource_id)

    def list(self, kind: ResourceKind, resource_id: str) -> tuple[Tag, ...]:
        """All tags of the resource in order (AWS allows 50, so no pagination here)."""
        rows = self._core.rows(_LIST, {"kind": kind.value, "id": resource_id})
        return tuple(Tag(row.key, row.value) for row in rows)

    def count(self, kind: ResourceKind, resource_id: str) -> int:
        statement = select(func.count()).select_from(_tags).where(self._of(kind, resource_id))
        return int(self._core.execute(statement).scalar_one())

    def replace(self, kind: ResourceKind, resource_id: str, tags: Sequence[Tag]) -> None:
        """Make `tags`, in this order, the resource's only tags."""
        self.delete_all(kind, resource_id)
        rows = [{"resource_kind": kind.value, "resource_id": resource_id, "key": tag.key,
                 "key_lower": fold(tag.key), "value": tag.value, "position": position}
                for position, tag in enumerate(_dedupe(tags))]
        if rows:
            self._core.execute(_tags.insert(), rows)

    def put(self, kind: ResourceKind, resource_id: str, tags: Sequence[Tag]) -> None:
        """Add tags, or update the value of those whose key is already there."""
        last = self._core.execute(select(func.max(_tags.c.position))
                                  .where(self._of(kind, resource_id))).scalar_one()
        position = -1 if last is None else int(last)
        for tag in _dedupe(tags):
            position += 1
            # An existing key keeps its position: only key and value are
            # updated on conflict.
            self._core.upsert(_tags, {
                "resource_kind": kind.value, "resource_id": resource_id, "key": tag.key,
                "key_lower": fold(tag.key), "value": tag.value, "position": position,
            }, update=("key", "value"))

    def remove(self, kind: ResourceKind, resource_id: str, keys: Iterable[str]) -> int:
        """Remove the tags with these keys (ignoring case); how many were there."""
        folded = {fold(key) for key in keys}
        if not folded:
            return 0
        result = self._core.execute(delete(_tags).where(
            self._of(kind, resource_id) & _tags.c.key_lower.in_(folded)))
        return int(result.rowcount)

    def delete_all(self, kind: ResourceKind, resource_id: str) -> int:
        result = self._core.execute(delete(_tags).where(self._of(kind, resource_id)))
        return int(result.rowcount)
