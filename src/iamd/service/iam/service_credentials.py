"""Service-specific credentials: CreateServiceSpecificCredential,
ListServiceSpecificCredentials, ResetServiceSpecificCredential,
UpdateServiceSpecificCredential, DeleteServiceSpecificCredential.

A user name and password that work for one service only: CodeCommit's Git
over HTTPS and Amazon Keyspaces (the services AWS issues such passwords for;
any other name is NoSuchEntity, as AWS answers it). The user name is the IAM
user's name and the account, `alice-at-123456789012`, with `+1` after the
name for the user's second credential for the same service so the two stay
distinct. The password is shown once, by Create and by Reset, and kept only
sealed under the master key, bound to the credential's id. A user holds at
most two credentials per service.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Mapping
from typing import Any

from iamd.model.entities import ServiceSpecificCredential, User
from iamd.model.errors import InvalidInput, LimitExceeded, NoSuchEntity, NoSuchServiceCredential
from iamd.service import ids
from iamd.service.context import OperationContext
from iamd.service.iam.common import checked_marker, list_result, page_args
from iamd.service.iam.signing_certificates import checked_status
from iamd.service.iam.users import target_user
from iamd.service.registry import Params, operation

SUPPORTED_SERVICES = frozenset({"codecommit.amazonaws.com", "cassandra.amazonaws.com"})
MAX_PER_USER_PER_SERVICE = 2
CREDENTIAL_PREFIX = "ACCA"
# 44 random bytes: the 60-character, "="-terminated base64 AWS hands out.
_PASSWORD_BYTES = 44


def password_associated_data(credential_id: str) -> bytes:
    """What a service password is sealed to: its credential's id."""
    return b"iamd/service-specific-credential/" + credential_id.encode("ascii")


def new_password() -> str:
    return base64.b64encode(secrets.token_bytes(_PASSWORD_BYTES)).decode("ascii")


def check_service(name: str) -> str:
    if name not in SUPPORTED_SERVICES:
        raise NoSuchEntity(f"No such service {name} is supported for Service Specific Credentials")
    return name


def not_found(credential_id: str) -> NoSuchEntity:
    return NoSuchServiceCredential(credential_id=credential_id)


def service_user_name(user: User, account_id: str, taken: set[str]) -> str:
    slot = 0
    while True:
        suffix = f"+{slot}" if slot else ""
        candidate = f"{user.name}{suffix}-at-{account_id}"
        if candidate not in taken:
            return candidate
        slot += 1


def metadata_shape(user_name: str, credential: ServiceSpecificCredential) -> dict[str, Any]:
    return {"UserName": user_name, "Status": credential.status,
            "ServiceUserName": credential.service_user_name, "CreateDate": credential.created,
            "ServiceSpecificCredentialId": credential.id, "ServiceName": credential.service_name}


def _with_password(user: User, credential: ServiceSpecificCredential,
                   password: str) -> dict[str, Any]:
    return {"ServiceSpecificCredential": {
        "CreateDate": credential.created, "ServiceName": credential.service_name,
        "ServiceUserName": credential.service_user_name, "ServicePassword": password,
        "ServiceSpecificCredentialId": credential.id, "UserName": user.name,
        "Status": credential.status}}


def _credential_or_fail(ctx: OperationContext, params: Params,
                        for_update: bool = False) -> tuple[User, ServiceSpecificCredential]:
    user = target_user(ctx, params, for_update=for_update)
    credential_id = params["ServiceSpecificCredentialId"]
    credential = ctx.tx.service_credentials.get(credential_id)
    if credential is None or credential.user_id != user.id:
        raise not_found(credential_id)
    return user, credential


# --- condition keys: iam:ServiceSpecificCredentialServiceName ---------------------

def _requested_service(ctx: OperationContext, params: Params) -> Mapping[str, str | list[str]]:
    return {"iam:ServiceSpecificCredentialServiceName": params.get("ServiceName", "")}


def _credential_service(ctx: OperationContext, params: Params) -> Mapping[str, str | list[str]]:
    credential = ctx.tx.service_credentials.get(params.get("ServiceSpecificCredentialId", ""))
    if credential is None or credential.account_id != ctx.account_id:
        return {}
    return {"iam:ServiceSpecificCredentialServiceName": credential.service_name}


# --- operations ------------------------------------------------------------------

@operation("iam", "CreateServiceSpecificCredential", context=_requested_service)
def create_service_specific_credential(ctx: OperationContext, params: Params) -> dict[str, Any]:
    # The user first, then the service, as AWS answers a request wrong on both.
    user = target_user(ctx, params, for_update=True)
    service = check_service(params["ServiceName"])
    if params.get("CredentialAgeDays") is not None:
        # Expiry is for the API-key services (Bedrock, CloudWatch Logs) only.
        raise InvalidInput(f"CredentialAgeDays is not supported for service {service}.")
    existing = ctx.tx.service_credentials.list_for_user(user.id, service_name=service)
    if len(existing) >= MAX_PER_USER_PER_SERVICE:
        raise LimitExceeded("Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: "
                            f"{MAX_PER_USER_PER_SERVICE}")
    credential_id = ids.unique_id(CREDENTIAL_PREFIX)
    password = new_password()
    credential = ServiceSpecificCredential(
        id=credential_id, user_id=user.id, account_id=ctx.account_id, service_name=service,
        service_user_name=service_user_name(user, ctx.account_id,
                                            {c.service_user_name for c in existing}),
        password_ciphertext=ctx.runtime.secrets.encrypt(
            password.encode("ascii"), password_associated_data(credential_id)),
        status="Active", created=ctx.info.now)
    ctx.tx.service_credentials.insert(credential)
    return _with_password(user, credential, password)


@operation("iam", "ListServiceSpecificCredentials", read_only=True)
def list_service_specific_credentials(ctx: OperationContext, params: Params) -> dict[str, Any]:
    service = params.get("ServiceName")
    marker, limit = page_args(params)
    if params.get("AllUsers"):
        if params.get("UserName") is not None:
            raise InvalidInput("AllUsers cannot be specified together with UserName.")
        if service is not None:
            check_service(service)
        return _all_users(ctx, service, marker, limit)
    user = target_user(ctx, params)
    if service is not None:
        check_service(service)
    credentials = ctx.tx.service_credentials.list_for_user(user.id, service_name=service)
    return list_result(credentials, "ServiceSpecificCredentials",
                       lambda c: metadata_shape(user.name, c), marker, limit,
                       key=lambda c: f"{c.created.isoformat()}/{c.id}")


def _all_users(ctx: OperationContext, service: str | None, marker: str | None,
               limit: int) -> dict[str, Any]:
    with checked_marker():
        page = ctx.tx.service_credentials.list_for_account(ctx.account_id, service_name=service,
                                                           after=marker, limit=limit)
    names: dict[str, str] = {}
    for credential in page.items:
        if credential.user_id not in names:
            owner = ctx.tx.users.get(credential.user_id)
            names[credential.user_id] = owner.name if owner is not None else ""
    result: dict[str, Any] = {
        "ServiceSpecificCredentials": [metadata_shape(names[c.user_id], c) for c in page.items],
        "IsTruncated": page.marker is not None}
    if page.marker is not None:
        result["Marker"] = page.marker
    return result


@operation("iam", "ResetServiceSpecificCredential", context=_credential_service)
def reset_service_specific_credential(ctx: OperationContext, params: Params) -> dict[str, Any]:
    user, credential = _credential_or_fail(ctx, params, for_update=True)
    password = new_password()
    ctx.tx.service_credentials.replace_password(credential.id, ctx.runtime.secrets.encrypt(
        password.encode("ascii"), password_associated_data(credential.id)))
    return _with_password(user, credential, password)


@operation("iam", "UpdateServiceSpecificCredential", context=_credential_service)
def update_service_specific_credential(ctx: OperationContext, params: Params) -> None:
    _, credential = _credential_or_fail(ctx, params)
    ctx.tx.service_credentials.update_status(credential.id, checked_status(params["Status"]))


@operation("iam", "DeleteServiceSpecificCredential", context=_credential_service)
def delete_service_specific_credential(ctx: OperationContext, params: Params) -> None:
    _, credential = _credential_or_fail(ctx, params)
    ctx.tx.service_credentials.delete(credential.id)
