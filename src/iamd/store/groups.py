"""IAM groups in the store; memberships are in memberships.py."""

from __future__ import annotations

from iamd.model.entities import Group
from iamd.store import schema
from iamd.store.principals import PrincipalRepository


class SqlGroups(PrincipalRepository[Group]):
    entity = Group
    table = schema.groups
    listing = "groups"
    tag_kind = None  # AWS does not tag groups
