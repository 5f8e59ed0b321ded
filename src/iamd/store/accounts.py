"""Accounts in the store: the tenants every other row belongs to."""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import func, select, update

from iamd.model.entities import Account, Page
from iamd.store import schema
from iamd.store.transaction import TransactionCore

_accounts = schema.accounts
_FIELDS = tuple(f.name for f in dataclasses.fields(Account))


def _account(row: Any) -> Account:
    mapping = row._mapping
    return Account(**{name: mapping[name] for name in _FIELDS})


class SqlAccounts:
    def __init__(self, core: TransactionCore) -> None:
        self._core = core

    def insert(self, account: Account) -> None:
        """A second account with the same id or alias raises Conflict."""
        self._core.execute(_accounts.insert().values(
            **{name: getattr(account, name) for name in _FIELDS}))

    def get(self, account_id: str) -> Account | None:
        row = self._core.execute(
            select(_accounts).where(_accounts.c.account_id == account_id)).first()
        return None if row is None else _account(row)

    def get_by_alias(self, alias: str) -> Account | None:
        row = self._core.execute(select(_accounts).where(_accounts.c.alias == alias)).first()
        return None if row is None else _account(row)

    def first(self) -> Account | None:
        """The account the store was set up with: the oldest one. It stays the
        default however many accounts `iamd account create` adds later."""
        row = self._core.execute(select(_accounts).order_by(
            _accounts.c.created, _accounts.c.account_id).limit(1)).first()
        return None if row is None else _account(row)

    def list(self, *, after: str | None = None, limit: int = 100) -> Page[Account]:
        """Accounts by id."""
        return self._core.page(select(_accounts), listing="accounts",
                               order=[_accounts.c.account_id], after=after, limit=limit,
                               convert=_account)

    def get_by_email(self, email: str) -> Account | None:
        """The account whose root user has this email address (compared ignoring case)."""
        row = self._core.execute(select(_accounts).where(
            func.lower(_accounts.c.email) == email.lower()).order_by(
            _accounts.c.created, _accounts.c.account_id).limit(1)).first()
        return None if row is None else _account(row)

    def root_password_hash(self, account_id: str) -> str | None:
        row = self._core.execute(select(_accounts.c.root_password_hash).where(
            _accounts.c.account_id == account_id)).first()
        return None if row is None else row.root_password_hash

    def set_root_password_hash(self, account_id: str, password_hash: str) -> bool:
        result = self._core.execute(update(_accounts).where(
            _accounts.c.account_id == account_id).values(root_password_hash=password_hash))
        return result.rowcount == 1

    def update(self, account: Account) -> bool:
        """Write name, email and alias; False if the account is gone."""
        result = self._core.execute(
            update(_accounts).where(_accounts.c.account_id == account.account_id)
            .values(name=account.name, email=account.email, alias=account.alias))
        return result.rowcount == 1
