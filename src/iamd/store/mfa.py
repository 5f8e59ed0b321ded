"""Virtual MFA devices in the store: the sealed TOTP seed, who the device is
enabled for, and the last time step a code was accepted.

The seed arrives sealed (bound to the serial number) and the store never sees
it in clear. Names are unique in an account ignoring case. A device enabled
for a user holds that user through a plain foreign key, so the database
refuses to delete the user, as AWS does. Accepting a code is one conditional
update (`record_step`): two requests racing with the same code cannot both
win, on either backend.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select, update

from iamd.model.entities import MfaDevice, Page, ResourceKind
from iamd.store import schema
from iamd.store.transaction import TransactionCore, fold

_devices = schema.mfa_devices
_FIELDS = tuple(f.name for f in dataclasses.fields(MfaDevice))

# Enabled for someone: a user (user_id set) or the root user (no user, but an
# enable date).
_ENABLED = _devices.c.user_id.is_not(None) | _devices.c.enabled.is_not(None)

def _device(row: Any) -> MfaDevice:
    mapping = row._mapping
    values = {name: mapping[name] for name in _FIELDS}
    # psycopg may hand bytea back as memoryview.
    values["seed_ciphertext"] = bytes(values["seed_ciphertext"])
    return MfaDevice(**values)


class SqlMfaDevices:
    """Virtual MFA devices of an account, by serial number (their ARN)."""

    def __init__(self, core: TransactionCore) -> None:
        self._core = core

    def insert(self, device: MfaDevice) -> None:
        """A second device of the same name (ignoring case) raises Conflict."""
        self._core.execute(_devices.insert().values(
            **{name: getattr(device, name) for name in _FIELDS}, name_lower=fold(device.name)))

    def get(self, serial_number: str, *, for_update: bool = False) -> MfaDevice | None:
        statement = select(_devices).where(_devices.c.serial_number == serial_number)
        if for_update:
            statement = statement.with_for_update()
        row = self._core.execute(statement).first()
        return None if row is None else _device(row)

    def list(self, account_id: str, *, assigned: bool | None = None, after: str | None = None,
             limit: int = 100) -> Page[MfaDevice]:
        """The account's devices by name; `assigned` keeps only enabled (True)
        or only free (False) ones."""
        statement = select(_devices).where(_devices.c.account_id == account_id)
        if assigned is not None:
            statement = statement.where(_ENABLED if assigned else ~_ENABLED)
        # Names are unique per account, so the name alone orders the listing
        # and keeps the marker short.
        return self._core.page(statement, listing="mfa-devices", order=[_devices.c.name_lower],
                               after=after, limit=limit, convert=_device)

    def list_for_user(self, user_id: str) -> tuple[MfaDevice, ...]:
        """The devices enabled for a user, first enabled first (AWS allows eight)."""
        rows = self._core.execute(select(_devices).where(_devices.c.user_id == user_id)
                                  .order_by(_devices.c.enabled, _devices.c.serial_number)).all()
        return tuple(_device(row) for row in rows)

    def list_for_root(self, account_id: str) -> tuple[MfaDevice, ...]:
        """The devices enabled for the account's root user (enabled, with no user)."""
        rows = self._core.execute(select(_devices).where(
            (_devices.c.account_id == account_id) & _devices.c.user_id.is_(None)
            & _devices.c.enabled.is_not(None))
            .order_by(_devices.c.enabled, _devices.c.serial_number)).all()
        return tuple(_device(row) for row in rows)

    def _count(self, condition: ColumnElement[bool]) -> int:
        statement = select(func.count()).select_from(_devices).where(condition)
        return int(self._core.execute(statement).scalar_one())

    def count(self, account_id: str, *, assigned: bool | None = None) -> int:
        condition = _devices.c.account_id == account_id
        if assigned is not None:
            condition = condition & (_ENABLED if assigned else ~_ENABLED)
        return self._count(condition)

    def count_for_user(self, user_id: str) -> int:
        return self._core.count(_devices, "user_id", user_id)

    def enable(self, serial_number: str, user_id: str | None, when: datetime,
               last_step: int) -> bool:
        """Enable a free device for a user (None: the root user); False if it is
        gone or already enabled."""
        result = self._core.execute(
            update(_devices).where((_devices.c.serial_number == serial_number) & ~_ENABLED)
            .values(user_id=user_id, enabled=when, last_step=last_step))
        return result.rowcount == 1

    def deactivate(self, serial_number: str) -> bool:
        """Free a device; `last_step` stays, so its old codes stay spent."""
        result = self._core.execute(
            update(_devices).where((_devices.c.serial_number == serial_number) & _ENABLED)
            .values(user_id=None, enabled=None))
        return result.rowcount == 1

    def record_step(self, serial_number: str, step: int) -> bool:
        """Accept a code's time step unless one as late was accepted already.

        One statement, so it is decided under the row's lock: of two requests
        with the same code only one sees its update applied.
        """
        result = self._core.execute(
            update(_devices).where((_devices.c.serial_number == serial_number)
                                   & (_devices.c.last_step.is_(None)
                                      | (_devices.c.last_step < step)))
            .values(last_step=step))
        return result.rowcount == 1

    def delete(self, serial_number: str) -> bool:
        """Delete the device and its tags; False if there was none."""
        self._core.execute(delete(schema.tags).where(
            (schema.tags.c.resource_kind == ResourceKind.MFA_DEVICE.value)
            & (schema.tags.c.resource_id == serial_number)))
        result = self._core.execute(
            delete(_devices).where(_devices.c.serial_number == serial_number))
        return result.rowcount == 1
