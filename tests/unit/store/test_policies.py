"""Managed policies and their versions, on every backend."""

from __future__ import annotations

import dataclasses

import pytest

from iamd.model.entities import ManagedPolicy, PolicyVersion, PrincipalKind, ResourceKind, Tag
from iamd.store import Conflict, IntegrityViolation, SqlStore, SqlTransaction

from .factories import ACCOUNT, NOW, OTHER_ACCOUNT, later, make_role, make_user, unique_id

DOC = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'


def create(tx: SqlTransaction, name: str, account_id: str = ACCOUNT, path: str = "/",
           document: str = DOC, description: str | None = None) -> ManagedPolicy:
    return tx.policies.create(
        policy_id=unique_id("ANPA"), account_id=account_id, path=path, name=name,
        arn=f"arn:aws:iam::{account_id}:policy{path}{name}", document=document,
        created=NOW, description=description)


def test_create_makes_v1_the_default(store: SqlStore, account: str) -> None:
    with store.transaction() as tx:
        policy = create(tx, "ReadAll", path="/team/", description="reads")
    assert policy == ManagedPolicy(
        id=policy.id, account_id=account, path="/team/", name="ReadAll",
        arn=f"arn:aws:iam::{account}:policy/team/ReadAll", default_version_id="v1",
        created=NOW, updated=NOW, description="reads", is_attachable=True)
    with store.transaction(read_only=True) as tx:
        assert tx.policies.get(policy.id) == policy
        assert tx.policies.get_by_arn(policy.arn) == policy
        assert tx.policies.get_by_name(account, "readall") == policy
        assert tx.policy_versions.list(policy.id) == (
            PolicyVersion(policy.id, "v1", DOC, True, NOW),)
        assert tx.policy_versions.get_default(policy.id) == tx.policy_versions.get(
            policy.id, "v1")
        assert tx.policies.count(account) == 1


def test_default_document_is_the_default_version_text(store: SqlStore, account: str) -> None:
    with store.transaction() as tx:
        policy = create(tx, "P")
        tx.policy_versions.add(policy.id, '{"v":2}', later(2))
    with store.transaction(read_only=True) as tx:
        assert tx.policies.default_document(policy.arn) == DOC
        assert tx.policies.default_document(f"arn:aws:iam::{account}:policy/Nope") is None
    with store.transaction() as tx:
        assert tx.policy_versions.set_default(policy.id, "v2", later(3))
    with store.transaction(read_only=True) as tx:
        assert tx.policies.default_document(policy.arn) == '{"v":2}'


def test_policy_names_are_unique_per_account_ignoring_case(store: SqlStore,
                                                           account: str) -> None:
    with store.transaction() as tx:
        create(tx, "ReadAll")
        create(tx, "ReadAll", account_id="aws")  # AWS managed namespace is separate
        create(tx, "ReadAll", account_id=OTHER_ACCOUNT)
    with pytest.raises(Conflict) as raised, store.transaction() as tx:
        create(tx, "READALL")
    assert raised.value.constraint == "uq_policies_account_id_name_lower"


def test_versions_are_never_reused_and_listed_newest_first(store: SqlStore,
                                                           account: str) -> None:
    with store.transaction() as tx:
        policy = create(tx, "P")
        v2 = tx.policy_versions.add(policy.id, '{"v":2}', later(2))
        v3 = tx.policy_versions.add(policy.id, '{"v":3}', later(3), set_as_default=True)
    assert (v2.version_id, v2.is_default, v3.version_id, v3.is_default) == ("v2", False, "v3", True)
    with store.transaction() as tx:
        assert tx.policies.get(policy.id).default_version_id == "v3"  # type: ignore[union-attr]
        assert tx.policies.get(policy.id).updated == later(3)  # type: ignore[union-attr]
        assert tx.policy_versions.set_default(policy.id, "v1", later(4))
        assert tx.policy_versions.delete(policy.id, "v3")
        v4 = tx.policy_versions.add(policy.id, '{"v":4}', later(5))
        assert v4.version_id == "v4"
        assert [v.version_id for v in tx.policy_versions.list(policy.id)] == ["v4", "v2", "v1"]
        assert [v.is_default for v in tx.policy_versions.list(policy.id)] == [False, False, True]
        assert tx.policy_versions.count(policy.id) == 3
        assert tx.policy_versions.get(policy.id, "v3") is None
        assert not tx.policy_versions.delete(policy.id, "v3")
        assert not tx.policy_versions.set_default(policy.id, "v3", later(6))
        assert not tx.policy_versions.set_default("ANPANOSUCHPOLICY00", "v1", later(6))
        assert tx.policy_versions.get_default(policy.id).version_id == "v1"  # type: ignore[union-attr]


def test_versions_ten_and_up_sort_after_nine(store: SqlStore, account: str) -> None:
    with store.transaction() as tx:
        policy = create(tx, "P")
        for n in range(2, 12):
            tx.policy_versions.add(policy.id, f'{{"v":{n}}}', later(n))
            if n > 4:
                tx.policy_versions.delete(policy.id, f"v{n - 3}")
        assert [v.version_id for v in tx.policy_versions.list(policy.id)] == [
            "v11", "v10", "v9", "v1"]


def test_adding_a_version_to_a_missing_policy_is_refused(store: SqlStore, account: str) -> None:
    with pytest.raises(IntegrityViolation), store.transaction() as tx:
        tx.policy_versions.add("ANPANOSUCHPOLICY00", DOC, NOW)


def test_delete_takes_versions_and_tags_but_not_while_attached(store: SqlStore,
                                                               account: str) -> None:
    user = make_user("alice")
    with store.transaction() as tx:
        tx.users.insert(user)
        policy = create(tx, "P")
        tx.policy_versions.add(policy.id, DOC, later(1))
        tx.tags.replace(ResourceKind.POLICY, policy.id, [Tag("k", "v")])
        tx.attachments.attach(PrincipalKind.USER, user.id, policy.id)
    with pytest.raises(IntegrityViolation), store.transaction() as tx:
        tx.policies.delete(policy.id)
    with store.transaction() as tx:
        assert tx.policies.get(policy.id) is not None
        tx.attachments.detach(PrincipalKind.USER, user.id, policy.id)
        assert tx.policies.delete(policy.id)
        assert not tx.policies.delete(policy.id)
    with store.transaction(read_only=True) as tx:
        assert tx.policies.get(policy.id) is None
        assert tx.policy_versions.list(policy.id) == ()
        assert tx.tags.list(ResourceKind.POLICY, policy.id) == ()


def test_usage_counts_are_per_viewing_account(store: SqlStore, account: str) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    outsider = make_user("eve", account_id=OTHER_ACCOUNT)
    with store.transaction() as tx:
        aws = create(tx, "PowerUserAccess", account_id="aws")
        local = create(tx, "Local")
        bounded = dataclasses.replace(make_role("deployer"), permissions_boundary_arn=aws.arn)
        for user in (alice, bob, outsider):
            tx.users.insert(user)
        tx.users.update(dataclasses.replace(bob, permissions_boundary_arn=aws.arn))
        tx.roles.insert(bounded)
        tx.attachments.attach(PrincipalKind.USER, alice.id, aws.id)
        tx.attachments.attach(PrincipalKind.ROLE, bounded.id, aws.id)
        tx.attachments.attach(PrincipalKind.USER, outsider.id, aws.id)
        tx.attachments.attach(PrincipalKind.USER, alice.id, local.id)
    with store.transaction(read_only=True) as tx:
        mine = tx.policies.get(aws.id, viewer_account_id=account)
        theirs = tx.policies.get_by_arn(aws.arn, viewer_account_id=OTHER_ACCOUNT)
        owner = tx.policies.get(aws.id)
        assert mine is not None and theirs is not None and owner is not None
        assert (mine.attachment_count, mine.permissions_boundary_usage_count) == (2, 2)
        assert (theirs.attachment_count, theirs.permissions_boundary_usage_count) == (1, 0)
        assert (owner.attachment_count, owner.permissions_boundary_usage_count) == (0, 0)
        assert tx.policies.get(local.id).attachment_count == 1  # type: ignore[union-attr]
        assert tx.attachments.count_for_policy(aws.id) == 3


def test_list_scopes_prefix_only_attached_and_pages(store: SqlStore, account: str) -> None:
    user = make_user("alice")
    with store.transaction() as tx:
        tx.users.insert(user)
        aws_names = ["AdministratorAccess", "ReadOnlyAccess", "job-function/Billing"]
        aws = {name: create(tx, name.split("/")[-1], account_id="aws",
                            path="/job-function/" if "/" in name else "/")
               for name in aws_names}
        local = {name: create(tx, name, path="/team/" if name == "b" else "/")
                 for name in ("a", "b", "readonlyaccess")}
        create(tx, "not-mine", account_id=OTHER_ACCOUNT)
        tx.attachments.attach(PrincipalKind.USER, user.id, aws["ReadOnlyAccess"].id)
        tx.attachments.attach(PrincipalKind.USER, user.id, local["b"].id)

        def names(**kwargs: object) -> list[str]:
            return [p.name for p in tx.policies.list(account, **kwargs).items]  # type: ignore[arg-type]

        assert names(owners=[account]) == ["a", "b", "readonlyaccess"]
        assert names(owners=["aws"]) == ["AdministratorAccess", "Billing", "ReadOnlyAccess"]
        both = names(owners=[account, "aws"])
        assert both[:4] == ["a", "AdministratorAccess", "b", "Billing"]
        assert sorted(both[4:]) == ["ReadOnlyAccess", "readonlyaccess"]
        assert names(owners=[account, "aws"], only_attached=True) == ["b", "ReadOnlyAccess"]
        assert names(owners=[account, "aws"], path_prefix="/job-function/") == ["Billing"]
        assert names(owners=[account, "aws"], path_prefix="/team") == ["b"]
        everything = []
        marker = None
        while True:
            page = tx.policies.list(account, owners=[account, "aws"], after=marker, limit=4)
            everything.extend(p.name for p in page.items)
            if not page.truncated:
                break
            marker = page.marker
        assert everything == names(owners=[account, "aws"])
        # Same lower-cased name in both owners: both appear, ordered by id.
        twins = [p for p in tx.policies.list(account, owners=[account, "aws"]).items
                 if p.name.lower() == "readonlyaccess"]
        assert [p.id for p in twins] == sorted(p.id for p in twins)
        page = tx.policies.list(account, owners=[account, "aws"], limit=5)
        rest = tx.policies.list(account, owners=[account, "aws"], after=page.marker, limit=5)
        assert len(page.items) + len(rest.items) == 6
        attached = tx.policies.get(aws["ReadOnlyAccess"].id, viewer_account_id=account)
        assert attached is not None and attached.attachment_count == 1
        assert tx.policies.list(account, owners=["aws"], only_attached=True).items == (attached,)
