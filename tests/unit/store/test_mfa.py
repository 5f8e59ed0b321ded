"""Virtual MFA devices, on every backend."""

from __future__ import annotations

import dataclasses

import pytest

from iamd.model.entities import MfaDevice, ResourceKind, Tag
from iamd.store import Conflict, IntegrityViolation, SqlStore

from .factories import ACCOUNT, NOW, OTHER_ACCOUNT, later, make_user


def make_device(name: str, account_id: str = ACCOUNT, path: str = "/") -> MfaDevice:
    return MfaDevice(serial_number=f"arn:aws:iam::{account_id}:mfa{path}{name}",
                     account_id=account_id, path=path, name=name,
                     seed_ciphertext=bytes(range(256)) + b"\x00tail", created=NOW)


def test_insert_get_enable_deactivate_delete(store: SqlStore, account: str) -> None:
    user = make_user("alice")
    device = make_device("alice-phone")
    with store.transaction() as tx:
        tx.users.insert(user)
        tx.mfa_devices.insert(device)
    with store.transaction(read_only=True) as tx:
        assert tx.mfa_devices.get(device.serial_number) == device
        assert tx.mfa_devices.get(device.serial_number, for_update=False) == device
        assert tx.mfa_devices.get("arn:aws:iam::123456789012:mfa/none") is None
        assert tx.mfa_devices.list_for_user(user.id) == ()
        assert tx.mfa_devices.count(account) == 1
        assert tx.mfa_devices.count(account, assigned=True) == 0
    with store.transaction() as tx:
        assert tx.mfa_devices.enable(device.serial_number, user.id, later(5), 41)
        # Enabled already: a second enable changes nothing.
        assert not tx.mfa_devices.enable(device.serial_number, user.id, later(9), 99)
        assert not tx.mfa_devices.enable("arn:aws:iam::123456789012:mfa/none", user.id, NOW, 1)
    enabled = dataclasses.replace(device, user_id=user.id, enabled=later(5), last_step=41)
    with store.transaction() as tx:
        assert tx.mfa_devices.get(device.serial_number, for_update=True) == enabled
        assert tx.mfa_devices.list_for_user(user.id) == (enabled,)
        assert tx.mfa_devices.count_for_user(user.id) == 1
        assert tx.mfa_devices.count(account, assigned=True) == 1
        assert tx.mfa_devices.count(account, assigned=False) == 0
        assert tx.mfa_devices.deactivate(device.serial_number)
        assert not tx.mfa_devices.deactivate(device.serial_number)
    with store.transaction() as tx:
        # The spent step survives deactivation.
        assert tx.mfa_devices.get(device.serial_number) == dataclasses.replace(device, last_step=41)
        assert tx.mfa_devices.delete(device.serial_number)
        assert not tx.mfa_devices.delete(device.serial_number)
        assert tx.mfa_devices.get(device.serial_number) is None


def test_a_step_is_accepted_once(store: SqlStore, account: str) -> None:
    device = make_device("token")
    with store.transaction() as tx:
        tx.mfa_devices.insert(device)
    with store.transaction() as tx:
        assert tx.mfa_devices.record_step(device.serial_number, 100)
        assert not tx.mfa_devices.record_step(device.serial_number, 100)
        assert not tx.mfa_devices.record_step(device.serial_number, 99)
        assert tx.mfa_devices.record_step(device.serial_number, 101)
        assert not tx.mfa_devices.record_step("arn:aws:iam::123456789012:mfa/none", 5)
    with store.transaction(read_only=True) as tx:
        found = tx.mfa_devices.get(device.serial_number)
        assert found is not None and found.last_step == 101


def test_names_are_unique_per_account_ignoring_case(store: SqlStore, account: str) -> None:
    with store.transaction() as tx:
        tx.mfa_devices.insert(make_device("Token"))
        tx.mfa_devices.insert(make_device("token", account_id=OTHER_ACCOUNT))
    with pytest.raises(Conflict) as raised, store.transaction() as tx:
        tx.mfa_devices.insert(make_device("TOKEN", path="/other/"))
    assert raised.value.constraint == "uq_mfa_devices_account_id_name_lower"


def test_listing_by_name_with_assignment_and_markers(store: SqlStore, account: str) -> None:
    user = make_user("bob")
    names = ["d-3", "D-1", "d-2", "d-4"]
    with store.transaction() as tx:
        tx.users.insert(user)
        for name in names:
            tx.mfa_devices.insert(make_device(name))
        tx.mfa_devices.insert(make_device("elsewhere", account_id=OTHER_ACCOUNT))
        assert tx.mfa_devices.enable(make_device("d-2").serial_number, user.id, NOW, 1)
        assert tx.mfa_devices.enable(make_device("d-4").serial_number, user.id, later(1), 2)
    with store.transaction(read_only=True) as tx:
        first = tx.mfa_devices.list(account, limit=3)
        assert [d.name for d in first.items] == ["D-1", "d-2", "d-3"]
        assert first.marker is not None
        rest = tx.mfa_devices.list(account, after=first.marker, limit=3)
        assert [d.name for d in rest.items] == ["d-4"] and rest.marker is None
        assert [d.name for d in tx.mfa_devices.list(account, assigned=True).items] == ["d-2", "d-4"]
        assert [d.name for d in tx.mfa_devices.list(account, assigned=False).items] == ["D-1", "d-3"]
        assert [d.name for d in tx.mfa_devices.list_for_user(user.id)] == ["d-2", "d-4"]
        assert tx.mfa_devices.count(OTHER_ACCOUNT) == 1


def test_a_user_with_an_enabled_device_cannot_be_deleted(store: SqlStore, account: str) -> None:
    user = make_user("carol")
    device = make_device("carol-phone")
    with store.transaction() as tx:
        tx.users.insert(user)
        tx.mfa_devices.insert(device)
        assert tx.mfa_devices.enable(device.serial_number, user.id, NOW, 1)
    with pytest.raises(IntegrityViolation), store.transaction() as tx:
        tx.users.delete(user.id)
    with store.transaction() as tx:
        assert tx.mfa_devices.deactivate(device.serial_number)
        assert tx.users.delete(user.id)


def test_tags_go_with_the_device(store: SqlStore, account: str) -> None:
    device = make_device("tagged")
    with store.transaction() as tx:
        tx.mfa_devices.insert(device)
        tx.tags.replace(ResourceKind.MFA_DEVICE, device.serial_number, [Tag("team", "ops")])
    with store.transaction() as tx:
        assert tx.mfa_devices.delete(device.serial_number)
        assert tx.tags.list(ResourceKind.MFA_DEVICE, device.serial_number) == ()


def test_a_device_needs_its_account(store: SqlStore, account: str) -> None:
    with pytest.raises(IntegrityViolation), store.transaction() as tx:
        tx.mfa_devices.insert(make_device("orphan", account_id="999999999999"))
