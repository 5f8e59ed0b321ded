"""Persistence: the schema, its migrations, and the store on SQLite or PostgreSQL.

No business rules live here: the store keeps what the service layer hands
it, enforces uniqueness and references in the database, and runs every write
as one transaction. Open it with `open_store(url)`; type against
`iamd.store.interface.Store`.
"""

from iamd.store.database import Database, open_database
from iamd.store.errors import (
    Conflict,
    Contention,
    DatabaseUnavailable,
    IntegrityViolation,
    InvalidMarker,
    ReadOnlyTransaction,
    SchemaTooNew,
    StoreError,
    TransactionAborted,
    UnsupportedDatabase,
    WouldWait,
)
from iamd.store.interface import Store, Transaction
from iamd.store.repository import SqlStore, SqlTransaction, open_store
from iamd.store.secrets import MasterKeyError, SecretBox, SecretDecryptionError
from iamd.store.transaction import without_waiting

__all__ = [
    "Conflict",
    "Contention",
    "Database",
    "DatabaseUnavailable",
    "IntegrityViolation",
    "InvalidMarker",
    "MasterKeyError",
    "ReadOnlyTransaction",
    "SchemaTooNew",
    "SecretBox",
    "SecretDecryptionError",
    "SqlStore",
    "SqlTransaction",
    "Store",
    "StoreError",
    "Transaction",
    "TransactionAborted",
    "UnsupportedDatabase",
    "WouldWait",
    "open_database",
    "open_store",
    "without_waiting",
]
