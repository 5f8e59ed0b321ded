"""How an operation's parameters and result appear in its audit event.

CloudTrail records a call's parameters as `requestParameters` and, for calls
that change something, its result as `responseElements`, with member names
in lower camel case (`userName`) and IAM's dates in Java's default format
("Oct 10, 2024, 1:23:45 PM"). Secrets never enter an event: a member whose
shape botocore's model marks `sensitive` (passwords, secret access keys,
private keys, SAML assertions, web identity tokens) or whose name is in
`HIDDEN_MEMBERS` (session tokens, MFA codes: the model does not mark them)
reads "HIDDEN_DUE_TO_SECURITY_REASONS", CloudTrail's own marker for a
redacted value; so does a certificate or public key member that carries a
private key (`KEY_CARRIERS`).

Walking the model costs more than a request: each operation's converters
are compiled once, on first use, and kept.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from botocore.loaders import Loader
from botocore.model import ServiceModel, Shape

from iamd.service.registry import OPERATIONS

HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"

# Members that carry a secret without a shape the model marks sensitive.
HIDDEN_MEMBERS = frozenset({
    "SessionToken",  # STS Credentials
    "AuthenticationCode1", "AuthenticationCode2",  # MFA codes (IAM)
    "TokenCode",  # MFA code (STS)
    "SAMLAssertion", "WebIdentityToken", "PrivateKey", "SecretAccessKey",
    "Password", "OldPassword", "NewPassword", "ServicePassword", "ServiceCredentialSecret",
    "Base32StringSeed", "QRCodePNG", "TradeInToken", "ClientSecret",
})

# Members that hold public keys and certificates, where a private key pasted
# by mistake (a PEM bundle with its key, an SSH private key) would ride along:
# such a value is hidden whole, though iamd refuses the call.
KEY_CARRIERS = frozenset({"CertificateBody", "CertificateChain", "SSHPublicKeyBody"})

# The resource types CloudTrail's Resources list names, by the parameter that names them.
RESOURCE_PARAMETERS = {
    "UserName": "AWS::IAM::User",
    "GroupName": "AWS::IAM::Group",
    "RoleName": "AWS::IAM::Role",
    "RoleArn": "AWS::IAM::Role",
    "PolicyArn": "AWS::IAM::Policy",
    "InstanceProfileName": "AWS::IAM::InstanceProfile",
    "AccessKeyId": "AWS::IAM::AccessKey",
    "SerialNumber": "AWS::IAM::MfaDevice",
    "OpenIDConnectProviderArn": "AWS::IAM::OIDCProvider",
    "SAMLProviderArn": "AWS::IAM::SAMLProvider",
    "ServerCertificateName": "AWS::IAM::ServerCertificate",
}

Converter = Callable[[Any], Any]

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def java_date(value: Any) -> Any:
    """A timestamp as IAM's and STS's events spell it: "Oct 10, 2024, 1:23:45 PM" (UTC)."""
    if not isinstance(value, datetime):
        return value
    stamp = value.astimezone(UTC) if value.tzinfo is not None else value
    hour = stamp.hour % 12 or 12
    return (f"{_MONTHS[stamp.month - 1]} {stamp.day}, {stamp.year}, "
            f"{hour}:{stamp.minute:02d}:{stamp.second:02d} {'PM' if stamp.hour >= 12 else 'AM'}")


def camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _hidden(value: Any) -> str:
    return HIDDEN


def _unless_private_key(value: Any) -> Any:
    if isinstance(value, str) and "PRIVATE KEY" in value:  # PEM and OpenSSH key blocks
        return HIDDEN
    return value


def _same(value: Any) -> Any:
    return value


def _blob(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _sensitive(member: str, shape: Shape) -> bool:
    return member in HIDDEN_MEMBERS or bool(shape.serialization.get("sensitive")) \
        or bool(getattr(shape, "metadata", {}).get("sensitive"))


def _compile(shape: Shape, depth: int = 0) -> Converter:
    if depth > 20:  # no IAM or STS shape nests this deep; a recursive one would
        return _hidden
    kind = shape.type_name
    if kind == "structure":
        members = tuple(
            (name, camel(name), _hidden if _sensitive(name, member)
             else _unless_private_key if name in KEY_CARRIERS else _compile(member, depth + 1))
            for name, member in shape.members.items())

        def structure(value: Any) -> Any:
            if not isinstance(value, Mapping):
                return value
            return {out: convert(value[name]) for name, out, convert in members
                    if value.get(name) is not None}
        return structure
    if kind == "list":
        item = _compile(shape.member, depth + 1)
        if item is _same:
            return lambda value: list(value) if isinstance(value, list | tuple) else value
        return lambda value: [item(v) for v in value] if isinstance(value, list | tuple) else value
    if kind == "map":
        entry = _compile(shape.value, depth + 1)
        return lambda value: ({k: entry(v) for k, v in value.items()}
                              if isinstance(value, Mapping) else value)
    if kind == "timestamp":
        return java_date
    if kind == "blob":
        return _blob
    return _same


@dataclass(frozen=True, slots=True)
class OperationShapes:
    """One operation's converters: parameters, result (None: not recorded)."""

    request: Converter
    response: Converter | None
    resource_parameters: tuple[tuple[str, str], ...]  # (parameter, resource type)


@cache
def _model(service: str) -> ServiceModel | None:
    try:
        data = Loader().load_service_model(service, "service-2")
    except Exception:  # a service botocore does not know (iamd's own)
        return None
    return ServiceModel(data, service_name=service)


def _empty(value: Any) -> Any:
    return None


@cache
def operation_shapes(service: str, name: str) -> OperationShapes:
    model = _model(service)
    if model is None or name not in model.operation_names:
        return OperationShapes(_empty, None, ())
    operation = model.operation_model(name)
    request = _compile(operation.input_shape) if operation.input_shape is not None else _empty
    output = operation.output_shape
    # CloudTrail records the result of calls that change something, and of
    # the STS calls that hand out credentials, read-only or not.
    records_result = output is not None and (
        "Credentials" in output.members or not _reads_only(service, name))
    response = _compile(output) if records_result and output is not None else None
    members = operation.input_shape.members if operation.input_shape is not None else {}
    resources = tuple((p, t) for p, t in RESOURCE_PARAMETERS.items() if p in members)
    return OperationShapes(request, response, resources)


def _reads_only(service: str, name: str) -> bool:
    spec = OPERATIONS.get((service, name))
    return spec is not None and spec.read_only
