"""Virtual MFA devices: CreateVirtualMFADevice, EnableMFADevice,
DeactivateMFADevice, ResyncMFADevice, DeleteVirtualMFADevice, ListMFADevices,
ListVirtualMFADevices, GetMFADevice and their tags (TagMFADevice,
UntagMFADevice, ListMFADeviceTags).

A device is created free, with its seed shown once (as base32 text and as a
QR code PNG) and then kept only sealed. Enabling it for a user takes two
consecutive codes from it; a user holds at most eight devices, and a device
serves one user until it is deactivated. Called by the root user without
UserName, EnableMFADevice, DeactivateMFADevice, ListMFADevices and
GetMFADevice are about the root user's own devices (enabled with no user).
Deleting an enabled device, or a user with one, is refused. Codes are
checked by `iamd.service.mfa`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from iamd.model.entities import MfaDevice, ResourceKind
from iamd.model.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    InvalidAuthenticationCode,
    LimitExceeded,
    NoSuchEntity,
    NoSuchMFADevice,
    ValidationError,
)
from iamd.service import arns, mfa
from iamd.service.context import OperationContext
from iamd.service.iam.access_keys import ROOT_NAME, for_root
from iamd.service.iam.common import (
    add_tags,
    checked_marker,
    list_result,
    page_args,
    page_result,
    remove_tags,
    tag_shape,
    tags_from,
    tags_result,
)
from iamd.service.iam.users import MAX_USERS, target_user, user_shape
from iamd.service.registry import Params, operation
from iamd.store.errors import Conflict

MAX_DEVICES_PER_USER = 8  # IAM: "MFA devices in use per user"
MAX_NAME_LENGTH = 226  # the API reference's limit; botocore's model states none
# IAM: virtual MFA devices per account, assigned or not, equal the user quota.
MAX_VIRTUAL_DEVICES = MAX_USERS

# AWS's words, as its API answers them.
ALREADY_EXISTS = "MFA device already exists."
IN_USE = "MFA Device is already in use."
INVALID_CODE = "Authentication code for device is not valid."
STILL_ENABLED = "MFA VirtualDevice in use. Must deactivate first."
NOT_THE_USERS = "MFA Device invalid for user."


def no_such_device(serial_number: str) -> NoSuchEntity:
    return NoSuchMFADevice(serial=serial_number)


def device_arn(account_id: str, path: str, name: str) -> str:
    return arns.fill(arns.arn_template("iam", "mfa"), account_id,
                     MfaTokenIdWithPath=path[1:] + name)


def get_device_or_fail(ctx: OperationContext, serial_number: str,
                       for_update: bool = False) -> MfaDevice:
    device = ctx.tx.mfa_devices.get(serial_number, for_update=for_update)
    if device is None or device.account_id != ctx.account_id:
        raise no_such_device(serial_number)
    return device


# --- authorization: the device's ARN is its serial number ----------------------

def _created_arn(ctx: OperationContext, params: Params) -> str:
    return device_arn(ctx.account_id, params.get("Path") or "/",
                      params.get("VirtualMFADeviceName", ""))


def _serial_arn(ctx: OperationContext, params: Params) -> str:
    return str(params.get("SerialNumber", ""))


def _resource_tags(ctx: OperationContext, params: Params) -> Mapping[str, str | list[str]]:
    serial = params.get("SerialNumber", "")
    device = ctx.tx.mfa_devices.get(serial) if serial else None
    if device is None or device.account_id != ctx.account_id:
        return {}
    values: dict[str, str | list[str]] = {}
    for tag in ctx.tx.tags.list(ResourceKind.MFA_DEVICE, device.serial_number):
        values[f"aws:ResourceTag/{tag.key}"] = tag.value
        values[f"iam:ResourceTag/{tag.key}"] = tag.value
    return values


# --- operations --------------------------------------------------------------------

@operation("iam", "CreateVirtualMFADevice", resource=_created_arn)
def create_virtual_mfa_device(ctx: OperationContext, params: Params) -> dict[str, Any]:
    name, path = params["VirtualMFADeviceName"], params.get("Path") or "/"
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationError("1 validation error detected: Value at 'virtualMFADeviceName' failed "
                              "to satisfy constraint: Member must have length less than or equal "
                              f"to {MAX_NAME_LENGTH}")
    tags = tags_from(params)
    if ctx.tx.mfa_devices.count(ctx.account_id) >= MAX_VIRTUAL_DEVICES:
        raise LimitExceeded(f"Cannot exceed quota for VirtualMFADevicesPerAccount: "
                            f"{MAX_VIRTUAL_DEVICES}")
    serial = device_arn(ctx.account_id, path, name)
    seed = mfa.new_seed()
    device = MfaDevice(serial_number=serial, account_id=ctx.account_id, path=path, name=name,
                       seed_ciphertext=mfa.seal_seed(ctx.runtime.secrets, serial, seed),
                       created=ctx.info.now)
    try:
        ctx.tx.mfa_devices.insert(device)
    except Conflict:
        raise EntityAlreadyExists(ALREADY_EXISTS) from None
    if tags:
        ctx.tx.tags.replace(ResourceKind.MFA_DEVICE, serial, tags)
    # AWS labels the code with the calling user's name, else the account id.
    label = ctx.caller.username or ctx.account_id
    shape: dict[str, Any] = {
        "SerialNumber": serial,
        # Both are blobs: the encoder writes them in base64, and boto3 hands
        # back the base32 text and the PNG bytes.
        "Base32StringSeed": seed.encode("ascii"),
        "QRCodePNG": mfa.qr_code_png(mfa.provisioning_uri(seed, name, label)),
    }
    if tags:
        shape["Tags"] = [tag_shape(t) for t in tags]
    return {"VirtualMFADevice": shape}


def _holder(ctx: OperationContext, params: Params,
            for_update: bool = False) -> tuple[str | None, str]:
    """(user id, user name) whose devices the call is about; (None, "root") for root."""
    if for_root(ctx, params):
        return None, ROOT_NAME
    user = target_user(ctx, params, for_update=for_update)
    return user.id, user.name


def _devices_of(ctx: OperationContext, user_id: str | None) -> tuple[MfaDevice, ...]:
    if user_id is None:
        return ctx.tx.mfa_devices.list_for_root(ctx.account_id)
    return ctx.tx.mfa_devices.list_for_user(user_id)


def _holds(device: MfaDevice, account_id: str, user_id: str | None) -> bool:
    if user_id is None:
        return (device.user_id is None and device.enabled is not None
                and device.account_id == account_id)
    return device.user_id == user_id


@operation("iam", "EnableMFADevice")
def enable_mfa_device(ctx: OperationContext, params: Params) -> None:
    user_id, _ = _holder(ctx, params, for_update=True)
    device = get_device_or_fail(ctx, params["SerialNumber"], for_update=True)
    if device.user_id is not None or device.enabled is not None:
        raise EntityAlreadyExists(IN_USE)
    if len(_devices_of(ctx, user_id)) >= MAX_DEVICES_PER_USER:
        raise LimitExceeded(f"Cannot exceed quota for MFADevicesPerUser: {MAX_DEVICES_PER_USER}")
    step = mfa.check_code_pair(ctx.runtime.secrets, device, params.get("AuthenticationCode1"),
                               params.get("AuthenticationCode2"), ctx.info.now)
    if step is None:
        raise InvalidAuthenticationCode(INVALID_CODE)
    ctx.tx.mfa_devices.enable(device.serial_number, user_id, ctx.info.now, step)


def _users_device(ctx: OperationContext, params: Params) -> MfaDevice:
    """The named device, which must be enabled for the target user (or root)."""
    user_id, _ = _holder(ctx, params, for_update=True)
    device = get_device_or_fail(ctx, params["SerialNumber"], for_update=True)
    if not _holds(device, ctx.account_id, user_id):
        raise NoSuchEntity(NOT_THE_USERS)
    return device


@operation("iam", "DeactivateMFADevice")
def deactivate_mfa_device(ctx: OperationContext, params: Params) -> None:
    device = _users_device(ctx, params)
    ctx.tx.mfa_devices.deactivate(device.serial_number)


@operation("iam", "ResyncMFADevice")
def resync_mfa_device(ctx: OperationContext, params: Params) -> None:
    # iamd accepts a step either side of the current one and keeps no drift
    # offset, so resynchronizing is checking two fresh consecutive codes.
    device = _users_device(ctx, params)
    step = mfa.check_code_pair(ctx.runtime.secrets, device, params.get("AuthenticationCode1"),
                               params.get("AuthenticationCode2"), ctx.info.now)
    if step is None:
        raise InvalidAuthenticationCode(INVALID_CODE)
    ctx.tx.mfa_devices.record_step(device.serial_number, step)


@operation("iam", "DeleteVirtualMFADevice", resource=_serial_arn, context=_resource_tags)
def delete_virtual_mfa_device(ctx: OperationContext, params: Params) -> None:
    device = get_device_or_fail(ctx, params["SerialNumber"], for_update=True)
    if device.user_id is not None or device.enabled is not None:
        raise DeleteConflict(STILL_ENABLED)
    ctx.tx.mfa_devices.delete(device.serial_number)


def _mfa_device_shape(user_name: str, device: MfaDevice) -> dict[str, Any]:
    return {"UserName": user_name, "SerialNumber": device.serial_number,
            "EnableDate": device.enabled}


@operation("iam", "ListMFADevices", read_only=True)
def list_mfa_devices(ctx: OperationContext, params: Params) -> dict[str, Any]:
    after, limit = page_args(params)
    user_id, user_name = _holder(ctx, params)
    devices = _devices_of(ctx, user_id)
    return list_result(devices, "MFADevices", lambda d: _mfa_device_shape(user_name, d),
                       after, limit, key=lambda d: d.serial_number)


@operation("iam", "ListVirtualMFADevices", read_only=True)
def list_virtual_mfa_devices(ctx: OperationContext, params: Params) -> dict[str, Any]:
    after, limit = page_args(params)
    status = params.get("AssignmentStatus") or "Any"
    assigned = {"Assigned": True, "Unassigned": False}.get(status)
    with checked_marker():
        page = ctx.tx.mfa_devices.list(ctx.account_id, assigned=assigned, after=after, limit=limit)

    def shape(device: MfaDevice) -> dict[str, Any]:
        listed: dict[str, Any] = {"SerialNumber": device.serial_number}
        user = ctx.tx.users.get(device.user_id) if device.user_id is not None else None
        if user is not None:
            listed["User"] = user_shape(user)
            listed["User"].pop("PermissionsBoundary", None)
            listed["EnableDate"] = device.enabled
        elif device.enabled is not None:  # the root user's
            listed["User"] = {"Path": "/", "UserName": ctx.account_id,
                              "UserId": ctx.account_id, "Arn": arns.root_arn(ctx.account_id),
                              "CreateDate": device.enabled}
            listed["EnableDate"] = device.enabled
        return listed
    return page_result(page, "VirtualMFADevices", shape)


@operation("iam", "GetMFADevice", read_only=True)
def get_mfa_device(ctx: OperationContext, params: Params) -> dict[str, Any]:
    user_id, user_name = _holder(ctx, params)
    device = ctx.tx.mfa_devices.get(params["SerialNumber"])
    if device is None or not _holds(device, ctx.account_id, user_id):
        raise no_such_device(params["SerialNumber"])
    return _mfa_device_shape(user_name, device)


@operation("iam", "TagMFADevice", resource=_serial_arn, context=_resource_tags)
def tag_mfa_device(ctx: OperationContext, params: Params) -> None:
    tags_from(params)  # the request's own faults before the lookup, as for users and roles
    device = get_device_or_fail(ctx, params["SerialNumber"], for_update=True)
    add_tags(ctx.tx, ResourceKind.MFA_DEVICE, device.serial_number, params)


@operation("iam", "UntagMFADevice", resource=_serial_arn, context=_resource_tags)
def untag_mfa_device(ctx: OperationContext, params: Params) -> None:
    device = get_device_or_fail(ctx, params["SerialNumber"], for_update=True)
    remove_tags(ctx.tx, ResourceKind.MFA_DEVICE, device.serial_number, params)


@operation("iam", "ListMFADeviceTags", read_only=True, resource=_serial_arn,
           context=_resource_tags)
def list_mfa_device_tags(ctx: OperationContext, params: Params) -> dict[str, Any]:
    device = get_device_or_fail(ctx, params["SerialNumber"])
    return tags_result(ctx.tx, ResourceKind.MFA_DEVICE, device.serial_number, params)
