"""Service activity: when each principal last used each service, and each action.

The service last accessed reports read it; the usage recorder writes it in
batches off the request path. One row per (principal, service namespace)
holds the service's last use and the action it was. The last use of each
action is a row of its own, its namespace column holding "<service>:<Action>"
(the table's key is principal and namespace), so the action-level report
needs no second table. A write keeps the later of the stored and the new
time, so a late batch from another node never moves a last use back.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from iamd.store import schema
from iamd.store.transaction import TransactionCore

_activity = schema.service_activity


@dataclass(frozen=True, slots=True)
class ServiceActivity:
    principal_arn: str
    account_id: str
    service_namespace: str  # "iam", "sts", ...
    last_accessed: datetime
    region: str | None = None
    action: str | None = None  # "CreateUser": without its service prefix


@dataclass(frozen=True, slots=True)
class ActivityNote:
    """One use to record: a principal called `namespace:action` in `region`."""

    principal_arn: str
    account_id: str
    service_namespace: str
    action: str
    region: str
    when: datetime


def _action_key(namespace: str, action: str) -> str:
    return f"{namespace}:{action}"


class SqlServiceActivity:
    def __init__(self, core: TransactionCore) -> None:
        self._core = core

    def _stored(self, principal_arn: str, namespace: str) -> datetime | None:
        value = self._core.execute(
            select(_activity.c.last_accessed).where(
                _activity.c.principal_arn == principal_arn,
                _activity.c.service_namespace == namespace)).scalar_one_or_none()
        return value if isinstance(value, datetime) else None

    def _put(self, note: ActivityNote, namespace: str) -> None:
        stored = self._stored(note.principal_arn, namespace)
        if stored is not None and stored >= note.when:
            return
        self._core.upsert(_activity, {
            "principal_arn": note.principal_arn, "service_namespace": namespace,
            "account_id": note.account_id, "last_accessed": note.when,
            "region": note.region, "action": note.action,
        }, update=("last_accessed", "region", "action"))

    def record(self, notes: Iterable[ActivityNote]) -> None:
        for note in notes:
            self._put(note, note.service_namespace)
            self._put(note, _action_key(note.service_namespace, note.action))

    def _rows(self, principal_arns: Collection[str]) -> list[ServiceActivity]:
        if not principal_arns:
            return []
        rows = self._core.execute(select(_activity).where(
            _activity.c.principal_arn.in_(list(principal_arns)))).all()
        return [ServiceActivity(principal_arn=r.principal_arn, account_id=r.account_id,
                                service_namespace=r.service_namespace,
                                last_accessed=r.last_accessed, region=r.region, action=r.action)
                for r in rows]

    def services(self, principal_arns: Collection[str]) -> tuple[ServiceActivity, ...]:
        """The last use of each service by each of the principals."""
        return tuple(r for r in self._rows(principal_arns) if ":" not in r.service_namespace)

    def actions(self, principal_arns: Collection[str]) -> tuple[ServiceActivity, ...]:
        """The last use of each action by each of the principals
        (`service_namespace` is the service's, `action` the action's name)."""
        return tuple(ServiceActivity(principal_arn=r.principal_arn, account_id=r.account_id,
                                     service_namespace=r.service_namespace.partition(":")[0],
                                     last_accessed=r.last_accessed, region=r.region,
                                     action=r.action)
                     for r in self._rows(principal_arns) if ":" in r.service_namespace)
