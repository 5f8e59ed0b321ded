"""IAM roles in the store: the shared principal operations plus last-used tracking."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from iamd.model.entities import ResourceKind, Role
from iamd.store import schema
from iamd.store.principals import PrincipalRepository


class SqlRoles(PrincipalRepository[Role]):
    entity = Role
    table = schema.roles
    listing = "roles"
    tag_kind = ResourceKind.ROLE
    bookkeeping = frozenset({"last_used", "last_used_region"})

    def record_last_used(self, role_id: str, when: datetime, region: str) -> bool:
        # Written on every AssumeRole; narrow so it never races a whole-row
        # UpdateRole into losing either change.
        result = self._core.execute(
            update(self.table).where(self.table.c.id == role_id)
            .values(last_used=when, last_used_region=region))
        return result.rowcount == 1
