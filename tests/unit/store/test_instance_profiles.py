"""Instance profiles and their role links: the store's contract, on every backend."""

from __future__ import annotations

import dataclasses

import pytest

from iamd.model.entities import InstanceProfile, ResourceKind, Tag
from iamd.store import Conflict, IntegrityViolation, InvalidMarker, SqlStore

from .factories import ACCOUNT, NOW, OTHER_ACCOUNT, make_role, unique_id


def make_profile(name: str, account_id: str = ACCOUNT, path: str = "/") -> InstanceProfile:
    return InstanceProfile(id=unique_id("AIPA"), account_id=account_id, path=path, name=name,
                           arn=f"arn:aws:iam::{account_id}:instance-profile{path}{name}",
                           created=NOW)


def test_insert_then_read_back_by_id_name_and_arn(store: SqlStore, account: str) -> None:
    profile = make_profile("WebServer", path="/web/")
    with store.transaction() as tx:
        tx.instance_profiles.insert(profile)
    with store.transaction(read_only=True) as tx:
        profiles = tx.instance_profiles
        assert profiles.get(profile.id) == profile
        assert profiles.get(profile.id, for_update=False) == profile
        assert profiles.get_by_name(account, "webserver") == profile
        assert profiles.get_by_name(account, "WEBSERVER") == profile
        assert profiles.get_by_arn(profile.arn) == profile
        assert profiles.get("AIPANOSUCHTHING000") is None
        assert profiles.get_by_name(OTHER_ACCOUNT, "WebServer") is None
        assert profiles.count(account) == 1
        assert profiles.count(OTHER_ACCOUNT) == 0
        assert profiles.roles(profile.id) == ()


def test_names_are_unique_per_account_ignoring_case(store: SqlStore, account: str) -> None:
    with store.transaction() as tx:
        tx.instance_profiles.insert(make_profile("WebServer"))
    with pytest.raises(Conflict) as raised, store.transaction() as tx:
        tx.instance_profiles.insert(make_profile("webserver", path="/other/"))
    assert raised.value.constraint == "uq_instance_profiles_account_id_name_lower"
    with store.transaction() as tx:
        tx.instance_profiles.insert(make_profile("webserver", account_id=OTHER_ACCOUNT))
        assert tx.instance_profiles.count(account) == 1


def test_listing_orders_by_name_filters_by_path_and_pages(store: SqlStore, account: str) -> None:
    with store.transaction() as tx:
        for name, path in (("delta", "/a/"), ("Alpha", "/a/b/"), ("charlie", "/"),
                           ("bravo", "/a/"), ("echo", "/A/")):
            tx.instance_profiles.insert(make_profile(name, path=path))
        tx.instance_profiles.insert(make_profile("zulu", account_id=OTHER_ACCOUNT))
    with store.transaction(read_only=True) as tx:
        every = tx.instance_profiles.list(account)
        assert [p.name for p in every.items] == ["Alpha", "bravo", "charlie", "delta", "echo"]
        assert every.marker is None
        # Path prefixes are case-sensitive, as AWS paths are.
        under_a = tx.instance_profiles.list(account, path_prefix="/a/")
        assert [p.name for p in under_a.items] == ["Alpha", "bravo", "delta"]
        first = tx.instance_profiles.list(account, limit=2)
        assert [p.name for p in first.items] == ["Alpha", "bravo"]
        assert first.marker is not None
        second = tx.instance_profiles.list(account, after=first.marker, limit=2)
        assert [p.name for p in second.items] == ["charlie", "delta"]
        last = tx.instance_profiles.list(account, after=second.marker, limit=2)
        assert [p.name for p in last.items] == ["echo"] and last.marker is None


def test_a_marker_from_another_listing_is_refused(store: SqlStore, account: str) -> None:
    with store.transaction() as tx:
        for name in ("one", "two"):
            tx.roles.insert(make_role(name))
            tx.instance_profiles.insert(make_profile(name))
    with store.transaction(read_only=True) as tx:
        marker = tx.roles.list(account, limit=1).marker
    assert marker is not None
    with pytest.raises(InvalidMarker), store.transaction(read_only=True) as tx:
        tx.instance_profiles.list(account, after=marker)
    with pytest.raises(InvalidMarker), store.transaction(read_only=True) as tx:
        tx.instance_profiles.list(account, after="not-a-marker")


def test_role_links_add_remove_and_read_back(store: SqlStore, account: str) -> None:
    role, other_role = make_role("AppRole", path="/svc/"), make_role("batch")
    web, worker = make_profile("web"), make_profile("worker")
    with store.transaction() as tx:
        for r in (role, other_role):
            tx.roles.insert(r)
        for p in (web, worker):
            tx.instance_profiles.insert(p)
        assert tx.instance_profiles.add_role(web.id, role.id) is True
        assert tx.instance_profiles.add_role(web.id, role.id) is False  # already linked
        assert tx.instance_profiles.add_role(worker.id, role.id) is True
    with store.transaction(read_only=True) as tx:
        profiles = tx.instance_profiles
        assert profiles.roles(web.id) == (role,)
        assert profiles.count_roles(web.id) == 1
        assert profiles.roles_of([web.id, worker.id, "AIPANOSUCH"]) == {web.id: (role,),
                                                                        worker.id: (role,)}
        assert profiles.roles_of([]) == {}
        assert profiles.count_for_role(role.id) == 2
        assert profiles.count_for_role(other_role.id) == 0
        assert [p.name for p in profiles.list_for_role(role.id).items] == ["web", "worker"]
        page = profiles.list_for_role(role.id, limit=1)
        assert [p.name for p in page.items] == ["web"] and page.marker is not None
        rest = profiles.list_for_role(role.id, after=page.marker, limit=1)
        assert [p.name for p in rest.items] == ["worker"] and rest.marker is None
    with store.transaction() as tx:
        assert tx.instance_profiles.remove_role(web.id, role.id) is True
        assert tx.instance_profiles.remove_role(web.id, role.id) is False
        assert tx.instance_profiles.remove_role(web.id, other_role.id) is False
    with store.transaction(read_only=True) as tx:
        assert tx.instance_profiles.roles(web.id) == ()
        assert tx.instance_profiles.count_for_role(role.id) == 1


def test_a_link_reads_the_role_as_it_is_now(store: SqlStore, account: str) -> None:
    role = make_role("app")
    profile = make_profile("web")
    with store.transaction() as tx:
        tx.roles.insert(role)
        tx.instance_profiles.insert(profile)
        tx.instance_profiles.add_role(profile.id, role.id)
    changed = dataclasses.replace(role, description="now described")
    with store.transaction() as tx:
        tx.roles.update(changed)
    with store.transaction(read_only=True) as tx:
        assert tx.instance_profiles.roles(profile.id) == (changed,)


def test_a_role_in_a_profile_cannot_be_deleted(store: SqlStore, account: str) -> None:
    role = make_role("app")
    profile = make_profile("web")
    with store.transaction() as tx:
        tx.roles.insert(role)
        tx.instance_profiles.insert(profile)
        tx.instance_profiles.add_role(profile.id, role.id)
    with pytest.raises(IntegrityViolation), store.transaction() as tx:
        tx.roles.delete(role.id)
    with store.transaction() as tx:
        tx.instance_profiles.remove_role(profile.id, role.id)
        assert tx.roles.delete(role.id) is True


def test_linking_needs_both_ends(store: SqlStore, account: str) -> None:
    profile = make_profile("web")
    with store.transaction() as tx:
        tx.instance_profiles.insert(profile)
    with pytest.raises(IntegrityViolation), store.transaction() as tx:
        tx.instance_profiles.add_role(profile.id, "AROANOSUCHROLE0000")


def test_delete_takes_tags_and_the_role_link_along(store: SqlStore, account: str) -> None:
    role = make_role("app")
    profile = make_profile("web")
    with store.transaction() as tx:
        tx.roles.insert(role)
        tx.instance_profiles.insert(profile)
        tx.instance_profiles.add_role(profile.id, role.id)
        tx.tags.replace(ResourceKind.INSTANCE_PROFILE, profile.id, [Tag("team", "web")])
    with store.transaction() as tx:
        assert tx.instance_profiles.delete(profile.id) is True
        assert tx.instance_profiles.delete(profile.id) is False
    with store.transaction(read_only=True) as tx:
        assert tx.instance_profiles.get(profile.id) is None
        assert tx.tags.list(ResourceKind.INSTANCE_PROFILE, profile.id) == ()
        assert tx.instance_profiles.count_for_role(role.id) == 0
    with store.transaction() as tx:
        assert tx.roles.delete(role.id) is True  # nothing holds the role any more


def test_locking_a_profile_for_update_reads_it(store: SqlStore, account: str) -> None:
    profile = make_profile("web")
    with store.transaction() as tx:
        tx.instance_profiles.insert(profile)
    with store.transaction() as tx:
        assert tx.instance_profiles.get(profile.id, for_update=True) == profile
        assert tx.instance_profiles.get_by_name(account, "WEB", for_update=True) == profile
