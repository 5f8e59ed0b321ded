"""The errors of AWS Organizations, one class per code (JSON 1.1 protocol).

Organizations answers every client error with HTTP 400 and a `Message`; a
few errors add a `Reason` (ConstraintViolationException, InvalidInputException),
which the JSON encoder writes from `extra`. The sentences are AWS's.
"""

from __future__ import annotations

from typing import ClassVar

from iamd.model.errors import AwsError


class OrganizationsError(AwsError):
    code: ClassVar[str] = "ServiceException"
    status: ClassVar[int] = 400

    def __init__(self, message: str | None = None, *, reason: str | None = None,
                 **fields: object) -> None:
        super().__init__(message, **fields)
        self.extra = {"Reason": reason} if reason else {}


class AWSOrganizationsNotInUse(OrganizationsError):
    code = "AWSOrganizationsNotInUseException"
    fmt = "Your account is not a member of an organization."


class AlreadyInOrganization(OrganizationsError):
    code = "AlreadyInOrganizationException"
    fmt = "The provided account is already a member of an organization."


class AccountNotFound(OrganizationsError):
    code = "AccountNotFoundException"
    fmt = "You specified an account that doesn't exist."


class ChildNotFound(OrganizationsError):
    code = "ChildNotFoundException"
    fmt = "We can't find an organizational unit (OU) or AWS account with the ChildId that you specified."


class ParentNotFound(OrganizationsError):
    code = "ParentNotFoundException"
    fmt = "We can't find a root or OU with the ParentId that you specified."


class SourceParentNotFound(OrganizationsError):
    code = "SourceParentNotFoundException"
    fmt = "We can't find a source root or OU with the ParentId that you specified."


class DestinationParentNotFound(OrganizationsError):
    code = "DestinationParentNotFoundException"
    fmt = "We can't find the destination container (a root or OU) with the ParentId that you specified."


class DuplicateAccount(OrganizationsError):
    code = "DuplicateAccountException"
    fmt = "That account is already present in the specified destination."


class OrganizationalUnitNotFound(OrganizationsError):
    code = "OrganizationalUnitNotFoundException"
    fmt = "We can't find an OU with the OrganizationalUnitId that you specified."


class OrganizationalUnitNotEmpty(OrganizationsError):
    code = "OrganizationalUnitNotEmptyException"
    fmt = ("The specified OU is not empty. Move all accounts to another root or to other OUs, "
           "remove all child OUs, and try the operation again.")


class DuplicateOrganizationalUnit(OrganizationsError):
    code = "DuplicateOrganizationalUnitException"
    fmt = "An OU with the same name already exists."


class OrganizationNotEmpty(OrganizationsError):
    code = "OrganizationNotEmptyException"
    fmt = "To delete an organization you must first remove all member accounts (except the master)."


class RootNotFound(OrganizationsError):
    code = "RootNotFoundException"
    fmt = "You specified a root that doesn't exist."


class TargetNotFound(OrganizationsError):
    code = "TargetNotFoundException"
    fmt = "You specified a target that doesn't exist."


class PolicyNotFound(OrganizationsError):
    code = "PolicyNotFoundException"
    fmt = "We can't find a policy with the PolicyId that you specified."


class DuplicatePolicy(OrganizationsError):
    code = "DuplicatePolicyException"
    fmt = "A policy with the same name already exists."


class DuplicatePolicyAttachment(OrganizationsError):
    code = "DuplicatePolicyAttachmentException"
    fmt = "The selected policy is already attached to the specified target."


class PolicyNotAttached(OrganizationsError):
    code = "PolicyNotAttachedException"
    fmt = "The policy isn't attached to the specified target in the specified root."


class PolicyInUse(OrganizationsError):
    code = "PolicyInUseException"
    fmt = ("The policy is attached to one or more entities. You must detach it from all roots, "
           "OUs, and accounts before performing this operation.")


class PolicyTypeAlreadyEnabled(OrganizationsError):
    code = "PolicyTypeAlreadyEnabledException"
    fmt = "The specified policy type is already enabled."


class PolicyTypeNotEnabled(OrganizationsError):
    code = "PolicyTypeNotEnabledException"
    fmt = "This operation can be performed only for enabled policy types."


class MalformedPolicyDocument(OrganizationsError):
    code = "MalformedPolicyDocumentException"
    fmt = "The provided policy document doesn't meet the requirements of the specified policy type."


class CreateAccountStatusNotFound(OrganizationsError):
    code = "CreateAccountStatusNotFoundException"
    fmt = "We can't find an create account request with the CreateAccountRequestId that you specified."


class MasterCannotLeaveOrganization(OrganizationsError):
    code = "MasterCannotLeaveOrganizationException"
    fmt = ("You can't remove a management account from an organization. If you want the "
           "management account to become a member account in another organization, you must "
           "first delete the current organization.")


class ConstraintViolation(OrganizationsError):
    code = "ConstraintViolationException"


class InvalidInput(OrganizationsError):
    code = "InvalidInputException"


class AccessDeniedException(OrganizationsError):
    code = "AccessDeniedException"
    fmt = "You don't have permissions to access this resource."


class AccountAlreadyClosed(OrganizationsError):
    code = "AccountAlreadyClosedException"
    fmt = "You attempted to close an account that is already closed."


class EffectivePolicyNotFound(OrganizationsError):
    code = "EffectivePolicyNotFoundException"
    fmt = "We can't find an effective policy for the specified target."


class AccountNotRegistered(OrganizationsError):
    code = "AccountNotRegisteredException"
    fmt = "The specified account is not a delegated administrator for this AWS service."


class HandshakeNotFound(OrganizationsError):
    code = "HandshakeNotFoundException"
    fmt = "We can't find a handshake with the HandshakeId that you specified."


class InvalidHandshakeTransition(OrganizationsError):
    code = "InvalidHandshakeTransitionException"
    fmt = "You can't perform the operation on the handshake in its current state."


class HandshakeAlreadyInState(OrganizationsError):
    code = "HandshakeAlreadyInStateException"
    fmt = "The specified handshake is already in the requested state."


class HandshakeConstraintViolation(OrganizationsError):
    code = "HandshakeConstraintViolationException"


class DuplicateHandshake(OrganizationsError):
    code = "DuplicateHandshakeException"
    fmt = "A handshake with the same action and target already exists."


class PolicyTypeNotAvailableForOrganization(OrganizationsError):
    code = "PolicyTypeNotAvailableForOrganizationException"
    fmt = ("You can't use the specified policy type with the feature set currently enabled for "
           "this organization.")
