"""Tags, on every backend."""

from __future__ import annotations

from iamd.model.entities import ResourceKind, Tag
from iamd.store import SqlStore

USER, ROLE = ResourceKind.USER, ResourceKind.ROLE
ID = "AIDAEXAMPLE0000000"


def test_replace_keeps_the_given_order(store: SqlStore) -> None:
    tags = [Tag("zeta", "1"), Tag("Alpha", ""), Tag("mid", "3")]
    with store.transaction() as tx:
        tx.tags.replace(USER, ID, tags)
        assert tx.tags.list(USER, ID) == tuple(tags)
        tx.tags.replace(USER, ID, [Tag("only", "x")])
        assert tx.tags.list(USER, ID) == (Tag("only", "x"),)
        tx.tags.replace(USER, ID, [])
        assert tx.tags.list(USER, ID) == ()


def test_put_updates_in_place_and_appends(store: SqlStore) -> None:
    with store.transaction() as tx:
        tx.tags.put(USER, ID, [Tag("a", "1"), Tag("b", "2")])
        tx.tags.put(USER, ID, [Tag("c", "3"), Tag("A", "one")])
        assert tx.tags.list(USER, ID) == (Tag("A", "one"), Tag("b", "2"), Tag("c", "3"))
        assert tx.tags.count(USER, ID) == 3
        # Within one call a repeated key keeps its first place and last value.
        tx.tags.put(USER, ID, [Tag("d", "x"), Tag("e", "5"), Tag("D", "y")])
        assert tx.tags.list(USER, ID)[3:] == (Tag("D", "y"), Tag("e", "5"))


def test_remove_ignores_case_and_counts(store: SqlStore) -> None:
    with store.transaction() as tx:
        tx.tags.replace(USER, ID, [Tag("a", "1"), Tag("B", "2"), Tag("c", "3")])
        assert tx.tags.remove(USER, ID, ["b", "A", "missing"]) == 2
        assert tx.tags.remove(USER, ID, []) == 0
        assert tx.tags.list(USER, ID) == (Tag("c", "3"),)


def test_tags_are_per_resource(store: SqlStore) -> None:
    with store.transaction() as tx:
        tx.tags.replace(USER, ID, [Tag("k", "user")])
        tx.tags.replace(ROLE, ID, [Tag("k", "role")])
        tx.tags.replace(USER, "AIDAOTHER000000000", [Tag("k", "other")])
        assert tx.tags.list(USER, ID) == (Tag("k", "user"),)
        assert tx.tags.delete_all(ROLE, ID) == 1
        assert tx.tags.list(ROLE, ID) == ()
        assert tx.tags.list(USER, ID) == (Tag("k", "user"),)
