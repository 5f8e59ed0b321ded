"""The pure parts of GetWebIdentityToken: its claims (AWS's documented token
shape), its input rules and its payload limit."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from iamd.model.errors import InvalidParameterValue, ValidationError
from iamd.service.sts.outbound_discovery import configuration_document
from iamd.service.sts.outbound_tokens import (
    CLAIMS_NAMESPACE,
    DEFAULT_DURATION_SECONDS,
    MAX_PAYLOAD_BYTES,
    audiences_of,
    check_algorithm,
    duration_of,
    payload_size,
    request_tags_of,
    token_claims,
)

ISSUED = datetime(2025, 11, 19, 12, 0, 0, tzinfo=UTC)
ISSUER = "http://127.0.0.1:8000/outbound/0b6f5a8e-6a43-4b8e-9d49-3c2f2f3f1d10"


def claims(**overrides: object) -> dict[str, object]:
    arguments: dict[str, object] = {
        "issuer": ISSUER, "subject": "arn:aws:iam::123456789012:role/DataProcessingRole",
        "audiences": ["https://api.example.com"], "issued": ISSUED, "duration": 900,
        "jti": "3d1f0c8e-0000-4000-8000-000000000001", "account_id": "123456789012",
        "region": "us-east-1", "principal_tags": {}, "request_tags": {},
    }
    arguments.update(overrides)
    return token_claims(**arguments)  # type: ignore[arg-type]


def test_claims_have_aws_shape() -> None:
    # AWS's sample token: standard claims at the top, AWS's under its namespace.
    assert claims(principal_tags={"team": "data"}, request_tags={"job": "42"}) == {
        "iss": ISSUER,
        "sub": "arn:aws:iam::123456789012:role/DataProcessingRole",
        "aud": "https://api.example.com",
        "iat": 1763553600,
        "exp": 1763553600 + 900,
        "jti": "3d1f0c8e-0000-4000-8000-000000000001",
        CLAIMS_NAMESPACE: {"aws_account": "123456789012", "source_region": "us-east-1",
                           "principal_tags": {"team": "data"}, "request_tags": {"job": "42"}},
    }


def test_several_audiences_are_a_list_and_empty_tag_claims_are_left_out() -> None:
    made = claims(audiences=["a", "b"])
    assert made["aud"] == ["a", "b"]
    assert made[CLAIMS_NAMESPACE] == {"aws_account": "123456789012", "source_region": "us-east-1"}


@pytest.mark.parametrize(("params", "expected"), [
    ({}, DEFAULT_DURATION_SECONDS),
    ({"DurationSeconds": None}, 300),
    ({"DurationSeconds": 60}, 60),
    ({"DurationSeconds": 3600}, 3600),
])
def test_duration(params: dict[str, object], expected: int) -> None:
    assert duration_of(params) == expected


def test_audiences_keep_order_once_each() -> None:
    assert audiences_of({"Audience": ["b", "a", "b"]}) == ["b", "a"]
    assert audiences_of({}) == []


@pytest.mark.parametrize("algorithm", ["RS256", "ES384"])
def test_offered_algorithms(algorithm: str) -> None:
    check_algorithm(algorithm)


@pytest.mark.parametrize("algorithm", ["", "HS256", "RS512", "ES256", "rs256", "none"])
def test_other_algorithms_are_validation_errors(algorithm: str) -> None:
    with pytest.raises(ValidationError, match="enum value set: \\[RS256, ES384\\]"):
        check_algorithm(algorithm)


def test_request_tags() -> None:
    assert request_tags_of({"Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": ""}]}) \
        == {"a": "1", "b": ""}
    assert request_tags_of({}) == {}
    with pytest.raises(InvalidParameterValue, match="case insensitive"):
        request_tags_of({"Tags": [{"Key": "Team", "Value": "1"}, {"Key": "team", "Value": "2"}]})


def test_payload_size_counts_utf8_bytes() -> None:
    small = claims()
    assert payload_size(small) < 1024
    wide = claims(request_tags={"k": "é" * 100})
    assert payload_size(wide) - payload_size(claims(request_tags={"k": ""})) == 200


def test_limit_fits_every_audience_the_model_allows() -> None:
    audiences = [f"https://{n}." + "a" * 985 for n in range(10)]
    assert payload_size(claims(audiences=audiences)) < MAX_PAYLOAD_BYTES
    tags = {f"k{n:02d}" + "k" * 125: "v" * 256 for n in range(50)}
    assert payload_size(claims(request_tags=tags)) > MAX_PAYLOAD_BYTES


def test_configuration_document() -> None:
    document = configuration_document(ISSUER)
    assert document["issuer"] == ISSUER
    assert document["jwks_uri"] == ISSUER + "/.well-known/jwks.json"
    assert document["id_token_signing_alg_values_supported"] == ["RS256", "ES384"]
    assert {"response_types_supported", "subject_types_supported", "claims_supported"} <= set(document)
