"""Finding an entity of the caller's account by name, or AWS's NoSuchEntity for it.

Every operation on a named user, group, role, instance profile or server
certificate starts the same way; `find(ctx, ROLE, name)` is that start, typed
by what it finds, with the sentence IAM answers when the name is unknown
(model/errors.py holds the sentences).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from iamd.model.entities import Group, InstanceProfile, PrincipalKind, Role, ServerCertificate, User
from iamd.model.errors import (
    NoSuchEntity,
    NoSuchGroup,
    NoSuchInstanceProfile,
    NoSuchRole,
    NoSuchServerCertificate,
    NoSuchUser,
)
from iamd.service.context import OperationContext

Entity = TypeVar("Entity")


@dataclass(frozen=True)
class Named(Generic[Entity]):
    """A kind of named entity: the store repository it lives in and the error
    answered when a name is unknown."""

    repository: str
    missing: type[NoSuchEntity]

    def missing_error(self, name: str) -> NoSuchEntity:
        return self.missing(name=name)


USER: Named[User] = Named("users", NoSuchUser)
GROUP: Named[Group] = Named("groups", NoSuchGroup)
ROLE: Named[Role] = Named("roles", NoSuchRole)
INSTANCE_PROFILE: Named[InstanceProfile] = Named("instance_profiles", NoSuchInstanceProfile)
SERVER_CERTIFICATE: Named[ServerCertificate] = Named("server_certificates",
                                                     NoSuchServerCertificate)

PRINCIPALS: dict[PrincipalKind, Named[Any]] = {
    PrincipalKind.USER: USER, PrincipalKind.GROUP: GROUP, PrincipalKind.ROLE: ROLE}


def find(ctx: OperationContext, kind: Named[Entity], name: str, *,
         for_update: bool = False) -> Entity:
    """The entity of this account called `name` (case-insensitively), read
    locked when `for_update`; NoSuchEntity in IAM's words when there is none.

    The entity authorization already read for this call (`ctx.named`: locked
    in a writing transaction) is not read again; a name it found absent is,
    since the call may have created it since."""
    entity = ctx.lookups.get((kind.repository, name.lower()))
    if entity is None:
        repository = getattr(ctx.tx, kind.repository)
        entity = repository.get_by_name(ctx.account_id, name, for_update=for_update)
        if entity is None:
            raise kind.missing_error(name)
    return cast(Entity, entity)
