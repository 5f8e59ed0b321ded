"""Users, groups and roles: the operations they share, on every backend."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from iamd.model.entities import Group, ResourceKind, Role, Tag, User
from iamd.store import Conflict, IntegrityViolation, InvalidMarker, SqlStore, SqlTransaction

from .factories import ACCOUNT, NOW, OTHER_ACCOUNT, later, make_group, make_role, make_user

Factory = Callable[..., Any]
KINDS: dict[str, tuple[Factory, str]] = {
    "users": (make_user, "uq_users_account_id_name_lower"),
    "groups": (make_group, "uq_groups_account_id_name_lower"),
    "roles": (make_role, "uq_roles_account_id_name_lower"),
}


@pytest.fixture(params=sorted(KINDS))
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def repo(tx: SqlTransaction, kind: str) -> Any:
    return getattr(tx, kind)


def test_insert_then_read_back_by_id_name_and_arn(store: SqlStore, account: str,
                                                  kind: str) -> None:
    make, _ = KINDS[kind]
    entity = make("Alice", path="/engineering/")
    with store.transaction() as tx:
        repo(tx, kind).insert(entity)
    with store.transaction(read_only=True) as tx:
        assert repo(tx, kind).get(entity.id) == entity
        assert repo(tx, kind).get_by_name(account, "alice") == entity
        assert repo(tx, kind).get_by_name(account, "ALICE") == entity
        assert repo(tx, kind).get_by_arn(entity.arn) == entity
        assert repo(tx, kind).get("AIDANOSUCHTHING000") is None
        assert repo(tx, kind).get_by_name(OTHER_ACCOUNT, "alice") is None
        assert repo(tx, kind).count(account) == 1


def test_names_are_unique_per_account_ignoring_case(store: SqlStore, account: str,
                                                    kind: str) -> None:
    make, constraint = KINDS[kind]
    with store.transaction() as tx:
        repo(tx, kind).insert(make("Alice"))
    with pytest.raises(Conflict) as raised, store.transaction() as tx:
        repo(tx, kind).insert(make("alice"))
    assert raised.value.constraint == constraint
    with store.transaction() as tx:
        repo(tx, kind).insert(make("alice", account_id=OTHER_ACCOUNT))  # other account: fine
        assert repo(tx, kind).count(account) == 1


def test_duplicate_id_is_a_conflict_on_the_primary_key(store: SqlStore, account: str,
                                                       kind: str) -> None:
    make, _ = KINDS[kind]
    first = make("Alice")
    with store.transaction() as tx:
        repo(tx, kind).insert(first)
    with pytest.raises(Conflict) as raised, store.transaction() as tx:
        repo(tx, kind).insert(dataclasses.replace(first, name="Bob"))
    assert raised.value.constraint == f"pk_{kind}"


def test_insert_into_unknown_account_is_refused(store: SqlStore, account: str, kind: str) -> None:
    make, _ = KINDS[kind]
    with pytest.raises(IntegrityViolation), store.transaction() as tx:
        repo(tx, kind).insert(make("Alice", account_id="999999999999"))


def test_update_renames_and_moves(store: SqlStore, account: str, kind: str) -> None:
    make, constraint = KINDS[kind]
    alice, bob = make("Alice"), make("Bob")
    with store.transaction() as tx:
        repo(tx, kind).insert(alice)
        repo(tx, kind).insert(bob)
    renamed = dataclasses.replace(alice, name="Carol", path="/new/",
                                  arn=alice.arn.replace("/Alice", "/new/Carol"),
                                  created=later(99))
    with store.transaction() as tx:
        assert repo(tx, kind).update(renamed)
    with store.transaction(read_only=True) as tx:
        stored = repo(tx, kind).get(alice.id)
        assert stored == dataclasses.replace(renamed, created=NOW)  # created never changes
        assert repo(tx, kind).get_by_name(account, "carol") == stored
        assert repo(tx, kind).get_by_name(account, "alice") is None
    with pytest.raises(Conflict) as raised, store.transaction() as tx:
        repo(tx, kind).update(dataclasses.replace(renamed, name="BOB"))
    assert raised.value.constraint == constraint
    with store.transaction() as tx:
        assert not repo(tx, kind).update(make("Nobody"))


def test_delete(store: SqlStore, account: str, kind: str) -> None:
    make, _ = KINDS[kind]
    entity = make("Alice")
    with store.transaction() as tx:
        repo(tx, kind).insert(entity)
    with store.transaction() as tx:
        assert repo(tx, kind).delete(entity.id)
        assert not repo(tx, kind).delete(entity.id)
    with store.transaction(read_only=True) as tx:
        assert repo(tx, kind).get(entity.id) is None
        assert repo(tx, kind).count(account) == 0
    with store.transaction() as tx:  # the name is free again
        repo(tx, kind).insert(make("alice"))


def test_list_pages_in_name_order_ignoring_case(store: SqlStore, account: str,
                                               kind: str) -> None:
    make, _ = KINDS[kind]
    names = ["delta", "Alpha", "charlie", "Bravo", "echo", "Foxtrot", "golf"]
    with store.transaction() as tx:
        for name in names:
            repo(tx, kind).insert(make(name))
        repo(tx, kind).insert(make("zulu", account_id=OTHER_ACCOUNT))
    seen: list[str] = []
    marker = None
    pages = 0
    while True:
        with store.transaction(read_only=True) as tx:
            page = repo(tx, kind).list(account, after=marker, limit=3)
        pages += 1
        seen.extend(item.name for item in page.items)
        assert page.truncated == (page.marker is not None)
        if not page.truncated:
            break
        assert len(page.items) == 3
        marker = page.marker
    assert pages == 3
    assert seen == sorted(names, key=str.lower)


def test_list_resumes_after_the_marker_even_if_that_row_is_gone(
        store: SqlStore, account: str, kind: str) -> None:
    make, _ = KINDS[kind]
    entities = {name: make(name) for name in ["a", "b", "c", "d"]}
    with store.transaction() as tx:
        for entity in entities.values():
            repo(tx, kind).insert(entity)
        first = repo(tx, kind).list(account, limit=2)
    assert [e.name for e in first.items] == ["a", "b"]
    with store.transaction() as tx:
        repo(tx, kind).delete(entities["b"].id)
        rest = repo(tx, kind).list(account, after=first.marker, limit=10)
    assert [e.name for e in rest.items] == ["c", "d"]
    assert rest.marker is None


def test_list_filters_on_path_prefix_case_sensitively(store: SqlStore, account: str,
                                                      kind: str) -> None:
    make, _ = KINDS[kind]
    with store.transaction() as tx:
        repo(tx, kind).insert(make("a", path="/eng/"))
        repo(tx, kind).insert(make("b", path="/eng/team_1/"))
        repo(tx, kind).insert(make("c", path="/Eng/"))
        repo(tx, kind).insert(make("d", path="/engineering/"))
        repo(tx, kind).insert(make("e", path="/"))

        def names(prefix: str | None) -> list[str]:
            return [e.name for e in repo(tx, kind).list(account, path_prefix=prefix).items]

        assert names("/eng/") == ["a", "b"]
        assert names("/eng") == ["a", "b", "d"]
        assert names("/eng/team%") == []  # no LIKE wildcards
        assert names("/eng/team_") == ["b"]
        assert names("/") == ["a", "b", "c", "d", "e"]
        assert names(None) == ["a", "b", "c", "d", "e"]


def test_markers_are_checked(store: SqlStore, account: str, kind: str) -> None:
    make, _ = KINDS[kind]
    with store.transaction() as tx:
        for name in "abc":
            repo(tx, kind).insert(make(name))
        accounts_marker = tx.accounts.list(limit=1).marker
    assert accounts_marker is not None
    for bad in ("not a marker", "!!!", "", accounts_marker):
        with pytest.raises(InvalidMarker), store.transaction(read_only=True) as tx:
            repo(tx, kind).list(account, after=bad)
    with store.transaction(read_only=True) as tx, pytest.raises(ValueError, match="at least 1"):
        repo(tx, kind).list(account, limit=0)


def test_timestamps_come_back_aware_in_utc(store: SqlStore, account: str, kind: str) -> None:
    make, _ = KINDS[kind]
    tokyo = timezone(timedelta(hours=9))
    entity = dataclasses.replace(make("Alice"), created=NOW.astimezone(tokyo))
    with store.transaction() as tx:
        repo(tx, kind).insert(entity)
        stored = repo(tx, kind).get(entity.id)
    assert stored.created == NOW
    assert stored.created.tzinfo == UTC
    with pytest.raises(ValueError, match="naive"), store.transaction() as tx:
        repo(tx, kind).insert(dataclasses.replace(make("Bob"), created=datetime(2026, 1, 1)))


def test_user_fields_and_password_bookkeeping(store: SqlStore, account: str) -> None:
    user = dataclasses.replace(
        make_user("Alice"),
        permissions_boundary_arn="arn:aws:iam::aws:policy/PowerUserAccess")
    with store.transaction() as tx:
        tx.users.insert(user)
        assert tx.users.record_password_used(user.id, later(10))
        assert not tx.users.record_password_used("AIDANOBODY0000000", later(10))
        # A whole-row update from a stale copy leaves the bookkeeping alone.
        assert tx.users.update(dataclasses.replace(user, path="/p/"))
        stored = tx.users.get(user.id)
    assert stored == dataclasses.replace(user, path="/p/", password_last_used=later(10))


def test_role_fields_and_last_used(store: SqlStore, account: str) -> None:
    role = dataclasses.replace(make_role("Deployer"), description="deploys things",
                               max_session_duration=43200,
                               permissions_boundary_arn="arn:aws:iam::aws:policy/X")
    with store.transaction() as tx:
        tx.roles.insert(role)
        assert tx.roles.record_last_used(role.id, later(5), "eu-west-1")
        assert tx.roles.update(dataclasses.replace(role, description=None))
        stored = tx.roles.get(role.id)
    assert stored == dataclasses.replace(role, description=None, last_used=later(5),
                                         last_used_region="eu-west-1")


def test_deleting_a_user_or_role_deletes_its_tags(store: SqlStore, account: str) -> None:
    user, role = make_user("Alice"), make_role("Alice")
    with store.transaction() as tx:
        tx.users.insert(user)
        tx.roles.insert(role)
        tx.tags.replace(ResourceKind.USER, user.id, [Tag("team", "a")])
        tx.tags.replace(ResourceKind.ROLE, role.id, [Tag("team", "b")])
    with store.transaction() as tx:
        tx.users.delete(user.id)
        assert tx.tags.list(ResourceKind.USER, user.id) == ()
        assert tx.tags.list(ResourceKind.ROLE, role.id) == (Tag("team", "b"),)
        tx.roles.delete(role.id)
        assert tx.tags.list(ResourceKind.ROLE, role.id) == ()


def test_entities_are_the_right_types(store: SqlStore, account: str) -> None:
    with store.transaction() as tx:
        tx.users.insert(make_user("u"))
        tx.groups.insert(make_group("g"))
        tx.roles.insert(make_role("r"))
        assert isinstance(tx.users.list(account).items[0], User)
        assert isinstance(tx.groups.list(account).items[0], Group)
        assert isinstance(tx.roles.list(account).items[0], Role)
    assert account == ACCOUNT
