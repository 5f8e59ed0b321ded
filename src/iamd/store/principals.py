"""What users, groups and roles have in common in the store.

The three are rows with an id, an account, a path and a name unique in the
account ignoring case; they are read by id, by name and by ARN, listed by name
under a path prefix, updated whole and deleted. `PrincipalRepository` does all
of that for any of the three entity dataclasses, whose fields are exactly the
table's columns apart from the derived `name_lower`.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, Table, bindparam, delete, func, select, update
from sqlalchemy.sql.dml import UpdateBase

from iamd.model.entities import Group, Page, ResourceKind, Role, User
from iamd.store import schema
from iamd.store.transaction import TransactionCore, fold

E = TypeVar("E", User, Group, Role)

# Columns a principal keeps for life; update() never writes them.
_IMMUTABLE = frozenset({"id", "account_id", "created"})


def path_starts_with(column: ColumnElement[str], prefix: str | None) -> ColumnElement[bool] | None:
    """A case-sensitive prefix test, without LIKE's wildcards or SQLite's case folding."""
    if prefix is None or prefix == "/":
        return None  # every IAM path starts with "/"
    return func.substr(column, 1, len(prefix)) == prefix


class _Reads:
    """The reads by key of one principal table, built once: SQLAlchemy then finds
    each compiled statement in its cache instead of building and hashing it anew."""

    def __init__(self, table: Table) -> None:
        c = table.c
        self.by_id: Select[Any] = select(table).where(c.id == bindparam("id"))
        self.by_name: Select[Any] = select(table).where(
            c.account_id == bindparam("account_id"), c.name_lower == bindparam("name_lower"))
        self.by_arn: Select[Any] = select(table).where(c.arn == bindparam("arn"))
        self.by_id_for_update = self.by_id.with_for_update()
        self.by_name_for_update = self.by_name.with_for_update()
        self.delete_by_id: UpdateBase = delete(table).where(c.id == bindparam("id"))


_DELETE_TAGS: UpdateBase = delete(schema.tags).where(
    (schema.tags.c.resource_kind == bindparam("kind")) & (schema.tags.c.resource_id == bindparam("id")))


class PrincipalRepository(Generic[E]):
    entity: ClassVar[type[Any]]
    table: ClassVar[Table]
    listing: ClassVar[str]
    tag_kind: ClassVar[ResourceKind | None] = None
    # Usage bookkeeping has its own narrow writer (record_*); update() leaves
    # it alone so a stale copy of the entity cannot roll it back.
    bookkeeping: ClassVar[frozenset[str]] = frozenset()
    _reads: ClassVar[_Reads]
    _fields: ClassVar[tuple[str, ...]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "table" in cls.__dict__:
            cls._reads = _Reads(cls.table)
            cls._fields = tuple(f.name for f in dataclasses.fields(cls.entity))

    def __init__(self, core: TransactionCore) -> None:
        self._core = core

    def from_row(self, row: Any) -> E:
        mapping = row._mapping
        return self.entity(**{name: mapping[name] for name in self._fields})  # type: ignore[no-any-return]

    def _to_row(self, entity: E) -> dict[str, Any]:
        values = {f.name: getattr(entity, f.name) for f in dataclasses.fields(entity)}
        values["name_lower"] = fold(entity.name)
        return values

    def _select_one(self, statement: Select[Any], parameters: dict[str, str]) -> E | None:
        # A locked read is compiled once too (FOR UPDATE on PostgreSQL); a
        # writing transaction remembers no rows, so it always reaches the database.
        row = self._core.first(statement, parameters)
        return None if row is None else self.from_row(row)

    def insert(self, entity: E) -> None:
        self._core.insert(self.table, self._to_row(entity))

    def get(self, entity_id: str, *, for_update: bool = False) -> E | None:
        reads = self._reads
        return self._select_one(reads.by_id_for_update if for_update else reads.by_id,
                                {"id": entity_id})

    def get_by_name(self, account_id: str, name: str, *, for_update: bool = False) -> E | None:
        reads = self._reads
        return self._select_one(reads.by_name_for_update if for_update else reads.by_name,
                                {"account_id": account_id, "name_lower": fold(name)})

    def get_by_arn(self, arn: str) -> E | None:
        return self._select_one(self._reads.by_arn, {"arn": arn})

    def list(self, account_id: str, *, path_prefix: str | None = None, after: str | None = None,
             limit: int = 100) -> Page[E]:
        statement = select(self.table).where(self.table.c.account_id == account_id)
        prefix = path_starts_with(self.table.c.path, path_prefix)
        if prefix is not None:
            statement = statement.where(prefix)
        return self._core.page(statement, listing=self.listing,
                               order=[self.table.c.name_lower, self.table.c.id],
                               after=after, limit=limit, convert=self.from_row)

    def count(self, account_id: str) -> int:
        return self._core.count(self.table, "account_id", account_id)

    def update(self, entity: E) -> bool:
        """Write the mutable fields of `entity` over the stored row; False if it is gone.

        Id, account and creation time never change; usage bookkeeping (last
        used) is written only by the record_* methods.
        """
        values = {k: v for k, v in self._to_row(entity).items()
                  if k not in _IMMUTABLE and k not in self.bookkeeping}
        result = self._core.execute(
            update(self.table).where(self.table.c.id == entity.id).values(**values))
        return result.rowcount == 1

    def delete(self, entity_id: str) -> bool:
        """Delete the row and what dies with it; False if there was none.

        Memberships, attachments and inline policies go by cascade, tags
        here; access keys are protected (IntegrityViolation), as AWS refuses
        to delete a user that still has some.
        """
        if self.tag_kind is not None:
            self._core.write(_DELETE_TAGS, {"kind": self.tag_kind.value, "id": entity_id})
        return self._core.write(self._reads.delete_by_id, {"id": entity_id}) == 1
