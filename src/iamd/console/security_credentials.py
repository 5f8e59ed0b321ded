"""My security credentials: the root user's own MFA device and access keys.

The operations are called without UserName, as the root user calling them
through the API would: CreateVirtualMFADevice + EnableMFADevice (two
consecutive codes), DeactivateMFADevice + DeleteVirtualMFADevice,
CreateAccessKey (the secret shown once), UpdateAccessKey, DeleteAccessKey.
An IAM user's own credentials live on their user page.

While a device is being assigned, its seed travels in the form between the
two steps (it is on the person's screen anyway), so a mistyped code can be
retried without creating another device.
"""

from __future__ import annotations

import base64
from urllib.parse import quote

import segno
from starlette.responses import Response
from starlette.routing import Route

from iamd.console.web import View, page
from iamd.model.errors import AwsError, ValidationError
from iamd.service.context import IAM_USER, ROOT
from iamd.service.mfa import provisioning_uri
from iamd.service.runtime import Runtime

ROOT_DEVICE_NAME = "root-account-mfa-device"


def qr_svg(seed: str, device_name: str, label: str) -> str:
    """The QR code of a device's otpauth URI, as inline SVG (no script, no image request)."""
    svg: str = segno.make_qr(provisioning_uri(seed, device_name, label), error="m").svg_inline(
        scale=4, title="QR code of the MFA device's secret", dark="#000", light="#fff")
    return svg


def _page(view: View, status: int = 200, **values: object) -> Response:
    keys, key_error = view.try_call("ListAccessKeys")
    devices, _ = view.try_call("ListMFADevices")
    last_used = {}
    for key in (keys or {}).get("AccessKeyMetadata", []):
        used, _ = view.try_call("GetAccessKeyLastUsed", {"AccessKeyId": key["AccessKeyId"]})
        last_used[key["AccessKeyId"]] = (used or {}).get("AccessKeyLastUsed", {})
    return view.render("security_credentials.html", status=status,
                       keys=(keys or {}).get("AccessKeyMetadata", []), key_error=key_error,
                       devices=(devices or {}).get("MFADevices", []), last_used=last_used,
                       **values)


def security_credentials(view: View) -> Response:
    assert view.caller is not None
    if view.caller.kind != ROOT:
        user = view.caller.user
        if view.caller.kind == IAM_USER and user is not None:
            return view.redirect(f"/console/users/{quote(user.name)}?tab=security_credentials")
        return view.render("error.html", status=400, error=ValidationError(
            "A role session has no security credentials of its own to manage."))
    if view.method == "GET":
        return _page(view)
    action = view.field("action")
    try:
        return _act(view, action)
    except AwsError as error:
        return _page(view, status=error.status, error=f"{error.code}: {error.message}")


def _act(view: View, action: str) -> Response:
    if action == "assign-mfa":
        created = view.call("CreateVirtualMFADevice", {"VirtualMFADeviceName": ROOT_DEVICE_NAME})
        device = created["VirtualMFADevice"]
        return _assigning(view, device["SerialNumber"], device["Base32StringSeed"].decode())
    if action == "enable-mfa":
        serial, seed = view.field("serial_number"), view.field("seed")
        _, error = view.try_call("EnableMFADevice", {
            "SerialNumber": serial, "AuthenticationCode1": view.field("code1"),
            "AuthenticationCode2": view.field("code2")}, model_checked=False)
        if error is not None:
            return _assigning(view, serial, seed, error=error.message, status=error.status)
        return view.redirect("/console/security-credentials?notice=mfa-assigned")
    if action == "cancel-mfa":
        view.call("DeleteVirtualMFADevice", {"SerialNumber": view.field("serial_number")})
        return view.redirect("/console/security-credentials")
    if action == "remove-mfa":
        serial = view.field("serial_number")
        view.call("DeactivateMFADevice", {"SerialNumber": serial}, model_checked=False)
        view.call("DeleteVirtualMFADevice", {"SerialNumber": serial})
        return view.redirect("/console/security-credentials?notice=mfa-removed")
    if action == "create-key":
        created = view.call("CreateAccessKey")["AccessKey"]
        return _page(view, created=created)
    if action in ("activate-key", "deactivate-key"):
        view.call("UpdateAccessKey", {"AccessKeyId": view.field("access_key_id"),
                                      "Status": "Active" if action == "activate-key"
                                      else "Inactive"})
        return view.redirect("/console/security-credentials?notice=saved")
    if action == "delete-key":
        key_id = view.field("access_key_id")
        if view.field("confirm") != key_id:
            return _page(view, status=400, error="To delete the key, enter its access key ID.")
        view.call("DeleteAccessKey", {"AccessKeyId": key_id})
        return view.redirect("/console/security-credentials?notice=deleted")
    return _page(view, status=400, error="Unknown action.")


def _assigning(view: View, serial: str, seed: str, error: str = "",
               status: int = 200) -> Response:
    assert view.caller is not None
    try:
        base64.b32decode(seed)  # only ever a seed the device creation handed out
    except ValueError:
        return _page(view, status=400, error="The MFA device's secret key is not valid.")
    return view.render("root_mfa_assign.html", status=status, serial_number=serial, seed=seed,
                       qr=qr_svg(seed, ROOT_DEVICE_NAME, view.caller.account_id), error=error,
                       action="/console/security-credentials")


def routes(runtime: Runtime) -> list[Route]:
    return [Route("/console/security-credentials", page(runtime, security_credentials),
                  methods=["GET", "POST"])]
