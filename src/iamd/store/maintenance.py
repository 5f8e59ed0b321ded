"""Whole-store maintenance: emptying every table (the dev-mode reset).

Rows go child tables first, in one transaction, so foreign keys hold
throughout; the schema and its migration revision stay.
"""

from __future__ import annotations

from iamd.store import schema
from iamd.store.repository import SqlStore


def wipe(store: SqlStore) -> None:
    with store.database.engine.begin() as connection:
        for table in reversed(schema.metadata.sorted_tables):
            connection.execute(table.delete())
