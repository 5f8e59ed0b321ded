"""The errors a client can see, one class per AWS error code.

The tree, said once:

    IamdError                      anything iamd raises on purpose
    ├── AwsError                   a wire error: becomes <ErrorResponse> XML
    │   ├── (Sender, 4xx)          NoSuchEntity, EntityAlreadyExists, ...
    │   └── (Receiver, 5xx)        ServiceFailure, InternalFailure
    └── InternalError              bugs, storage and configuration problems;
                                   never shown to a client (answered as
                                   ServiceFailure with the request id)

Each AwsError subclass names its `code` (the AWS error code), its HTTP `status`
and whether the fault is the `Sender`'s or the `Receiver`'s. A sentence AWS
repeats is a template (`fmt`) on a subclass of its error, written once here
(`NoSuchUser(name=...)` is a NoSuchEntity). `ERRORS` maps
codes to classes so the protocol layer and the tests can check the registry
against the codes botocore's service models declare.
"""

from __future__ import annotations

from typing import ClassVar


class IamdError(Exception):
    """Base of every exception iamd raises on purpose."""


class InternalError(IamdError):
    """A failure that is ours, not the caller's; never shown to a client."""


class AwsError(IamdError):
    code: ClassVar[str] = "ServiceFailure"
    status: ClassVar[int] = 400
    sender: ClassVar[bool] = True
    # The message, as botocore's exceptions spell theirs: a template whose
    # fields the raiser names (`NoSuchUser(name="bob")`); without fields it is
    # the error's default sentence. A message given whole overrides it.
    fmt: ClassVar[str] = ""

    def __init__(self, message: str | None = None, **fields: object) -> None:
        self.message = self.fmt.format(**fields) if message is None else message
        super().__init__(self.message)

    @property
    def fault(self) -> str:
        return "Sender" if self.sender else "Receiver"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


# IAM and STS errors from botocore's service models, plus the common ones every
# AWS Query service answers (authentication, validation, throttling).
class NoSuchEntity(AwsError):
    code = 'NoSuchEntity'
    status = 404


class EntityAlreadyExists(AwsError):
    code = 'EntityAlreadyExists'
    status = 409


class EntityTemporarilyUnmodifiable(AwsError):
    code = 'EntityTemporarilyUnmodifiable'
    status = 409


class LimitExceeded(AwsError):
    code = 'LimitExceeded'
    status = 409


class DeleteConflict(AwsError):
    code = 'DeleteConflict'
    status = 409


class MalformedPolicyDocument(AwsError):
    code = 'MalformedPolicyDocument'


class MalformedCertificate(AwsError):
    code = 'MalformedCertificate'


class InvalidInput(AwsError):
    code = 'InvalidInput'


class InvalidAuthenticationCode(AwsError):
    code = 'InvalidAuthenticationCode'
    status = 403


class InvalidCertificate(AwsError):
    code = 'InvalidCertificate'


class InvalidPublicKey(AwsError):
    code = 'InvalidPublicKey'


class InvalidUserType(AwsError):
    code = 'InvalidUserType'


class DuplicateCertificate(AwsError):
    code = 'DuplicateCertificate'
    status = 409


class DuplicateSSHPublicKey(AwsError):
    code = 'DuplicateSSHPublicKey'


class KeyPairMismatch(AwsError):
    code = 'KeyPairMismatch'


class UnmodifiableEntity(AwsError):
    code = 'UnmodifiableEntity'


class UnrecognizedPublicKeyEncoding(AwsError):
    code = 'UnrecognizedPublicKeyEncoding'


class PasswordPolicyViolation(AwsError):
    code = 'PasswordPolicyViolation'


class PolicyNotAttachable(AwsError):
    code = 'PolicyNotAttachable'


class PolicyEvaluation(AwsError):
    code = 'PolicyEvaluation'
    status = 500
    sender = False


class ReportGenerationLimitExceeded(AwsError):
    code = 'ReportGenerationLimitExceeded'
    status = 409


class CredentialReportNotPresent(AwsError):
    code = 'ReportNotPresent'
    status = 410


class CredentialReportExpired(AwsError):
    code = 'ReportExpired'
    status = 410


class CredentialReportNotReady(AwsError):
    code = 'ReportInProgress'
    status = 404


class ServiceNotSupported(AwsError):
    code = 'NotSupportedService'
    status = 404


class ConcurrentModification(AwsError):
    code = 'ConcurrentModification'
    status = 409


class OpenIdIdpCommunicationError(AwsError):
    code = 'OpenIdIdpCommunicationError'


class UnrecognizedClientException(AwsError):
    code = 'UnrecognizedClientException'
    status = 403


class ServiceFailure(AwsError):
    code = 'ServiceFailure'
    status = 500
    sender = False
    fmt = 'The request processing has failed because of an unknown error, exception or failure.'


class InternalFailure(AwsError):
    code = 'InternalFailure'
    status = 500
    sender = False



# STS
class ExpiredToken(AwsError):
    code = 'ExpiredToken'


class IDPCommunicationError(AwsError):
    code = 'IDPCommunicationError'


class IDPRejectedClaim(AwsError):
    code = 'IDPRejectedClaim'
    status = 403


class InvalidAuthorizationMessage(AwsError):
    code = 'InvalidAuthorizationMessageException'


class InvalidIdentityToken(AwsError):
    code = 'InvalidIdentityToken'


class PackedPolicyTooLarge(AwsError):
    code = 'PackedPolicyTooLarge'


class RegionDisabled(AwsError):
    code = 'RegionDisabledException'
    status = 403



# Common to every AWS Query service
class AccessDenied(AwsError):
    code = 'AccessDenied'
    status = 403


class IncompleteSignature(AwsError):
    code = 'IncompleteSignature'


class InvalidAction(AwsError):
    code = 'InvalidAction'


class InvalidClientTokenId(AwsError):
    code = 'InvalidClientTokenId'
    status = 403
    fmt = 'The security token included in the request is invalid.'


class InvalidParameterCombination(AwsError):
    code = 'InvalidParameterCombination'


class InvalidParameterValue(AwsError):
    code = 'InvalidParameterValue'


class InvalidQueryParameter(AwsError):
    code = 'InvalidQueryParameter'


class MalformedQueryString(AwsError):
    code = 'MalformedQueryString'
    status = 404


# A Query parameter that does not parse as its type (a number that is not
# one, or beyond 32 bits); AWS answers it with no Message at all.
class MalformedInput(AwsError):
    code = 'MalformedInput'


class MissingAction(AwsError):
    code = 'MissingAction'


class MissingAuthenticationToken(AwsError):
    code = 'MissingAuthenticationToken'
    status = 403
    fmt = 'Request is missing Authentication Token'


class MissingParameter(AwsError):
    code = 'MissingParameter'


class OptInRequired(AwsError):
    code = 'OptInRequired'
    status = 403


class RequestExpired(AwsError):
    code = 'RequestExpired'


class ServiceUnavailable(AwsError):
    code = 'ServiceUnavailable'
    status = 503
    sender = False


# S3's answer to a malformed X-Amz-Expires on a presigned URL; IAM and STS
# document none of their own, so iamd borrows it.
class AuthorizationQueryParametersError(AwsError):
    code = 'AuthorizationQueryParametersError'


# A request body beyond what any IAM or STS call needs (iamd's limit, see
# docs/decisions.md); IAM and STS document no code of their own for it.
class RequestEntityTooLarge(AwsError):
    code = 'RequestEntityTooLarge'
    status = 413
    fmt = 'The request body is larger than iamd accepts.'


class SignatureDoesNotMatch(AwsError):
    code = 'SignatureDoesNotMatch'
    status = 403


class Throttling(AwsError):
    code = 'Throttling'


class ValidationError(AwsError):
    code = 'ValidationError'


# Codes of the newer IAM and STS features (organizations, outbound federation,
# delegation).
class OrganizationNotFound(AwsError):
    # botocore's model gives the shape no error code: the code is the shape's name.
    code = "OrganizationNotFoundException"
    status = 400
    fmt = "The request was rejected because no organization is associated with your account."


class FeatureDisabled(AwsError):
    code = "FeatureDisabled"
    status = 404


class FeatureEnabled(AwsError):
    code = "FeatureEnabled"
    status = 409


class ExpiredTradeInToken(AwsError):
    code = "ExpiredTradeInTokenException"
    status = 400
    fmt = "The trade-in token has expired or is not valid."


class OutboundFederationDisabled(AwsError):
    code = "OutboundWebIdentityFederationDisabledException"
    status = 403
    fmt = "OutboundWebIdentityFederation is disabled."  # as AWS words it


class SessionDurationEscalation(AwsError):
    code = "SessionDurationEscalationException"
    status = 403
    fmt = ("The requested token duration would extend the session beyond its "
                       "original expiration time.")


class JWTPayloadSizeExceeded(AwsError):
    code = "JWTPayloadSizeExceededException"
    status = 400
    fmt = ("The requested token payload size exceeds the maximum allowed size. "
                       "Reduce the number of request tags.")


class ExpiredTokenException(AwsError):
    """STS's own code for an expired token or assertion (not the signing error ExpiredToken)."""

    code = "ExpiredTokenException"


# Model-declared codes for features of AWS Organizations and role templates
# that a standalone iamd account answers with (botocore's model gives most of
# these shapes no error code: the code is the shape's name).
class AccountNotManagementOrDelegatedAdministrator(AwsError):
    code = 'AccountNotManagementOrDelegatedAdministratorException'


class CallerIsNotManagementAccount(AwsError):
    code = 'CallerIsNotManagementAccountException'


class OrganizationNotInAllFeaturesMode(AwsError):
    code = 'OrganizationNotInAllFeaturesModeException'


class ServiceAccessNotEnabled(AwsError):
    code = 'ServiceAccessNotEnabledException'


class NameConflict(AwsError):
    code = 'NameConflict'
    status = 409


class RoleModified(AwsError):
    code = 'RoleModified'
    status = 409


class RoleTemplateDisabled(AwsError):
    code = 'RoleTemplateDisabled'


class NotImplementedOperation(AwsError):
    code = 'NotImplemented'
    status = 501
    sender = False



# CloudTrail's LookupEvents (the audit trail's read API, JSON protocol).
class InvalidLookupAttributesException(AwsError):
    code = 'InvalidLookupAttributesException'


class InvalidTimeRangeException(AwsError):
    code = 'InvalidTimeRangeException'


class InvalidMaxResultsException(AwsError):
    code = 'InvalidMaxResultsException'


class InvalidNextTokenException(AwsError):
    code = 'InvalidNextTokenException'


class InvalidEventCategoryException(AwsError):
    code = 'InvalidEventCategoryException'


# NoSuchEntity as IAM words it, one sentence per kind of thing missing.
class NoSuchUser(NoSuchEntity):
    fmt = "The user with name {name} cannot be found."


class NoSuchGroup(NoSuchEntity):
    fmt = "The group with name {name} cannot be found."


class NoSuchRole(NoSuchEntity):
    fmt = "The role with name {name} cannot be found."


class NoSuchInstanceProfile(NoSuchEntity):
    fmt = "Instance Profile {name} cannot be found."


class NoSuchServerCertificate(NoSuchEntity):
    fmt = "The Server Certificate with name {name} cannot be found."


class NoSuchPolicy(NoSuchEntity):
    fmt = "Policy {arn} was not found."


class NoSuchAttachablePolicy(NoSuchEntity):
    fmt = "Policy {arn} does not exist or is not attachable."


class NoSuchPolicyVersion(NoSuchEntity):
    fmt = "Policy {arn} version {version} does not exist or is not attachable."


class NoSuchInlinePolicy(NoSuchEntity):
    fmt = "The {owner} policy with name {name} cannot be found."  # owner: user, group, role


class NoSuchLoginProfile(NoSuchEntity):
    fmt = "Login Profile for User {user} cannot be found."


class NoSuchAccessKey(NoSuchEntity):
    fmt = "The Access Key with id {key_id} cannot be found."


class NoSuchMFADevice(NoSuchEntity):
    fmt = "MFA Device with serial number {serial} does not exist."


class NoSuchSSHPublicKey(NoSuchEntity):
    fmt = "The Public Key with id {key_id} cannot be found."


class NoSuchSigningCertificate(NoSuchEntity):
    fmt = "The Certificate with id {certificate_id} cannot be found."


class NoSuchServiceCredential(NoSuchEntity):
    fmt = "No such credential {credential_id} exists"


class NoSuchOpenIDConnectProvider(NoSuchEntity):
    fmt = "OpenIDConnect Provider not found for arn {arn}"


class NoSuchSAMLProvider(NoSuchEntity):
    fmt = "Manifest not found for arn {arn}"


class NoSuchJob(NoSuchEntity):
    fmt = "The job with id {job_id} cannot be found."


# Only direct subclasses carry a code of their own; templates share their parent's.
ERRORS: dict[str, type[AwsError]] = {
    cls.code: cls for cls in AwsError.__subclasses__()
}
