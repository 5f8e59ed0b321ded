"""Managed policies attached to users, groups and roles, on every backend."""

from __future__ import annotations

import pytest

from iamd.model.entities import AttachedPolicy, PolicyEntity, PrincipalKind
from iamd.store import IntegrityViolation, SqlStore

from .factories import OTHER_ACCOUNT, make_group, make_role, make_user
from .test_policies import create

USER, GROUP, ROLE = PrincipalKind.USER, PrincipalKind.GROUP, PrincipalKind.ROLE


def test_attach_is_idempotent_and_detach_reports(store: SqlStore, account: str) -> None:
    user = make_user("alice")
    with store.transaction() as tx:
        tx.users.insert(user)
        policy = create(tx, "P")
        assert tx.attachments.attach(USER, user.id, policy.id)
        assert not tx.attachments.attach(USER, user.id, policy.id)
        assert tx.attachments.count_for_principal(USER, user.id) == 1
    with store.transaction() as tx:
        assert tx.attachments.detach(USER, user.id, policy.id)
        assert not tx.attachments.detach(USER, user.id, policy.id)
        assert not tx.attachments.detach(ROLE, user.id, policy.id)
        assert tx.attachments.count_for_principal(USER, user.id) == 0


def test_list_for_principal(store: SqlStore, account: str) -> None:
    role = make_role("deployer")
    with store.transaction() as tx:
        tx.roles.insert(role)
        policies = [create(tx, name, path=path) for name, path in
                    (("zeta", "/"), ("Alpha", "/ops/"), ("beta", "/ops/"), ("gamma", "/"))]
        unattached = create(tx, "unattached")
        for policy in policies:
            tx.attachments.attach(ROLE, role.id, policy.id)
        expected = [AttachedPolicy(p.id, p.name, p.arn)
                    for p in sorted(policies, key=lambda p: p.name.lower())]
        first = tx.attachments.list_for_principal(ROLE, role.id, limit=3)
        rest = tx.attachments.list_for_principal(ROLE, role.id, after=first.marker, limit=3)
        assert list(first.items + rest.items) == expected
        assert rest.marker is None
        assert [p.name for p in tx.attachments.list_for_principal(
            ROLE, role.id, path_prefix="/ops/").items] == ["Alpha", "beta"]
        assert list(tx.attachments.all_for_principal(ROLE, role.id)) == expected
        assert unattached.id not in {p.policy_id for p in expected}
        assert tx.attachments.list_for_principal(USER, role.id).items == ()


def test_list_entities_for_policy(store: SqlStore, account: str) -> None:
    users = [make_user(n, path=p) for n, p in (("bob", "/"), ("Alice", "/ops/"))]
    groups = [make_group("admins")]
    roles = [make_role("deployer", path="/ops/")]
    outsider = make_user("eve", account_id=OTHER_ACCOUNT)
    with store.transaction() as tx:
        policy = create(tx, "Shared", account_id="aws")
        for user in [*users, outsider]:
            tx.users.insert(user)
            tx.attachments.attach(USER, user.id, policy.id)
        tx.groups.insert(groups[0])
        tx.attachments.attach(GROUP, groups[0].id, policy.id)
        tx.roles.insert(roles[0])
        tx.attachments.attach(ROLE, roles[0].id, policy.id)

        everything = [PolicyEntity(GROUP, groups[0].id, "admins"),
                      PolicyEntity(ROLE, roles[0].id, "deployer"),
                      PolicyEntity(USER, users[1].id, "Alice"),
                      PolicyEntity(USER, users[0].id, "bob")]
        assert list(tx.attachments.list_entities(policy.id, account_id=account).items) == everything
        first = tx.attachments.list_entities(policy.id, account_id=account, limit=3)
        rest = tx.attachments.list_entities(policy.id, account_id=account, after=first.marker)
        assert list(first.items + rest.items) == everything
        assert list(tx.attachments.list_entities(
            policy.id, account_id=account, kinds={USER}).items) == everything[2:]
        assert list(tx.attachments.list_entities(
            policy.id, account_id=account, path_prefix="/ops/").items) == [
                everything[1], everything[2]]
        assert tx.attachments.list_entities(policy.id, account_id=account, kinds=()).items == ()
        assert [e.name for e in tx.attachments.list_entities(
            policy.id, account_id=OTHER_ACCOUNT).items] == ["eve"]


def test_attachments_die_with_their_principal(store: SqlStore, account: str) -> None:
    user, group, role = make_user("u"), make_group("g"), make_role("r")
    with store.transaction() as tx:
        policy = create(tx, "P")
        tx.users.insert(user)
        tx.groups.insert(group)
        tx.roles.insert(role)
        tx.attachments.attach(USER, user.id, policy.id)
        tx.attachments.attach(GROUP, group.id, policy.id)
        tx.attachments.attach(ROLE, role.id, policy.id)
        assert tx.attachments.count_for_policy(policy.id) == 3
    with store.transaction() as tx:
        tx.users.delete(user.id)
        tx.groups.delete(group.id)
        assert tx.attachments.count_for_policy(policy.id) == 1
        tx.roles.delete(role.id)
        assert tx.attachments.count_for_policy(policy.id) == 0
        assert tx.policies.delete(policy.id)


@pytest.mark.parametrize("missing", ["principal", "policy"])
def test_attach_needs_both_sides(store: SqlStore, account: str, missing: str) -> None:
    user = make_user("alice")
    with store.transaction() as tx:
        tx.users.insert(user)
        policy = create(tx, "P")
    principal_id = "AIDANOSUCHUSER0000" if missing == "principal" else user.id
    policy_id = "ANPANOSUCHPOLICY00" if missing == "policy" else policy.id
    with pytest.raises(IntegrityViolation), store.transaction() as tx:
        tx.attachments.attach(USER, principal_id, policy_id)
