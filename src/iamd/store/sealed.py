"""Every value the master key seals, listed and replaced for a master key rotation.

A rotation re-seals each value under the new key while the server keeps
writing, so replacing one is a compare-and-swap: the new ciphertext is
written only if the row still holds the one that was read and opened. A
value changed meanwhile (a console session touched, a token key added) is
left for the next pass, which reads it again; nothing a request wrote is
ever overwritten with an older value.

Columns of sealed bytes are named in `SEALED_COLUMNS` with their row's key;
settings rows holding sealed values (JSON with hex, made by the service
layer) are found by key prefix. Which associated data each one was sealed
with is the service layer's knowledge, not the store's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, select, update

from iamd.store import schema
from iamd.store.transaction import TransactionCore


@dataclass(frozen=True)
class SealedColumn:
    table: Table
    key: str
    sealed: str


SEALED_COLUMNS: dict[str, SealedColumn] = {
    column.table.name: column for column in (
        SealedColumn(schema.access_keys, "id", "secret_ciphertext"),
        SealedColumn(schema.mfa_devices, "serial_number", "seed_ciphertext"),
        SealedColumn(schema.server_certificates, "id", "private_key_ciphertext"),
        SealedColumn(schema.service_specific_credentials, "id", "password_ciphertext"),
        SealedColumn(schema.console_sessions, "id_hash", "state"),
    )}


def _page(column: SealedColumn) -> Any:
    key, sealed = column.table.c[column.key], column.table.c[column.sealed]
    return (select(key.label("key"), sealed.label("sealed"))
            .where(key > bindparam("after")).order_by(key))


def _swap(column: SealedColumn) -> Any:
    key, sealed = column.table.c[column.key], column.table.c[column.sealed]
    return (update(column.table)
            .where(key == bindparam("row_key"), sealed == bindparam("old"))
            .values({column.sealed: bindparam("new")}))


_PAGES = {name: _page(column) for name, column in SEALED_COLUMNS.items()}
_SWAPS = {name: _swap(column) for name, column in SEALED_COLUMNS.items()}
_settings = schema.settings
_SETTINGS_PAGE = (select(_settings.c.key, _settings.c.value)
                  .where(_settings.c.key > bindparam("after"),
                         _settings.c.key.like(bindparam("pattern"), escape="\\"))
                  .order_by(_settings.c.key))
_SETTINGS_SWAP = (update(_settings)
                  .where(_settings.c.key == bindparam("row_key"), _settings.c.value == bindparam("old"))
                  .values(value=bindparam("new")))


class SqlSealedValues:
    def __init__(self, core: TransactionCore) -> None:
        self._core = core

    def page(self, table: str, *, after: str = "", limit: int = 100) -> list[tuple[str, bytes]]:
        """Up to `limit` (row key, sealed bytes) of `table`, by key, after `after`."""
        rows = self._core.execute(_PAGES[table].limit(limit), {"after": after}).all()
        return [(str(row.key), bytes(row.sealed)) for row in rows]

    def replace(self, table: str, row_key: str, old: bytes, new: bytes) -> bool:
        """Write `new` if the row still holds `old`; whether it did."""
        return self._core.write(_SWAPS[table], {"row_key": row_key, "old": old, "new": new}) == 1

    def settings_page(self, prefix: str, *, after: str = "",
                      limit: int = 100) -> list[tuple[str, str]]:
        """Up to `limit` (key, value) settings whose key starts with `prefix`."""
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self._core.execute(_SETTINGS_PAGE.limit(limit),
                                  {"pattern": pattern, "after": after}).all()
        return [(str(row.key), str(row.value)) for row in rows]

    def replace_setting(self, key: str, old: str, new: str) -> bool:
        """Write `new` if the setting still holds `old`; whether it did."""
        return self._core.write(_SETTINGS_SWAP, {"row_key": key, "old": old, "new": new}) == 1
