"""Entities for store tests: fixed timestamps, fresh ids, ARNs that match."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from iamd.model.entities import Group, Role, User

NOW = datetime(2026, 5, 4, 12, 0, 0, 123456, tzinfo=UTC)
ACCOUNT = "123456789012"
OTHER_ACCOUNT = "210987654321"


def unique_id(prefix: str) -> str:
    return prefix + secrets.token_hex(8).upper()


def make_user(name: str, account_id: str = ACCOUNT, path: str = "/") -> User:
    return User(id=unique_id("AIDA"), account_id=account_id, path=path, name=name,
                arn=f"arn:aws:iam::{account_id}:user{path}{name}", created=NOW)


def make_group(name: str, account_id: str = ACCOUNT, path: str = "/") -> Group:
    return Group(id=unique_id("AGPA"), account_id=account_id, path=path, name=name,
                 arn=f"arn:aws:iam::{account_id}:group{path}{name}", created=NOW)


def make_role(name: str, account_id: str = ACCOUNT, path: str = "/") -> Role:
    return Role(id=unique_id("AROA"), account_id=account_id, path=path, name=name,
                arn=f"arn:aws:iam::{account_id}:role{path}{name}", created=NOW,
                assume_role_policy_document='{"Version":"2012-10-17","Statement":[]}')


def later(seconds: int) -> datetime:
    return NOW + timedelta(seconds=seconds)
