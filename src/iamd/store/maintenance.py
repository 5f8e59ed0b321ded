"""Whole-store maintenance: emptying every table (the dev-mode reset).

Rows go child tables first, in one transaction, so foreign keys hold
throughout; the schema and its migration revision stay.
"""

from __future__ import annotations

from sqlalchemy import Integer, Text, cast

from iamd.store import schema
from iamd.store.repository import SqlStore


def wipe(store: SqlStore, *, keep_counter: str | None = None) -> None:
    """Delete every row; the integer setting `keep_counter`, if named, stays
    and is incremented in the same transaction (it must never go back)."""
    settings = schema.settings
    with store.database.engine.begin() as connection:
        for table in reversed(schema.metadata.sorted_tables):
            if table is settings and keep_counter is not None:
                connection.execute(table.delete().where(table.c.key != keep_counter))
                connection.execute(table.update().where(table.c.key == keep_counter).values(
                    value=cast(cast(table.c.value, Integer) + 1, Text)))
            else:
                connection.execute(table.delete())
