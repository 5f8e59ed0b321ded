"""IAM users in the store: the shared principal operations plus sign-in bookkeeping."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from iamd.model.entities import ResourceKind, User
from iamd.store import schema
from iamd.store.principals import PrincipalRepository


class SqlUsers(PrincipalRepository[User]):
    entity = User
    table = schema.users
    listing = "users"
    tag_kind = ResourceKind.USER
    bookkeeping = frozenset({"password_last_used"})

    def record_password_used(self, user_id: str, when: datetime) -> bool:
        # A narrow update, so a console sign-in does not rewrite the whole
        # row a concurrent UpdateUser may be changing.
        result = self._core.execute(
            update(self.table).where(self.table.c.id == user_id).values(password_last_used=when))
        return result.rowcount == 1
