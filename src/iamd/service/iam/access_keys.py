"""Access keys: CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey,
GetAccessKeyLastUsed.

At most two keys a user. The secret is shown once, in CreateAccessKey's
answer, and stored only sealed under the master key (AES-GCM, bound to the
key id). Without UserName, the operations act on the calling user; called
so by the root user, on the root user's own keys (AWS allows root two keys
too, and discourages them: the console's security status says so).
"""

from __future__ import annotations

from typing import Any

from iamd.model.entities import AccessKey
from iamd.model.errors import LimitExceeded, NoSuchAccessKey
from iamd.service import ids
from iamd.service.context import ROOT, OperationContext
from iamd.service.iam.users import target_user
from iamd.service.registry import Params, operation
from iamd.store.secrets import access_key_associated_data

MAX_KEYS_PER_USER = 2
# AWS names the root user so in what it answers about the root's keys.
ROOT_NAME = "root"


def for_root(ctx: OperationContext, params: Params) -> bool:
    """Whether the call is the root user's about its own credentials."""
    return params.get("UserName") is None and ctx.caller.kind == ROOT


def _owner(ctx: OperationContext, params: Params, for_update: bool = False) -> tuple[str | None, str]:
    """(user id, user name) of the keys' owner; (None, "root") for the root user."""
    if for_root(ctx, params):
        return None, ROOT_NAME
    user = target_user(ctx, params, for_update=for_update)
    return user.id, user.name


def _keys_of(ctx: OperationContext, user_id: str | None) -> tuple[AccessKey, ...]:
    if user_id is None:
        return ctx.tx.access_keys.list_for_root(ctx.account_id)
    return ctx.tx.access_keys.list_for_user(user_id)


def _key_or_fail(ctx: OperationContext, params: Params) -> AccessKey:
    user_id, _ = _owner(ctx, params)
    key = ctx.tx.access_keys.get(params["AccessKeyId"])
    if key is None or key.user_id != user_id or key.account_id != ctx.account_id:
        raise NoSuchAccessKey(key_id=params["AccessKeyId"])
    return key


@operation("iam", "CreateAccessKey")
def create_access_key(ctx: OperationContext, params: Params) -> dict[str, Any]:
    user_id, user_name = _owner(ctx, params, for_update=True)
    if len(_keys_of(ctx, user_id)) >= MAX_KEYS_PER_USER:
        raise LimitExceeded(f"Cannot exceed quota for AccessKeysPerUser: {MAX_KEYS_PER_USER}")
    key_id = ids.access_key_id(account=ctx.account_id)
    secret = ids.secret_access_key()
    sealed = ctx.runtime.secrets.encrypt(secret.encode(), access_key_associated_data(key_id))
    ctx.tx.access_keys.insert(AccessKey(id=key_id, user_id=user_id, account_id=ctx.account_id,
                                        secret_ciphertext=sealed, status="Active",
                                        created=ctx.info.now))
    return {"AccessKey": {"UserName": user_name, "AccessKeyId": key_id, "Status": "Active",
                          "SecretAccessKey": secret, "CreateDate": ctx.info.now}}


@operation("iam", "ListAccessKeys", read_only=True)
def list_access_keys(ctx: OperationContext, params: Params) -> dict[str, Any]:
    user_id, user_name = _owner(ctx, params)
    keys = sorted(_keys_of(ctx, user_id), key=lambda k: k.created)
    # AWS leaves UserName out of a root key's metadata (the SDKs document it so).
    owner = {"UserName": user_name} if user_id is not None else {}
    return {"AccessKeyMetadata": [{**owner, "AccessKeyId": k.id, "Status": k.status,
                                   "CreateDate": k.created} for k in keys],
            "IsTruncated": False}


@operation("iam", "UpdateAccessKey")
def update_access_key(ctx: OperationContext, params: Params) -> None:
    key = _key_or_fail(ctx, params)
    ctx.tx.access_keys.update_status(key.id, params["Status"])


@operation("iam", "DeleteAccessKey")
def delete_access_key(ctx: OperationContext, params: Params) -> None:
    key = _key_or_fail(ctx, params)
    ctx.tx.access_keys.delete(key.id)


@operation("iam", "GetAccessKeyLastUsed", read_only=True, resource=lambda ctx, p: _owner_arn(ctx, p))
def get_access_key_last_used(ctx: OperationContext, params: Params) -> dict[str, Any]:
    key = ctx.tx.access_keys.get(params["AccessKeyId"])
    if key is None or key.account_id != ctx.account_id:
        raise NoSuchAccessKey(key_id=params["AccessKeyId"])
    user = ctx.tx.users.get(key.user_id) if key.user_id is not None else None
    last: dict[str, Any] = {"ServiceName": key.last_used_service or "N/A",
                            "Region": key.last_used_region or "N/A"}
    if key.last_used is not None:
        last["LastUsedDate"] = key.last_used
    return {"UserName": user.name if user else ROOT_NAME, "AccessKeyLastUsed": last}


def _owner_arn(ctx: OperationContext, params: Params) -> str:
    key = ctx.tx.access_keys.get(params.get("AccessKeyId", ""))
    user = ctx.tx.users.get(key.user_id) if key is not None and key.user_id else None
    return user.arn if user is not None else ctx.caller.arn
