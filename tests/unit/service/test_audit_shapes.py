"""Audit events' parameters and results against every IAM and STS operation of
botocore's models: a value in any member AWS marks sensitive, or in a member
iamd hides by name (session tokens, MFA codes), never reaches the event;
other members keep their values under CloudTrail's lower camel case names."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.loaders import Loader
from botocore.model import ServiceModel, Shape

from iamd.service.audit.shapes import HIDDEN, HIDDEN_MEMBERS, java_date, operation_shapes

SECRET = "s3cr3t-value-that-must-not-leak"
PLAIN = "plain-value"


def _model(service: str) -> ServiceModel:
    return ServiceModel(Loader().load_service_model(service, "service-2"), service_name=service)


MODELS = {service: _model(service) for service in ("iam", "sts")}
CASES = [(service, name) for service, model in MODELS.items() for name in model.operation_names]


def _sensitive(member: str, shape: Shape) -> bool:
    return member in HIDDEN_MEMBERS or bool(shape.serialization.get("sensitive")) \
        or bool(getattr(shape, "metadata", {}).get("sensitive"))


def sample(shape: Shape, hidden: bool = False, depth: int = 0) -> Any:
    """A value of `shape`: SECRET in every sensitive leaf, PLAIN in the others."""
    kind = shape.type_name
    if kind == "structure":
        return {name: sample(member, hidden or _sensitive(name, member), depth + 1)
                for name, member in shape.members.items()} if depth < 8 else {}
    if kind == "list":
        return [sample(shape.member, hidden, depth + 1)]
    if kind == "map":
        return {"k": sample(shape.value, hidden, depth + 1)}
    if kind == "timestamp":
        return datetime(2024, 10, 10, 13, 23, 45, tzinfo=UTC)
    if kind in ("integer", "long"):
        return 7
    if kind == "boolean":
        return True
    if kind == "blob":
        return SECRET.encode() if hidden else PLAIN.encode()
    return SECRET if hidden else PLAIN


@pytest.mark.parametrize(("service", "operation"), CASES)
def test_no_secret_reaches_an_event(service: str, operation: str) -> None:
    model = MODELS[service].operation_model(operation)
    shapes = operation_shapes(service, operation)
    if model.input_shape is not None:
        params = sample(model.input_shape)
        text = json.dumps(shapes.request(params))
        assert SECRET not in text
        if PLAIN in json.dumps(params, default=str):
            assert PLAIN in text or HIDDEN in text
    if model.output_shape is not None and shapes.response is not None:
        text = json.dumps(shapes.response(sample(model.output_shape)), default=str)
        assert SECRET not in text


def test_the_secrets_aws_names_are_hidden() -> None:
    created = operation_shapes("iam", "CreateAccessKey").response
    assert created is not None
    answer = created({"AccessKey": {"UserName": "bob", "AccessKeyId": "AKIA1",
                                    "SecretAccessKey": "x", "Status": "Active"}})
    assert answer == {"accessKey": {"userName": "bob", "accessKeyId": "AKIA1",
                                    "secretAccessKey": HIDDEN, "status": "Active"}}
    assumed = operation_shapes("sts", "AssumeRole").response
    assert assumed is not None
    credentials = assumed({"Credentials": {"AccessKeyId": "ASIA1", "SecretAccessKey": "x",
                                           "SessionToken": "t",
                                           "Expiration": datetime(2024, 10, 10, 13, 23, 45,
                                                                  tzinfo=UTC)}})["credentials"]
    assert credentials == {"accessKeyId": "ASIA1", "secretAccessKey": HIDDEN,
                           "sessionToken": HIDDEN, "expiration": "Oct 10, 2024, 1:23:45 PM"}
    assert operation_shapes("sts", "AssumeRoleWithSAML").request(
        {"RoleArn": "r", "PrincipalArn": "p", "SAMLAssertion": "a"}) == {
        "roleArn": "r", "principalArn": "p", "sAMLAssertion": HIDDEN}


def test_reads_record_no_result_but_credentials_do() -> None:
    assert operation_shapes("iam", "GetUser").response is None
    assert operation_shapes("sts", "GetCallerIdentity").response is None
    assert operation_shapes("sts", "AssumeRoleWithWebIdentity").response is not None
    assert operation_shapes("iam", "CreateUser").response is not None


@pytest.mark.parametrize(("when", "text"), [
    (datetime(2024, 1, 2, 0, 5, 9, tzinfo=UTC), "Jan 2, 2024, 12:05:09 AM"),
    (datetime(2024, 12, 31, 12, 0, 0, tzinfo=UTC), "Dec 31, 2024, 12:00:00 PM"),
    (datetime(2024, 7, 4, 23, 59, 59, tzinfo=UTC), "Jul 4, 2024, 11:59:59 PM"),
])
def test_dates_are_written_as_iam_writes_them(when: datetime, text: str) -> None:
    assert java_date(when) == text


@pytest.mark.parametrize(("operation", "member"), [
    ("UploadServerCertificate", "CertificateBody"), ("UploadServerCertificate", "CertificateChain"),
    ("UploadSigningCertificate", "CertificateBody"), ("UploadSSHPublicKey", "SSHPublicKeyBody")])
def test_a_private_key_riding_in_a_certificate_or_public_key_is_hidden(
        operation: str, member: str) -> None:
    request = operation_shapes("iam", operation).request
    bundle = ("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
              "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n")
    ssh_key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n-----END OPENSSH PRIVATE KEY-----\n"
    public = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    field = member[:1].lower() + member[1:]
    assert request({member: bundle})[field] == HIDDEN
    assert request({member: ssh_key})[field] == HIDDEN
    assert request({member: public})[field] == public
