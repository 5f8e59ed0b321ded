"""What temporary credentials may call through the API, whatever their policies say.

AWS's "Compare AWS STS credentials" table, row by row:

- AssumeRole, AssumeRoleWithSAML, AssumeRoleWithWebIdentity (role sessions):
  anything their policies allow, but not GetFederationToken or
  GetSessionToken (those operations refuse session credentials themselves).
- GetSessionToken (an IAM user's or the root user's session): no IAM
  operation unless MFA was given to GetSessionToken; of STS only AssumeRole
  and GetCallerIdentity.
- GetFederationToken (a federated user): no IAM operation at all; of STS
  only GetCallerIdentity.

An IAM call the credentials may never make is refused as AWS refuses it,
with InvalidClientTokenId ("The security token included in the request is
invalid"), before any policy is read. The limits are the API's: AWS lifts
them for console sessions, and so does iamd (`RequestInfo.console`).
"""

from __future__ import annotations

from iamd.model.errors import AccessDenied, InvalidClientTokenId
from iamd.service import ids
from iamd.service.context import FEDERATED_USER, IAM_USER, ROOT, Caller

_SESSION_TOKEN_STS = frozenset({"AssumeRole", "GetCallerIdentity"})
_FEDERATION_TOKEN_STS = frozenset({"GetCallerIdentity"})


def check_scope(caller: Caller, service: str, operation: str) -> None:
    session = caller.session
    key = caller.access_key_id or ""
    if session is None or not key.startswith(ids.TEMPORARY_ACCESS_KEY):
        return
    if caller.kind in (IAM_USER, ROOT):  # from GetSessionToken
        if service == "iam" and not session.mfa_authenticated:
            raise InvalidClientTokenId()
        if service == "sts" and operation not in _SESSION_TOKEN_STS:
            raise AccessDenied(f"Cannot call {operation} with session credentials")
    elif caller.kind == FEDERATED_USER:  # from GetFederationToken
        if service == "iam":
            raise InvalidClientTokenId()
        if service == "sts" and operation not in _FEDERATION_TOKEN_STS:
            raise AccessDenied(f"Cannot call {operation} with session credentials")
