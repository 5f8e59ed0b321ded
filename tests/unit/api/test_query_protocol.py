"""The Query codec against botocore itself, for every IAM and STS operation.

Corpora first: for each operation, random valid inputs (built from the input
shape, honouring its constraints) are serialized by botocore's own Query
serializer and must decode to the same values; random outputs are encoded and
must parse, with botocore's own Query parser, back to the same values. Then
tables: the exact validation messages AWS answers, and the edges of the XML.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import pytest
from botocore.model import OperationModel, ServiceModel, Shape
from botocore.parsers import create_parser
from botocore.serialize import create_serializer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iamd.api.query_decode import QueryDecoder
from iamd.api.query_encode import QueryEncoder
from iamd.api.query_protocol import QueryProtocol
from iamd.model import errors

PROTOCOLS = {"iam": QueryProtocol("iam"), "sts": QueryProtocol("sts")}
OPERATIONS = [(service, op) for service, p in PROTOCOLS.items() for op in p.operation_names]
OUTPUT_OPERATIONS = [
    (service, op) for service, op in OPERATIONS
    if PROTOCOLS[service].service_model.operation_model(op).output_shape is not None]
SERIALIZER = create_serializer("query")
PARSER = create_parser("query")
CORPUS = settings(max_examples=12, deadline=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                         HealthCheck.data_too_large])


# -- valid values from a shape ------------------------------------------------

# Stand-ins for the Unicode categories in the models' (Java) patterns: a few
# members of each, including non-ASCII ones, so generated tags exercise them.
_CATEGORY_SAMPLES = {"L": "a-zA-Z\u00e9\u00df\u0416\u4e2d", "Z": " \u00a0\u3000",
                     "N": "0-9\u0663\u00b2"}
_SINGLE_CLASS = re.compile(r"(\^?)(\[(?:\\.|[^\]\\])*\])([+*])(\$?)")


def _generation_pattern(java: str) -> re.Pattern[str]:
    return re.compile(
        re.sub(r"\\p\{(\w)\}", lambda m: _CATEGORY_SAMPLES[m.group(1)], java), re.ASCII)


@functools.cache
def _class_members(char_class: str) -> tuple[str, ...]:
    matcher = _generation_pattern(char_class)
    return tuple(c for c in map(chr, range(0x10000))
                 if not 0xD800 <= ord(c) <= 0xDFFF and matcher.fullmatch(c))


def _pattern_strings(java: str, low: int, high: int) -> st.SearchStrategy[str]:
    single = _SINGLE_CLASS.fullmatch(java)
    if single:
        # "[class]+" through from_regex yields mostly short strings and is
        # slow on classes of thousands of characters; draw the lengths the
        # shape allows from the class's own characters instead.
        floor = max(low, 1 if single.group(3) == "+" else 0)
        return st.text(st.sampled_from(_class_members(single.group(2))),
                       min_size=floor, max_size=max(floor, high))
    return st.from_regex(_generation_pattern(java), fullmatch=True)


_FORM_TEXT = st.characters(max_codepoint=0xFFFF, exclude_categories=["Cs"])
# What XML 1.0 can carry: everything but most C0 controls, surrogates, U+FFFE/F.
_XML_TEXT = st.characters(exclude_categories=["Cs"]).filter(
    lambda c: c in "\t\n\r" or (c >= " " and c not in "\ufffe\uffff"))


def _strings(shape: Shape, output: bool) -> st.SearchStrategy[str]:
    if shape.enum:
        return st.sampled_from(shape.enum)
    low = shape.metadata.get("min", 0)
    high = min(shape.metadata.get("max", low + 40), low + 40)
    if output:
        return st.text(_XML_TEXT, max_size=30)
    if "pattern" in shape.metadata:
        return _pattern_strings(shape.metadata["pattern"], low, high).filter(
            lambda s: low <= len(s) <= max(high, low))
    return st.text(_FORM_TEXT, min_size=low, max_size=high)


def values(shape: Shape, output: bool = False, depth: int = 0) -> st.SearchStrategy[Any]:
    """Valid values of `shape`; for `output`, any XML-safe text for strings."""
    return _values(shape, output, min(depth, 1))


@functools.cache
def _values(shape: Shape, output: bool, depth: int) -> st.SearchStrategy[Any]:
    # Built once per shape: hypothesis compiles large alphabets slowly.
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        members = {name: values(member, output, depth + 1)
                   for name, member in shape.members.items()}
        if meta.get("union"):
            return st.one_of([st.fixed_dictionaries({name: member})
                              for name, member in members.items()])
        required = set(shape.required_members)
        result = st.fixed_dictionaries(
            {name: s for name, s in members.items() if name in required},
            optional={name: s for name, s in members.items() if name not in required})
        # A nested structure with no members leaves no field on the wire.
        return result if output or depth == 0 else result.filter(bool)
    if kind == "list":
        low = meta.get("min", 0)
        return st.lists(values(shape.member, output, depth + 1), min_size=low,
                        max_size=max(low, min(meta.get("max", 3), 3)))
    if kind == "map":
        low = max(meta.get("min", 0), 0 if output else 1)
        return st.dictionaries(values(shape.key, output, depth + 1),
                               values(shape.value, output, depth + 1),
                               min_size=low, max_size=max(low, min(meta.get("max", 3), 3)))
    if kind == "string":
        return _strings(shape, output)
    if kind in ("integer", "long"):
        bits = 31 if kind == "integer" else 63
        return st.integers(meta.get("min", -(2**bits)), meta.get("max", 2**bits - 1))
    if kind in ("float", "double"):
        return st.floats(meta.get("min"), meta.get("max"), allow_nan=False,
                         allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "timestamp":
        # AWS keeps milliseconds.
        return st.datetimes(datetime(1970, 1, 2), datetime(2200, 1, 1),
                            timezones=st.just(UTC)).map(
            lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000))
    if kind == "blob":
        return st.binary(min_size=meta.get("min", 0), max_size=min(meta.get("max", 40), 40))
    raise AssertionError(f"no strategy for {kind}")


def policy_documents_encoded(value: Any, shape: Shape) -> Any:
    """`value` as botocore parses it back: IAM policy documents stay URL-encoded."""
    if value is None:
        return None
    if shape.type_name == "structure":
        return {name: policy_documents_encoded(item, shape.members[name])
                for name, item in value.items()}
    if shape.type_name == "list":
        return [policy_documents_encoded(item, shape.member) for item in value]
    if shape.type_name == "map":
        return {key: policy_documents_encoded(item, shape.value) for key, item in value.items()}
    if shape.name == "policyDocumentType":
        return quote(value, safe="")
    return value


def wire(params: dict[str, Any], op: OperationModel) -> dict[str, str]:
    """Serialize with botocore, then through a form body as the HTTP layer gets it."""
    body = SERIALIZER.serialize_to_request(params, op)["body"]
    return dict(parse_qsl(urlencode(body), keep_blank_values=True))


def parse(xml: bytes, shape: Shape | None, status: int = 200) -> dict[str, Any]:
    parsed: dict[str, Any] = PARSER.parse(
        {"body": xml, "headers": {}, "status_code": status}, shape)
    return parsed


# -- corpora: every operation, both directions --------------------------------

@pytest.mark.parametrize(("service", "operation"), OPERATIONS)
@CORPUS
@given(data=st.data())
def test_decode_inverts_botocore_serializer(service: str, operation: str, data: st.DataObject
                                            ) -> None:
    protocol = PROTOCOLS[service]
    op = protocol.service_model.operation_model(operation)
    params = data.draw(values(op.input_shape)) if op.input_shape is not None else {}
    assert protocol.decode(wire(params, op)) == (operation, params)


@pytest.mark.parametrize(("service", "operation"), OUTPUT_OPERATIONS)
@CORPUS
@given(data=st.data())
def test_botocore_parser_inverts_encode(service: str, operation: str, data: st.DataObject
                                        ) -> None:
    protocol = PROTOCOLS[service]
    shape = protocol.service_model.operation_model(operation).output_shape
    result = data.draw(values(shape, output=True))
    parsed = parse(protocol.encode_result(operation, result, "req-1"), shape)
    assert parsed.pop("ResponseMetadata")["RequestId"] == "req-1"
    assert parsed == policy_documents_encoded(result, shape)


@pytest.mark.parametrize("service", sorted(PROTOCOLS))
def test_every_operation_without_output_answers_metadata_only(service: str) -> None:
    protocol = PROTOCOLS[service]
    namespace = protocol.service_model.metadata["xmlNamespace"]
    for operation in protocol.operation_names:
        if protocol.service_model.operation_model(operation).output_shape is None:
            assert protocol.encode_result(operation, {}, "r") == (
                f'<{operation}Response xmlns="{namespace}">\n  <ResponseMetadata>\n'
                f"    <RequestId>r</RequestId>\n  </ResponseMetadata>\n</{operation}Response>\n"
            ).encode()


# -- validation: AWS's messages ----------------------------------------------

VERSIONS = {"iam": "2010-05-08", "sts": "2011-06-15"}
_NAME = r"[\w+=,.@-]+"
_SESSION_NAME = r"[\w+=,.@-]*"
_TAG = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]"
_STS_ARN = r"[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+"
_DOC = '{"Version":"2012-10-17","Statement":[]}'
_ROLE = "arn:aws:iam::123456789012:role/r"


def detected(*errors: str) -> str:
    count = len(errors)
    return f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(errors)


def at(path: str, constraint: str, value: str | None = None) -> str:
    shown = "Value" if value is None else f"Value {value}"
    return f"{shown} at '{path}' failed to satisfy constraint: {constraint}"


def request(service: str, fields: dict[str, str]) -> dict[str, str]:
    return {"Version": VERSIONS[service], **fields}


# One row per case: service, fields (Action included), exact message. IAM
# leaves every value out of these messages; STS quotes them (null included),
# except for sensitive members.
VALIDATION_CASES = [
    pytest.param(
        "iam", {"Action": "CreateUser"},
        detected(at("userName", "Member must not be null")), id="iam-missing-required"),
    pytest.param(
        "iam", {"Action": "CreateRole", "RoleName": "r" * 65, "AssumeRolePolicyDocument": _DOC},
        detected(at("roleName", "Member must have length less than or equal to 64")),
        id="iam-too-long"),
    pytest.param(
        "iam", {"Action": "AttachUserPolicy", "UserName": "bob", "PolicyArn": "ReadOnly"},
        detected(at("policyArn", "Member must have length greater than or equal to 20")),
        id="iam-too-short"),
    pytest.param(
        "iam", {"Action": "UpdateAccessKey", "AccessKeyId": "AKIAIOSFODNN7EXAMPLE",
                "Status": "On"},
        detected(at("status", "Member must satisfy enum value set: [Active, Inactive, Expired]")),
        id="iam-enum"),
    pytest.param(
        "sts", {"Action": "GetWebIdentityToken", "Audience": "", "SigningAlgorithm": "RS256"},
        detected(at("audience", "Member must have length greater than or equal to 1", "'[]'")),
        id="sts-empty-list-below-minimum"),
    pytest.param(
        "iam", {"Action": "ListUsers", "MaxItems": "0"},
        detected(at("maxItems", "Member must have value greater than or equal to 1")),
        id="iam-below-range"),
    pytest.param(
        "iam", {"Action": "CreateRole", "RoleName": "r", "AssumeRolePolicyDocument": _DOC,
                "MaxSessionDuration": "43201"},
        detected(at("maxSessionDuration", "Member must have value less than or equal to 43200")),
        id="iam-above-range"),
    pytest.param(
        "iam", {"Action": "TagUser", "UserName": "bob",
                **{f"Tags.member.{i}.{part}": f"k{i}" for i in range(1, 52)
                   for part in ("Key", "Value")}},
        detected(at("tags", "Member must have length less than or equal to 50")),
        id="iam-list-too-long"),
    pytest.param(
        "iam", {"Action": "CreateUser", "Path": "home", "UserName": "bob smith"},
        detected(
            at("path", "Member must satisfy regular expression pattern: "
                       r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)"),
            at("userName", f"Member must satisfy regular expression pattern: {_NAME}")),
        id="iam-two-errors-in-member-order"),
    pytest.param(
        "iam", {"Action": "CreateUser", "UserName": ""},
        detected(at("userName", f"Member must satisfy regular expression pattern: {_NAME}"),
                 at("userName", "Member must have length greater than or equal to 1")),
        id="iam-one-value-two-errors-pattern-first"),
    pytest.param(
        "iam", {"Action": "CreateRole", "RoleName": "r", "AssumeRolePolicyDocument": _DOC,
                "Description": "emoji\U0001F600"},
        detected(at("description", "Member must satisfy regular expression pattern: "
                                   r"[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*")),
        id="iam-description-charset"),
    pytest.param(
        "iam", {"Action": "TagRole", "RoleName": "r", "Tags.member.1.Key": "team",
                "Tags.member.1.Value": "D&T", "Tags.member.2.Key": "owner"},
        detected(at("tags.1.member.value", f"Member must satisfy regular expression pattern: "
                                           f"{_TAG}*"),
                 at("tags.2.member.value", "Member must not be null")),
        id="iam-list-of-structures"),
    pytest.param(
        "iam", {"Action": "UntagUser", "UserName": "bob", "TagKeys.member.1": "team",
                "TagKeys.member.2": "a(b)"},
        detected(at("tagKeys", "Member must satisfy constraint: [Member must have length less "
                               "than or equal to 128, Member must have length greater than or "
                               f"equal to 1, Member must satisfy regular expression pattern: "
                               f"{_TAG}+]")),
        id="iam-list-of-strings"),
    pytest.param(
        "iam", {"Action": "UpdateSAMLProvider", "SAMLProviderArn": "a" * 20,
                "SAMLMetadataDocument": "short"},
        detected(at("sAMLMetadataDocument",
                    "Member must have length greater than or equal to 1000")),
        id="iam-member-name-lowers-first-letter-only"),
    pytest.param(
        "sts", {"Action": "AssumeRole", "RoleSessionName": "session"},
        detected(at("roleArn", "Member must not be null", "null")), id="sts-missing-required"),
    pytest.param(
        "sts", {"Action": "AssumeRole", "RoleArn": "", "RoleSessionName": "session"},
        detected(at("roleArn", f"Member must satisfy regular expression pattern: {_STS_ARN}",
                    "''"),
                 at("roleArn", "Member must have length greater than or equal to 20", "''")),
        id="sts-empty-arn"),
    pytest.param(
        "sts", {"Action": "AssumeRole", "RoleArn": _ROLE, "RoleSessionName": ""},
        detected(at("roleSessionName", "Member must have length greater than or equal to 2",
                    "''")), id="sts-empty-session-name"),
    pytest.param(
        "sts", {"Action": "AssumeRole", "RoleArn": _ROLE, "RoleSessionName": "bad/name"},
        detected(at("roleSessionName",
                    f"Member must satisfy regular expression pattern: {_SESSION_NAME}",
                    "'bad/name'")), id="sts-pattern"),
    pytest.param(
        "sts", {"Action": "AssumeRole", "RoleArn": _ROLE, "RoleSessionName": "a" * 65},
        detected(at("roleSessionName", "Member must have length less than or equal to 64",
                    f"'{'a' * 65}'")), id="sts-too-long"),
    pytest.param(
        "sts", {"Action": "AssumeRole", "RoleArn": _ROLE, "RoleSessionName": "session",
                "DurationSeconds": "-1"},
        detected(at("durationSeconds", "Member must have value greater than or equal to 900",
                    "'-1'")), id="sts-below-range"),
    pytest.param(
        "sts", {"Action": "AssumeRole", "RoleArn": _ROLE, "RoleSessionName": "session",
                "DurationSeconds": "2147483647"},
        detected(at("durationSeconds", "Member must have value less than or equal to 43200",
                    "'2147483647'")), id="sts-above-range"),
    # Length counts code points: 2048 emoji break only the pattern (the model's
    # "\u10000" is "\u1000" then "0", so no supplementary character matches),
    # 2049 break the length too, and a decomposed "e\u0301" counts as two.
    pytest.param(
        "sts", {"Action": "AssumeRole", "RoleArn": "\U0001F600" * 2048,
                "RoleSessionName": "session"},
        detected(at("roleArn", f"Member must satisfy regular expression pattern: {_STS_ARN}",
                    f"'{chr(0x1F600) * 2048}'")), id="sts-length-in-code-points"),
    pytest.param(
        "sts", {"Action": "AssumeRole", "RoleArn": "\U0001F600" * 2049,
                "RoleSessionName": "session"},
        detected(at("roleArn", f"Member must satisfy regular expression pattern: {_STS_ARN}",
                    f"'{chr(0x1F600) * 2049}'"),
                 at("roleArn", "Member must have length less than or equal to 2048",
                    f"'{chr(0x1F600) * 2049}'")), id="sts-supplementary-too-long"),
    pytest.param(
        "sts", {"Action": "AssumeRole", "RoleArn": "e\u0301" * 1025,
                "RoleSessionName": "session"},
        detected(at("roleArn", "Member must have length less than or equal to 2048",
                    "'" + "e\u0301" * 1025 + "'")),
        id="sts-no-normalization"),
    pytest.param(
        "sts", {"Action": "AssumeRoleWithSAML", "RoleArn": _ROLE, "PrincipalArn": _ROLE,
                "SAMLAssertion": "abc"},
        detected(at("sAMLAssertion", "Member must have length greater than or equal to 4")),
        id="sts-sensitive-value-hidden"),
]


@pytest.mark.parametrize(("service", "fields", "message"), VALIDATION_CASES)
def test_validation_message(service: str, fields: dict[str, str], message: str) -> None:
    with pytest.raises(errors.ValidationError) as caught:
        PROTOCOLS[service].decode(request(service, fields))
    assert caught.value.message.replace("; ", ";\n") == message.replace("; ", ";\n")
    assert caught.value.code == "ValidationError" and caught.value.status == 400


def test_a_tag_of_256_code_points_is_long_enough() -> None:
    # 255 letters and U+20000 (a CJK ideograph, two UTF-16 units) make 256.
    fields = request("iam", {"Action": "TagUser", "UserName": "bob", "Tags.member.1.Key": "k",
                             "Tags.member.1.Value": "v" * 255 + "\U00020000"})
    assert PROTOCOLS["iam"].decode(fields)[1]["Tags"][0]["Value"].endswith("\U00020000")


@pytest.mark.parametrize(("service", "fields", "error", "message"), [
    pytest.param("iam", {"Version": "2010-05-08"}, errors.MissingAction, "Missing Action",
                 id="no-action"),
    pytest.param("sts", {"Action": "", "Version": "2011-06-15"}, errors.InvalidAction,
                 "Could not find operation  for version 2011-06-15", id="empty-action"),
    pytest.param("iam", {"Action": "ReplaceIamInstanceProfileAssociation",
                         "Version": "2010-05-08"}, errors.InvalidAction,
                 "Could not find operation ReplaceIamInstanceProfileAssociation for version "
                 "2010-05-08", id="unknown-action"),
    pytest.param("iam", {"Action": "createuser", "Version": "2010-05-08"}, errors.InvalidAction,
                 "Could not find operation createuser for version 2010-05-08",
                 id="action-is-case-sensitive"),
    pytest.param("sts", {"Action": "CreateUser", "Version": "2011-06-15"}, errors.InvalidAction,
                 "Could not find operation CreateUser for version 2011-06-15",
                 id="iam-action-at-sts"),
    pytest.param("sts", {"Action": "GetCallerIdentity"}, errors.InvalidAction,
                 "Could not find operation GetCallerIdentity for version NO_VERSION_SPECIFIED",
                 id="missing-version"),
    pytest.param("sts", {"Action": "GetCallerIdentity", "Version": ""}, errors.InvalidAction,
                 "Could not find operation GetCallerIdentity for version ", id="empty-version"),
    pytest.param("sts", {"Action": "GetCallerIdentity", "Version": "2000-01-01"},
                 errors.InvalidAction,
                 "Could not find operation GetCallerIdentity for version 2000-01-01",
                 id="unsupported-version"),
    *[pytest.param("sts", {"Action": "AssumeRole", "Version": "2011-06-15", "RoleArn": _ROLE,
                           "RoleSessionName": "session", "DurationSeconds": text},
                   errors.MalformedInput, message, id=f"integer-{name}")
      for name, text, message in [
          ("empty", "", "missing value for decimal type"), ("alphabetic", "abc", ""),
          ("decimal", "900.0", ""), ("overflow", "2147483648", ""),
          ("underflow", "-2147483649", ""), ("non-ascii-digits", "\u0669\u0660\u0660", ""),
          ("spaces", " 900", "")]],
    pytest.param("iam", {"Action": "ListPolicies", "Version": "2010-05-08",
                         "OnlyAttached": "yes"}, errors.MalformedInput, "", id="boolean"),
])
def test_request_errors(service: str, fields: dict[str, str], error: type[errors.AwsError],
                        message: str) -> None:
    with pytest.raises(error) as caught:
        PROTOCOLS[service].decode(fields)
    assert caught.value.message == message


@pytest.mark.parametrize(("service", "fields", "expected"), [
    pytest.param("iam", {"Action": "CreateUser", "UserName": "bob", "Tags": ""},
                 {"UserName": "bob", "Tags": []}, id="empty-list"),
    pytest.param("iam", {"Action": "ListPolicies", "OnlyAttached": "TRUE"},
                 {"OnlyAttached": True}, id="boolean-any-case"),
    *[pytest.param("sts", {"Action": "GetSessionToken", "DurationSeconds": text},
                   {"DurationSeconds": 900}, id=f"integer-{name}")
      for name, text in [("plus-sign", "+900"), ("leading-zero", "0900")]],
    pytest.param("sts", {"Action": "GetCallerIdentity", "Unknown": "value"}, {},
                 id="unknown-field-ignored"),
    pytest.param("iam", {"Action": "ListUsers", "PathPrefix.member.1": "y"}, {},
                 id="misshapen-field-ignored"),
    pytest.param("iam", {"Action": "TagUser", "UserName": "bob", "Tags.member.10.Key": "b",
                         "Tags.member.10.Value": "2", "Tags.member.9.Key": "a",
                         "Tags.member.9.Value": "1"},
                 {"UserName": "bob", "Tags": [{"Key": "a", "Value": "1"},
                                              {"Key": "b", "Value": "2"}]},
                 id="list-ordered-by-number"),
    pytest.param("iam", {"Action": "GetAccountSummary"}, {}, id="no-input-members"),
])
def test_decode_examples(service: str, fields: dict[str, str], expected: dict[str, Any]) -> None:
    assert PROTOCOLS[service].decode(request(service, fields)) == (fields["Action"], expected)


# -- encoding: XML edges -----------------------------------------------------

def test_create_user_result_is_aws_xml() -> None:
    user = {"Path": "/", "UserName": "bob", "UserId": "AIDAEXAMPLE",
            "Arn": "arn:aws:iam::123456789012:user/bob",
            "CreateDate": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
            "PasswordLastUsed": None, "Tags": []}
    assert PROTOCOLS["iam"].encode_result("CreateUser", {"User": user}, "r-1").decode() == (
        '<CreateUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">\n'
        "  <CreateUserResult>\n"
        "    <User>\n"
        "      <Path>/</Path>\n"
        "      <UserName>bob</UserName>\n"
        "      <UserId>AIDAEXAMPLE</UserId>\n"
        "      <Arn>arn:aws:iam::123456789012:user/bob</Arn>\n"
        "      <CreateDate>2024-01-02T03:04:05Z</CreateDate>\n"
        "      <Tags/>\n"
        "    </User>\n"
        "  </CreateUserResult>\n"
        "  <ResponseMetadata>\n"
        "    <RequestId>r-1</RequestId>\n"
        "  </ResponseMetadata>\n"
        "</CreateUserResponse>\n")


def test_members_keep_the_order_the_result_gives() -> None:
    # AWS answers GetCallerIdentity in this order; the model lists Arn last.
    body = PROTOCOLS["sts"].encode_result("GetCallerIdentity", {
        "Arn": "arn:aws:iam::123456789012:user/alice", "UserId": "AIDAEXAMPLE",
        "Account": "123456789012"}, "r")
    assert body.decode() == (
        '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n'
        "  <GetCallerIdentityResult>\n"
        "    <Arn>arn:aws:iam::123456789012:user/alice</Arn>\n"
        "    <UserId>AIDAEXAMPLE</UserId>\n"
        "    <Account>123456789012</Account>\n"
        "  </GetCallerIdentityResult>\n"
        "  <ResponseMetadata>\n"
        "    <RequestId>r</RequestId>\n"
        "  </ResponseMetadata>\n"
        "</GetCallerIdentityResponse>\n")


def test_sts_result_uses_sts_namespace_and_milliseconds() -> None:
    expiration = datetime(2011, 7, 15, 23, 28, 33, 359_999, tzinfo=timezone(timedelta(hours=2)))
    body = PROTOCOLS["sts"].encode_result("GetSessionToken", {"Credentials": {
        "AccessKeyId": "ASIA", "SecretAccessKey": "s", "SessionToken": "t",
        "Expiration": expiration}}, "r")
    assert body.startswith(b'<GetSessionTokenResponse xmlns="https://sts.amazonaws.com/doc/'
                           b'2011-06-15/">\n  <GetSessionTokenResult>\n    <Credentials>\n')
    assert b"\n      <Expiration>2011-07-15T21:28:33.359Z</Expiration>\n" in body


def test_naive_timestamps_are_utc() -> None:
    body = PROTOCOLS["iam"].encode_result(
        "GetUser", {"User": {"Path": "/", "UserName": "u", "UserId": "i", "Arn": "a",
                             "CreateDate": datetime(2024, 1, 2)}}, "r")
    assert b"<CreateDate>2024-01-02T00:00:00Z</CreateDate>" in body


def test_policy_documents_are_url_encoded_as_aws_does() -> None:
    document = ('{\n  "Version": "2012-10-17",\n  "Statement": [{"Effect": "Allow", '
                '"Action": "iam:CreateServiceLinkedRole", "Resource": '
                '"arn:aws:iam::*:role/aws-service-role/ec2.amazonaws.com/R_1~"}]\n}')
    body = PROTOCOLS["iam"].encode_result("GetRolePolicy", {
        "RoleName": "r", "PolicyName": "p", "PolicyDocument": document}, "r")
    assert (b"<PolicyDocument>%7B%0A%20%20%22Version%22%3A%20%222012-10-17%22%2C%0A%20%20"
            b"%22Statement%22%3A%20%5B%7B%22Effect%22%3A%20%22Allow%22%2C%20%22Action%22%3A%20"
            b"%22iam%3ACreateServiceLinkedRole%22%2C%20%22Resource%22%3A%20%22arn%3Aaws%3Aiam"
            b"%3A%3A%2A%3Arole%2Faws-service-role%2Fec2.amazonaws.com%2FR_1~%22%7D%5D%0A%7D"
            b"</PolicyDocument>") in body


def test_text_is_escaped_and_carriage_returns_survive() -> None:
    description = "a<b & c>d ]]> \"q\" 'a' \r\n\ttab \u00e9\U0001F600"
    shape = PROTOCOLS["iam"].service_model.operation_model("GetRole").output_shape
    role = {"Path": "/", "RoleName": "r", "RoleId": "i", "Arn": "a",
            "CreateDate": datetime(2024, 1, 1, tzinfo=UTC), "Description": description}
    body = PROTOCOLS["iam"].encode_result("GetRole", {"Role": role}, "r")
    assert b"a&lt;b &amp; c&gt;d ]]&gt;" in body
    assert parse(body, shape)["Role"]["Description"] == description


def test_characters_xml_cannot_carry_are_replaced() -> None:
    body = PROTOCOLS["iam"].encode_result(
        "GetUser", {"User": {"Path": "/", "UserName": "a\x00b\x1fc\ud800", "UserId": "i",
                             "Arn": "a", "CreateDate": datetime(2024, 1, 1)}}, "r")
    assert b"<UserName>a\xef\xbf\xbdb\xef\xbf\xbdc\xef\xbf\xbd</UserName>" in body


def test_maps_and_blobs() -> None:
    shape = PROTOCOLS["iam"].service_model.operation_model("GetAccountSummary").output_shape
    body = PROTOCOLS["iam"].encode_result(
        "GetAccountSummary", {"SummaryMap": {"Users": 3, "Groups": 0}}, "r")
    assert (b"\n    <SummaryMap>\n      <entry>\n        <key>Users</key>\n        <value>3</value>"
            b"\n      </entry>\n      <entry>\n        <key>Groups</key>\n        <value>0</value>"
            b"\n      </entry>\n    </SummaryMap>\n") in body
    assert parse(body, shape)["SummaryMap"] == {"Users": 3, "Groups": 0}
    report = PROTOCOLS["iam"].encode_result("GetCredentialReport", {
        "Content": b"user,arn\n", "ReportFormat": "text/csv"}, "r")
    assert b"<Content>dXNlcixhcm4K</Content>" in report


@pytest.mark.parametrize(("result", "problem"), [
    pytest.param({"User": {"UserName": "u", "Nickname": "x"}}, "User has no member Nickname",
                 id="unknown-member"),
    pytest.param({"User": {"UserName": 7}}, "string expected, got int", id="wrong-scalar"),
    pytest.param({"User": {"Tags": "k=v"}}, "tagListType: list expected, got str",
                 id="string-for-list"),
    pytest.param({"User": "bob"}, "User: mapping expected, got str", id="string-for-structure"),
])
def test_results_that_do_not_fit_the_shape_are_bugs(result: dict[str, Any], problem: str
                                                     ) -> None:
    with pytest.raises(errors.InternalError, match=re.escape(problem)):
        PROTOCOLS["iam"].encode_result("GetUser", result, "r")


def test_unknown_operation_is_a_bug() -> None:
    with pytest.raises(errors.InternalError):
        PROTOCOLS["iam"].encode_result("AssumeRole", {}, "r")


@pytest.mark.parametrize("service", sorted(PROTOCOLS))
@pytest.mark.parametrize("error", [
    errors.NoSuchEntity("The user with name bob cannot be found."),
    errors.ValidationError("1 validation error detected: Value 'a<b>&' at 'userName' failed"),
    errors.ServiceFailure(),
    errors.AccessDenied("User: arn:aws:iam::1:user/x is not authorized to perform: "
                        "iam:CreateUser on resource: arn:aws:iam::1:user/\u00e9"),
])
def test_errors_parse_with_botocore(service: str, error: errors.AwsError) -> None:
    body = PROTOCOLS[service].encode_error(error, "req-9")
    parsed = parse(body, None, error.status)
    assert parsed["Error"] == {"Type": error.fault, "Code": error.code, "Message": error.message}
    assert parsed["ResponseMetadata"]["RequestId"] == "req-9"
    namespace = PROTOCOLS[service].service_model.metadata["xmlNamespace"]
    assert body.startswith(f'<ErrorResponse xmlns="{namespace}">\n  <Error>\n'.encode())


def test_error_xml_exact() -> None:
    assert PROTOCOLS["iam"].encode_error(errors.ServiceFailure(), "r").decode() == (
        '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">\n'
        "  <Error>\n"
        "    <Type>Receiver</Type>\n"
        "    <Code>ServiceFailure</Code>\n"
        "    <Message>The request processing has failed because of an unknown error, exception "
        "or failure.</Message>\n"
        "  </Error>\n"
        "  <RequestId>r</RequestId>\n"
        "</ErrorResponse>\n")


@pytest.mark.parametrize("service", sorted(PROTOCOLS))
def test_invalid_action_answers_in_the_front_end_namespace(service: str) -> None:
    error = errors.InvalidAction(f"Could not find operation X for version {VERSIONS[service]}")
    body = PROTOCOLS[service].encode_error(error, "r")
    assert body.startswith(
        b'<ErrorResponse xmlns="http://webservices.amazon.com/AWSFault/2005-15-09">\n')
    assert parse(body, None, 400)["Error"]["Code"] == "InvalidAction"


def test_an_empty_message_leaves_the_element_out() -> None:
    body = PROTOCOLS["sts"].encode_error(errors.MalformedInput(""), "r")
    assert body.decode() == (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n'
        "  <Error>\n    <Type>Sender</Type>\n    <Code>MalformedInput</Code>\n  </Error>\n"
        "  <RequestId>r</RequestId>\n</ErrorResponse>\n")
    assert parse(body, None, 400)["Error"] == {"Type": "Sender", "Code": "MalformedInput"}


def test_protocol_surface() -> None:
    assert len(PROTOCOLS["iam"].operation_names) == len(
        PROTOCOLS["iam"].service_model.operation_names)
    assert "AssumeRole" in PROTOCOLS["sts"].operation_names
    assert PROTOCOLS["sts"].api_version == "2011-06-15"
    assert QueryProtocol("iam").service_model is PROTOCOLS["iam"].service_model  # loaded once
    with pytest.raises(ValueError):
        QueryProtocol("dynamodb")


# -- shapes IAM and STS do not use as input: a model of our own ---------------

_SYNTHETIC = ServiceModel({
    "metadata": {"apiVersion": "2020-01-01", "protocol": "query", "serviceId": "Test",
                 "endpointPrefix": "test", "xmlNamespace": "https://test.example/doc/"},
    "operations": {"Put": {"name": "Put", "http": {"method": "POST", "requestUri": "/"},
                           "input": {"shape": "PutInput"},
                           "output": {"shape": "PutInput", "resultWrapper": "PutResult"}}},
    "shapes": {
        "PutInput": {"type": "structure", "members": {
            "When": {"shape": "Stamp"}, "Data": {"shape": "Data"},
            "Flat": {"shape": "FlatList"}, "Named": {"shape": "NamedList"},
            "Pairs": {"shape": "Pairs"}, "FlatPairs": {"shape": "FlatPairs"},
            "Ratio": {"shape": "Ratio"}, "Big": {"shape": "Big"}}},
        "Stamp": {"type": "timestamp"},
        "Data": {"type": "blob", "max": 4},
        "Text": {"type": "string", "max": 3},
        "Ratio": {"type": "double", "min": 0, "max": 1},
        "Big": {"type": "long"},
        "FlatList": {"type": "list", "member": {"shape": "Text"}, "flattened": True},
        "NamedList": {"type": "list", "member": {"shape": "Text", "locationName": "item"}},
        "Pairs": {"type": "map", "key": {"shape": "Text", "locationName": "k"},
                  "value": {"shape": "Big", "locationName": "v"}},
        "FlatPairs": {"type": "map", "key": {"shape": "Text"}, "value": {"shape": "Text"},
                      "flattened": True},
    },
}, service_name="test")
_PUT = _SYNTHETIC.operation_model("Put")
_DECODER = QueryDecoder(_SYNTHETIC)


@CORPUS
@given(params=values(_PUT.input_shape), result=values(_PUT.output_shape, output=True))
def test_synthetic_shapes_round_trip_both_ways(params: dict[str, Any], result: dict[str, Any]
                                               ) -> None:
    params = {key: value for key, value in params.items() if value != {}}
    assert _DECODER.decode(wire(params, _PUT)) == ("Put", params)
    parsed = parse(QueryEncoder(_SYNTHETIC).encode_result("Put", result, "r"), _PUT.output_shape)
    parsed.pop("ResponseMetadata")
    # An empty flattened list or map leaves no element behind, in AWS's XML too.
    assert parsed == {key: value for key, value in result.items()
                      if not (key in ("Flat", "FlatPairs") and not value)}


@pytest.mark.parametrize(("text", "expected"), [
    ("2024-01-02T03:04:05Z", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ("2024-01-02T03:04:05.123Z", datetime(2024, 1, 2, 3, 4, 5, 123000, tzinfo=UTC)),
    ("2024-01-02T03:04:05.123456789Z", datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)),
    ("2024-01-02T05:04:05+02:00", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ("2024-01-02T03:04:05", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ("1704164645", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
])
def test_timestamps_accepted(text: str, expected: datetime) -> None:
    assert _DECODER.decode({"Action": "Put", "Version": "2020-01-01", "When": text}) == (
        "Put", {"When": expected})


@pytest.mark.parametrize(("field", "text"), [
    ("When", "yesterday"), ("When", "2024-13-02T03:04:05Z"), ("Data", "not base64!"),
    ("Ratio", "nan"), ("Pairs.entry.1.v", "x"),
])
def test_malformed_scalars(field: str, text: str) -> None:
    fields = {"Action": "Put", "Version": "2020-01-01", field: text, "Pairs.entry.1.k": "a"}
    with pytest.raises(errors.MalformedInput) as caught:
        _DECODER.decode(fields)
    assert caught.value.message == ""


def test_map_constraints_are_reported_on_the_map() -> None:
    with pytest.raises(errors.ValidationError) as caught:
        _DECODER.decode({"Action": "Put", "Version": "2020-01-01",
                         "FlatPairs.1.key": "long", "FlatPairs.1.value": "v",
                         "FlatPairs.2.key": "k", "FlatPairs.2.value": "long",
                         "Data": "AAAAAAAA", "Ratio": "1.5"})
    assert caught.value.message == (
        "4 validation errors detected: Value at 'data' failed to satisfy constraint: Member "
        "must have length less than or equal to 4; Value '{long=v, k=long}' at 'flatPairs' "
        "failed to satisfy constraint: Map keys must satisfy constraint: [Member must have "
        "length less than or equal to 3]; Value '{long=v, k=long}' at 'flatPairs' failed to "
        "satisfy constraint: Map value must satisfy constraint: [Member must have length less "
        "than or equal to 3]; Value '1.5' at 'ratio' failed to satisfy constraint: Member must "
        "have value less than or equal to 1")


def test_java_patterns_translate() -> None:
    names = PROTOCOLS["iam"].service_model.shape_for("tagKeyType")
    assert names.metadata["pattern"] == _TAG + "+"
    for good in ("team", "Équipe 1", "\u4e2d\u6587", "a\u00a0b", "x_y.z:/=+-@", "\u0663\u00b2"):
        PROTOCOLS["iam"].decode(request("iam", {"Action": "UntagUser", "UserName": "u",
                                                "TagKeys.member.1": good}))
    for bad in ("a(b)", "tab\there", "\U0001F600", "semi;colon"):
        with pytest.raises(errors.ValidationError):
            PROTOCOLS["iam"].decode(request("iam", {"Action": "UntagUser", "UserName": "u",
                                                    "TagKeys.member.1": bad}))
    # Java's \w is ASCII-only: a user name with a non-ASCII letter is refused.
    with pytest.raises(errors.ValidationError):
        PROTOCOLS["iam"].decode(request("iam", {"Action": "CreateUser", "UserName": "jos\u00e9"}))


def test_results_accept_strings_for_blobs_and_preformatted_timestamps() -> None:
    body = QueryEncoder(_SYNTHETIC).encode_result(
        "Put", {"Data": "hi", "When": "2024-01-02T03:04:05.000Z", "Named": ["a"],
                "FlatPairs": {"a": "b"}, "Big": 2**40, "Ratio": 0.5}, "r")
    assert body.decode().split("\n")[2:15] == [
        "    <Data>aGk=</Data>",
        "    <When>2024-01-02T03:04:05.000Z</When>",
        "    <Named>",
        "      <item>a</item>",
        "    </Named>",
        "    <FlatPairs>",
        "      <key>a</key>",
        "      <value>b</value>",
        "    </FlatPairs>",
        "    <Big>1099511627776</Big>",
        "    <Ratio>0.5</Ratio>",
        "  </PutResult>",
        "  <ResponseMetadata>"]
