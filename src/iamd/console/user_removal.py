"""Deleting a user the way AWS's console does: everything it holds first.

DeleteUser refuses a user that still has credentials, policies or group
memberships (DeleteConflict). The console removes them one operation at a
time as the signed-in principal, so each step is authorized like the API
call it is; the first refusal stops the removal and is returned for the
page to show.
"""

from __future__ import annotations

import contextlib

from iamd.console.listing import every
from iamd.console.web import View
from iamd.model.errors import AwsError, NoSuchEntity


def _remove_credentials(view: View, name: str) -> None:
    user = {"UserName": name}
    for key in every(view, "ListAccessKeys", "AccessKeyMetadata", **user):
        view.call("DeleteAccessKey", {**user, "AccessKeyId": key["AccessKeyId"]})
    with contextlib.suppress(NoSuchEntity):
        view.call("DeleteLoginProfile", user)
    for device in every(view, "ListMFADevices", "MFADevices", **user):
        serial = device["SerialNumber"]
        view.call("DeactivateMFADevice", {**user, "SerialNumber": serial})
        if ":mfa/" in serial:  # virtual devices go too, as the console does
            view.call("DeleteVirtualMFADevice", {"SerialNumber": serial})
    for cert in every(view, "ListSigningCertificates", "Certificates", **user):
        view.call("DeleteSigningCertificate", {**user, "CertificateId": cert["CertificateId"]})
    for ssh in every(view, "ListSSHPublicKeys", "SSHPublicKeys", **user):
        view.call("DeleteSSHPublicKey", {**user, "SSHPublicKeyId": ssh["SSHPublicKeyId"]})
    answer = view.call("ListServiceSpecificCredentials", user)
    for credential in answer.get("ServiceSpecificCredentials", []):
        view.call("DeleteServiceSpecificCredential", {
            **user, "ServiceSpecificCredentialId": credential["ServiceSpecificCredentialId"]})


def _remove_permissions(view: View, name: str) -> None:
    user = {"UserName": name}
    for policy in every(view, "ListUserPolicies", "PolicyNames", **user):
        view.call("DeleteUserPolicy", {**user, "PolicyName": policy})
    for attached in every(view, "ListAttachedUserPolicies", "AttachedPolicies", **user):
        view.call("DetachUserPolicy", {**user, "PolicyArn": attached["PolicyArn"]})
    for group in every(view, "ListGroupsForUser", "Groups", **user):
        view.call("RemoveUserFromGroup", {**user, "GroupName": group["GroupName"]})


def delete_user_completely(view: View, name: str) -> AwsError | None:
    """Delete the user and all it holds; the first error, if any, else None."""
    try:
        view.call("GetUser", {"UserName": name})
        _remove_credentials(view, name)
        _remove_permissions(view, name)
        view.call("DeleteUser", {"UserName": name})
    except AwsError as error:
        return error
    return None
