"""Signature Version 4 verification against the signers AWS's own SDKs use.

The corpus is generated here: hypothesis builds random requests, botocore's
SigV4Auth and SigV4QueryAuth sign them, and iamd must accept every one and
refuse every tampered copy. Tables then pin the error codes and messages, and
the last tests capture what boto3 and the AWS CLI really send for IAM and STS.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock
from urllib.parse import quote, urlsplit

import boto3
import botocore.auth
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSRequest, AWSResponse
from botocore.credentials import Credentials
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iamd.auth.sigv4 import (
    SignedRequest,
    canonical_query_string,
    canonical_request,
    canonical_uri,
    check_request_time,
    parse_signed_request,
    signing_key,
    string_to_sign,
    verify_signature,
)
from iamd.model.errors import (
    AuthorizationQueryParametersError,
    AwsError,
    IncompleteSignature,
    MalformedQueryString,
    MissingAuthenticationToken,
    RequestExpired,
    SignatureDoesNotMatch,
)

MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation "
    "for details."
)
AKID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


# -- signing with botocore and capturing what goes on the wire ------------------------------


@dataclass(frozen=True)
class Wire:
    """A request as the server receives it."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def parse(self, **kwargs: Any) -> SignedRequest:
        return parse_signed_request(self.method, self.path, self.query, self.headers, **kwargs)

    def verify(self, secret: str, now: datetime, **kwargs: Any) -> SignedRequest:
        signed = self.parse(**kwargs)
        verify_signature(
            signed, self.method, self.path, self.query, self.headers, self.body, secret, now
        )
        return signed


def on_the_wire(prepared: AWSPreparedRequest) -> Wire:
    url = urlsplit(prepared.url)
    headers = {name: _text(value) for name, value in prepared.headers.items()}
    # The HTTP client adds Host from the URL; botocore signed the same value.
    headers.setdefault("Host", url.netloc)
    body = prepared.body
    if body is None:
        body = b""
    elif isinstance(body, str):
        body = body.encode("utf-8")
    return Wire(prepared.method, url.path, url.query, headers, bytes(body))


def _text(value: str | bytes) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def sign(
    request: AWSRequest,
    *,
    when: datetime,
    credentials: Credentials,
    region: str = "us-east-1",
    service: str = "iam",
    expires: int | None = None,
) -> Wire:
    """Sign with botocore at a chosen time; presign when `expires` is given."""
    signer: botocore.auth.SigV4Auth
    if expires is None:
        signer = botocore.auth.SigV4Auth(credentials, service, region)
    else:
        signer = botocore.auth.SigV4QueryAuth(credentials, service, region, expires=expires)
    naive = when.astimezone(UTC).replace(tzinfo=None)
    with mock.patch.object(botocore.auth, "get_current_datetime", lambda: naive):
        signer.add_auth(request)
    return on_the_wire(request.prepare())


def iam_post(when: datetime, **params: str) -> Wire:
    data = {"Action": "ListUsers", "Version": "2010-05-08", **params}
    request = AWSRequest(
        method="POST",
        url="https://iam.example.test/",
        data=data,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    return sign(request, when=when, credentials=Credentials(AKID, SECRET))


T0 = datetime(2015, 8, 30, 12, 36, 0, tzinfo=UTC)


# -- random requests --------------------------------------------------------------------------

# Characters chosen to stress encoding: reserved and sub-delimiters, percent,
# plus, space, tilde, non-ASCII (two-, three- and four-byte UTF-8).
_TRICKY = "abcXYZ019-._~!$&'()*+,;=:@/?#[]% é☃𝄞\"<>\\^`{|}"
_text_tricky = st.text(alphabet=_TRICKY, max_size=12)
_segment = st.one_of(
    st.text(alphabet=_TRICKY.replace("/", ""), max_size=8),
    st.sampled_from([".", "..", ""]),
)


@st.composite
def paths(draw: st.DrawFn) -> str:
    segments = draw(st.lists(_segment, max_size=5))
    encoded = []
    for segment in segments:
        # Clients differ in what they leave unencoded; sub-delimiters may go raw.
        safe = draw(st.sampled_from(["", "!$&'()*+,;=:@", "~"]))
        encoded.append(quote(segment, safe=safe))
    trailing = draw(st.sampled_from(["", "/"]))
    return "/" + "/".join(encoded) + trailing


_param_name = _text_tricky.filter(lambda name: not name.startswith("X-Amz-"))
query_params = st.lists(
    st.tuples(_param_name, _text_tricky),
    max_size=6,
).map(lambda pairs: [*pairs, (pairs[0][0], "again")] if pairs else pairs)  # a repeated key

_reserved_headers = {
    "host",
    "authorization",
    "x-amz-date",
    "date",
    "x-amz-security-token",
    "content-length",
    "content-type",
    "x-amz-content-sha256",
    "expect",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "te",
    "trailer",
    "upgrade",
}
header_names = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=16
).map(lambda name: "x" + name if name in _reserved_headers or not name[0].isalpha() else name)
# Leading, trailing and repeated spaces and tabs, which canonicalisation collapses.
header_values = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E) | st.just("\t"), max_size=20
)


@st.composite
def headers(draw: st.DrawFn) -> dict[str, str]:
    names = draw(st.lists(header_names, max_size=5, unique=True))
    result = {}
    for name in names:
        spelled = name.upper() if draw(st.booleans()) else name
        result[spelled] = draw(header_values)
    return result


credentials = st.builds(
    Credentials,
    access_key=st.tuples(
        st.sampled_from(["AKIA", "ASIA"]),
        st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", min_size=16, max_size=16),
    ).map("".join),
    secret_key=st.text(
        alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
        min_size=40,
        max_size=40,
    ),
    token=st.none() | st.text(alphabet="ABCDabcd0123+/=", min_size=1, max_size=60),
)
moments = st.datetimes(
    min_value=datetime(2001, 1, 1), max_value=datetime(2098, 12, 31), timezones=st.just(UTC)
).map(lambda moment: moment.replace(microsecond=0))
skews = st.integers(min_value=-900, max_value=900).map(lambda s: timedelta(seconds=s))
regions = st.sampled_from(["us-east-1", "eu-west-1", "ap-southeast-2", "local"])
services = st.sampled_from(["iam", "sts", "execute-api", "service"])


@dataclass(frozen=True)
class Case:
    wire: Wire
    secret: str
    when: datetime
    region: str
    service: str
    credentials: Credentials


@st.composite
def header_signed(draw: st.DrawFn) -> Case:
    method = draw(st.sampled_from(["GET", "POST"]))
    host = draw(st.sampled_from(["iam.amazonaws.com", "localhost:4566", "127.0.0.1:8080"]))
    path = draw(paths())
    params = draw(query_params)
    in_url = draw(st.booleans())
    url = f"https://{host}{path}"
    if in_url and params:
        # Already in AWS's canonical encoding, as botocore's REST serializers write it.
        url += "?" + "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in params)
    extra = draw(headers())
    data: Any = None
    if method == "POST":
        form = draw(st.booleans())
        if form:
            data = {"Action": "CreateUser", "Version": "2010-05-08", "UserName": draw(_text_tricky)}
            extra["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
        else:
            data = draw(st.binary(max_size=64))
    if draw(st.booleans()):
        # botocore then signs a Date header instead of X-Amz-Date.
        extra["Date"] = "placeholder"
    request = AWSRequest(
        method=method,
        url=url,
        params=None if in_url else params,
        headers=extra,
        data=data,
    )
    creds = draw(credentials)
    region, service, when = draw(regions), draw(services), draw(moments)
    wire = sign(request, when=when, credentials=creds, region=region, service=service)
    return Case(wire, creds.secret_key, when, region, service, creds)


@st.composite
def presigned(draw: st.DrawFn) -> Case:
    method = draw(st.sampled_from(["GET", "POST"]))
    path = draw(paths())
    params = draw(query_params)
    # botocore keeps repeated keys only when given as lists.
    grouped: dict[str, list[str]] = {}
    for key, value in params:
        grouped.setdefault(key, []).append(value)
    data: Any = None
    extra = draw(headers())
    if method == "POST" and draw(st.booleans()):
        # botocore moves a form body into the query string of a presigned URL.
        data = {"Action": "GetCallerIdentity", "Version": "2011-06-15", "Note": draw(_text_tricky)}
        extra["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
    request = AWSRequest(
        method=method,
        url=f"https://sts.example.test{path}",
        params=grouped,
        headers=extra,
        data=data,
    )
    creds = draw(credentials)
    region, service, when = draw(regions), draw(services), draw(moments)
    expires = draw(st.integers(min_value=1, max_value=604800))
    wire = sign(
        request, when=when, credentials=creds, region=region, service=service, expires=expires
    )
    return Case(wire, creds.secret_key, when, region, service, creds)


CORPUS = settings(
    max_examples=800,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@CORPUS
@given(header_signed(), skews)
def test_botocore_header_signatures_verify(case: Case, skew: timedelta) -> None:
    signed = case.wire.verify(
        case.secret, case.when + skew, service=case.service, regions={case.region}
    )
    assert signed.access_key_id == case.credentials.access_key
    assert (signed.region, signed.service) == (case.region, case.service)
    assert signed.amz_date == case.when
    assert signed.security_token == case.credentials.token
    assert not signed.presigned and signed.expires is None


@settings(CORPUS, max_examples=500)
@given(presigned(), st.integers(min_value=-900, max_value=0))
def test_botocore_presigned_urls_verify(case: Case, early: int) -> None:
    assert case.wire.body == b""
    signed = case.wire.parse()
    assert signed.presigned and signed.expires is not None
    # Good from 15 minutes before its date to the last second of its life.
    for now in (
        case.when + timedelta(seconds=early),
        case.when + timedelta(seconds=signed.expires),
    ):
        case.wire.verify(case.secret, now)
    assert signed.security_token == case.credentials.token
    assert signed.access_key_id == case.credentials.access_key


# -- tampering --------------------------------------------------------------------------------


def _tamper_header(wire: Wire, signed: SignedRequest, pick: int) -> Wire | None:
    # The date is tampered with separately: changing it here would make it unreadable.
    names = [
        n
        for n in wire.headers
        if n.lower() in signed.signed_headers and n.lower() not in ("x-amz-date", "date")
    ]
    if not names:
        return None
    name = names[pick % len(names)]
    return replace(wire, headers={**wire.headers, name: wire.headers[name] + "x"})


def _tamper_query(wire: Wire, signed: SignedRequest, pick: int) -> Wire | None:
    items = wire.query.split("&") if wire.query else []
    # Other X-Amz-* parameters are claims that parsing checks before any signature.
    candidates = [
        i
        for i, item in enumerate(items)
        if not item.startswith("X-Amz-") or item.startswith("X-Amz-Security-Token=")
    ]
    if not candidates:
        return None
    index = candidates[pick % len(candidates)]
    items[index] = items[index] + "Q"
    return replace(wire, query="&".join(items))


def _tamper_body(wire: Wire, signed: SignedRequest, pick: int) -> Wire | None:
    return replace(wire, body=wire.body + b"x")


def _tamper_path(wire: Wire, signed: SignedRequest, pick: int) -> Wire | None:
    return replace(wire, path=wire.path.rstrip("/") + "/extra")


def _tamper_method(wire: Wire, signed: SignedRequest, pick: int) -> Wire | None:
    return replace(wire, method="PUT")


TAMPERINGS = [_tamper_header, _tamper_query, _tamper_body, _tamper_path, _tamper_method]


@settings(CORPUS, max_examples=500)
@given(
    st.one_of(header_signed(), presigned()),
    st.sampled_from(TAMPERINGS),
    st.integers(min_value=0, max_value=50),
)
def test_tampering_anything_signed_is_refused(case: Case, tamper: Any, pick: int) -> None:
    signed = case.wire.parse()
    changed = tamper(case.wire, signed, pick)
    if changed is None or changed == case.wire:
        return
    with pytest.raises(SignatureDoesNotMatch) as raised:
        changed.verify(case.secret, case.when)
    assert raised.value.message == MISMATCH


@settings(CORPUS, max_examples=200)
@given(st.one_of(header_signed(), presigned()), st.integers(min_value=0, max_value=63))
def test_wrong_secret_or_signature_or_scope_is_refused(case: Case, position: int) -> None:
    signed = case.wire.parse()
    wrong_secret = ("y" if case.secret.startswith("x") else "x") + case.secret[1:]
    index = position % len(signed.signature)
    digit = "1" if signed.signature[index] == "0" else "0"
    bad_signature = replace(
        signed, signature=signed.signature[:index] + digit + signed.signature[index + 1 :]
    )
    other_region = replace(signed, region="xx-test-9")
    # A different time on the same day: the date in the scope still matches.
    step = timedelta(seconds=1 if signed.amz_date.hour < 23 else -1)
    one_second_off = replace(signed, amz_date=signed.amz_date + step)
    attempts: list[tuple[SignedRequest, str]] = [
        (signed, wrong_secret),
        (bad_signature, case.secret),
        (other_region, case.secret),
        (one_second_off, case.secret),
    ]
    for claims, secret in attempts:
        with pytest.raises(SignatureDoesNotMatch) as raised:
            verify_signature(
                claims,
                case.wire.method,
                case.wire.path,
                case.wire.query,
                case.wire.headers,
                case.wire.body,
                secret,
                case.when,
            )
        assert raised.value.message == MISMATCH


def test_a_date_header_changed_after_signing_is_refused() -> None:
    wire = iam_post(T0)
    later = replace(wire, headers={**wire.headers, "X-Amz-Date": "20150830T123601Z"})
    with pytest.raises(SignatureDoesNotMatch) as raised:
        later.verify(SECRET, T0)
    assert raised.value.message == MISMATCH


def test_a_session_token_added_after_signing_is_accepted_as_aws_does_outside_s3() -> None:
    wire = iam_post(T0)
    with_token = replace(wire, headers={**wire.headers, "X-Amz-Security-Token": "token"})
    assert with_token.verify(SECRET, T0).security_token == "token"


def test_unsigned_headers_do_not_matter() -> None:
    wire = iam_post(T0)
    noisy = replace(wire, headers={**wire.headers, "User-Agent": "other", "X-Forwarded-For": "1"})
    noisy.verify(SECRET, T0)


def test_a_claimed_unsigned_payload_does_not_cover_a_body() -> None:
    request = AWSRequest(
        method="POST",
        url="https://iam.example.test/",
        data=b"Action=ListUsers&Version=2010-05-08",
        headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"},
    )
    wire = sign(request, when=T0, credentials=Credentials(AKID, SECRET))
    assert "x-amz-content-sha256" in wire.parse().signed_headers
    with pytest.raises(SignatureDoesNotMatch):
        wire.verify(SECRET, T0)


# -- the clock --------------------------------------------------------------------------------


def _expect(error: type[AwsError], message: str, wire: Wire, now: datetime) -> None:
    with pytest.raises(error) as raised:
        wire.verify(SECRET, now)
    assert raised.value.message == message


def test_request_time_window_is_fifteen_minutes_either_side() -> None:
    wire = iam_post(T0)
    wire.verify(SECRET, T0 + timedelta(minutes=15))
    wire.verify(SECRET, T0 - timedelta(minutes=15))
    wire.verify(SECRET, T0 + timedelta(minutes=15, microseconds=999999))
    _expect(
        SignatureDoesNotMatch,
        "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z "
        "(20150830T125101Z - 15 min.)",
        wire,
        T0 + timedelta(minutes=15, seconds=1),
    )
    _expect(
        SignatureDoesNotMatch,
        "Signature not yet current: 20150830T123600Z is still later than 20150830T123559Z "
        "(20150830T122059Z + 15 min.)",
        wire,
        T0 - timedelta(minutes=15, seconds=1),
    )


def test_the_time_is_checked_before_the_signature() -> None:
    wire = iam_post(T0)
    with pytest.raises(SignatureDoesNotMatch, match=r"^Signature expired"):
        wire.verify("not the secret", T0 + timedelta(hours=1))
    with pytest.raises(SignatureDoesNotMatch, match=r"^Signature expired"):
        check_request_time(wire.parse(), T0 + timedelta(hours=1))


def test_a_naive_now_is_utc() -> None:
    iam_post(T0).verify(SECRET, T0.replace(tzinfo=None))


def test_presigned_url_lives_until_x_amz_expires() -> None:
    request = AWSRequest(
        method="GET",
        url="https://sts.example.test/",
        params={"Action": "GetCallerIdentity", "Version": "2011-06-15"},
    )
    wire = sign(request, when=T0, credentials=Credentials(AKID, SECRET), service="sts", expires=60)
    wire.verify(SECRET, T0 + timedelta(seconds=60))
    _expect(RequestExpired, "Request has expired.", wire, T0 + timedelta(seconds=61))
    assert RequestExpired.status == 400
    _expect(
        SignatureDoesNotMatch,
        "Signature not yet current: 20150830T123600Z is still later than 20150830T123559Z "
        "(20150830T122059Z + 15 min.)",
        wire,
        T0 - timedelta(minutes=15, seconds=1),
    )


def test_presigned_url_without_expires_gets_the_usual_window() -> None:
    request = AWSRequest(method="GET", url="https://sts.example.test/?Action=GetCallerIdentity")
    wire = sign(request, when=T0, credentials=Credentials(AKID, SECRET), service="sts", expires=5)
    query = "&".join(p for p in wire.query.split("&") if not p.startswith("X-Amz-Expires="))
    stripped = replace(wire, query=query)
    signed = stripped.parse()
    assert signed.expires is None
    check_request_time(signed, T0 + timedelta(minutes=15))
    with pytest.raises(SignatureDoesNotMatch, match=r"^Signature expired"):
        check_request_time(signed, T0 + timedelta(minutes=15, seconds=1))


# -- malformed requests: one row per AWS answer -----------------------------------------------


def _digest(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


GOOD_SCOPE = f"{AKID}/20150830/us-east-1/iam/aws4_request"
GOOD_AUTH = (
    f"AWS4-HMAC-SHA256 Credential={GOOD_SCOPE}, SignedHeaders=host;x-amz-date, Signature=abcdef"
)
BASE_HEADERS = {"Host": "iam.example.test", "X-Amz-Date": "20150830T123600Z"}
HASHED = "(Hashed with SHA-256 and encoded with Base64)"


def _auth(authorization: str) -> dict[str, str]:
    return {**BASE_HEADERS, "Authorization": authorization}


def _presign_query(**overrides: str | None) -> str:
    params: dict[str, str | None] = {
        "Action": "GetCallerIdentity",
        "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
        "X-Amz-Credential": quote(GOOD_SCOPE, safe=""),
        "X-Amz-Date": "20150830T123600Z",
        "X-Amz-Expires": "60",
        "X-Amz-SignedHeaders": "host",
        "X-Amz-Signature": "abcdef",
    }
    params.update(overrides)
    return "&".join(f"{k}={v}" for k, v in params.items() if v is not None)


MALFORMED: list[tuple[str, dict[str, str], str, type[AwsError], str]] = [
    (
        "no signature at all",
        BASE_HEADERS,
        "Action=ListUsers",
        MissingAuthenticationToken,
        "Request is missing Authentication Token",
    ),
    (
        "blank Authorization",
        _auth("  "),
        "",
        MissingAuthenticationToken,
        "Request is missing Authentication Token",
    ),
    (
        "component without equal-sign",
        _auth("AWS4-HMAC-SHA256 FooBar, BazBurp"),
        "",
        IncompleteSignature,
        "Invalid key=value pair (missing equal-sign) in Authorization header (hashed with SHA-256 "
        f"and encoded with Base64): '{_digest('AWS4-HMAC-SHA256 FooBar, BazBurp')}'.",
    ),
    (
        "no algorithm",
        _auth(f"Credential={GOOD_SCOPE}, SignedHeaders=host, Signature=ab"),
        "",
        IncompleteSignature,
        "Authorization header must begin with the algorithm name, which cannot include an "
        "equal-sign",
    ),
    (
        "no known component",
        _auth("AWS4-HMAC-SHA256 Foo=Bar, Baz=Burp"),
        "",
        IncompleteSignature,
        "Authorization header requires 'Credential' parameter. Authorization header requires "
        "'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. "
        f"{HASHED} Authorization={_digest('AWS4-HMAC-SHA256 Foo=Bar, Baz=Burp')}",
    ),
    (
        "only a credential and no date",
        {"Host": "h", "Authorization": f"AWS4-HMAC-SHA256 Credential={GOOD_SCOPE}"},
        "",
        IncompleteSignature,
        "Authorization header requires 'Signature' parameter. Authorization header requires "
        "'SignedHeaders' parameter. Authorization header requires existence of either a "
        f"'X-Amz-Date' or a 'Date' header. {HASHED} "
        f"Authorization={_digest(f'AWS4-HMAC-SHA256 Credential={GOOD_SCOPE}')}",
    ),
    (
        "empty signature",
        _auth(GOOD_AUTH.replace("abcdef", "")),
        "",
        IncompleteSignature,
        f"Authorization header requires 'Signature' parameter. {HASHED} "
        f"Authorization={_digest(GOOD_AUTH.replace('abcdef', ''))}",
    ),
    (
        "other algorithm",
        _auth(GOOD_AUTH.replace("SHA256", "SHA512", 1)),
        "",
        IncompleteSignature,
        "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'.",
    ),
    (
        "SigV2-style header",
        _auth(f"AWS {AKID}:c2lnbmF0dXJl"),
        "",
        IncompleteSignature,
        "Invalid key=value pair (missing equal-sign) in Authorization header (hashed with SHA-256 "
        f"and encoded with Base64): '{_digest(f'AWS {AKID}:c2lnbmF0dXJl')}'.",
    ),
    (
        "host not signed",
        _auth(GOOD_AUTH.replace("host;", "")),
        "",
        SignatureDoesNotMatch,
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    ),
    (
        "X-Amz-Date not ISO 8601 basic",
        {**_auth(GOOD_AUTH), "X-Amz-Date": "2015/08/30T12/36/00Z"},
        "",
        IncompleteSignature,
        "Date must be in ISO-8601 'basic format'. Got '2015/08/30T12/36/00Z'. "
        "See http://en.wikipedia.org/wiki/ISO_8601",
    ),
    (
        "Date header unreadable",
        {"Host": "h", "Date": "zzzzzzzzz", "Authorization": GOOD_AUTH},
        "",
        IncompleteSignature,
        "Date must be in ISO-8601 'basic format'. Got 'zzzzzzzzz'. "
        "See http://en.wikipedia.org/wiki/ISO_8601",
    ),
    (
        "credential of one element",
        _auth(GOOD_AUTH.replace(GOOD_SCOPE, "AKIDEXAMPLE")),
        "",
        IncompleteSignature,
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/"
        "term, got 'AKIDEXAMPLE'",
    ),
    (
        "empty region",
        _auth(GOOD_AUTH.replace("/us-east-1/", "//")),
        "",
        SignatureDoesNotMatch,
        "Credential should be scoped to a valid region. ",
    ),
    (
        "region not served",
        _auth(GOOD_AUTH.replace("us-east-1", "eu-west-3")),
        "",
        SignatureDoesNotMatch,
        "Credential should be scoped to a valid region. ",
    ),
    (
        "other service",
        _auth(GOOD_AUTH.replace("/iam/", "/sts/")),
        "",
        SignatureDoesNotMatch,
        "Credential should be scoped to correct service: 'iam'.",
    ),
    (
        "bad terminator",
        _auth(GOOD_AUTH.replace("aws4_request", "aws5_request")),
        "",
        SignatureDoesNotMatch,
        "Credential should be scoped with a valid terminator: 'aws4_request'.",
    ),
    (
        "scope date is not the request date",
        _auth(GOOD_AUTH.replace("20150830", "20150829")),
        "",
        SignatureDoesNotMatch,
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP.",
    ),
    (
        "every scope element wrong",
        _auth(GOOD_AUTH.replace(GOOD_SCOPE, f"{AKID}/20150829/Bad/sts/aws5_request")),
        "",
        SignatureDoesNotMatch,
        "Credential should be scoped to a valid region. Credential should be scoped to correct "
        "service: 'iam'. Credential should be scoped with a valid terminator: 'aws4_request'. Date "
        "in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP.",
    ),
    (
        "presigned and an Authorization header",
        _auth(GOOD_AUTH),
        _presign_query(),
        SignatureDoesNotMatch,
        "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
    ),
    (
        "presigned without its parameters",
        BASE_HEADERS,
        _presign_query(**{"X-Amz-Credential": None, "X-Amz-Signature": "", "X-Amz-Date": None}),
        IncompleteSignature,
        "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters "
        "must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-Date'. "
        "Re-examine the query-string parameters.",
    ),
    (
        "presigned with another algorithm",
        BASE_HEADERS,
        _presign_query(**{"X-Amz-Algorithm": "AWS4-ECDSA-P256-SHA256"}),
        IncompleteSignature,
        "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256'.",
    ),
    (
        "presigned without host",
        BASE_HEADERS,
        _presign_query(**{"X-Amz-SignedHeaders": "x-amz-date"}),
        SignatureDoesNotMatch,
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    ),
    (
        "presigned with a bad date",
        BASE_HEADERS,
        _presign_query(**{"X-Amz-Date": "20150830"}),
        IncompleteSignature,
        "Date must be in ISO-8601 'basic format'. Got '20150830'. "
        "See http://en.wikipedia.org/wiki/ISO_8601",
    ),
    (
        "X-Amz-Expires not a number",
        BASE_HEADERS,
        _presign_query(**{"X-Amz-Expires": "soon"}),
        AuthorizationQueryParametersError,
        "X-Amz-Expires should be a number",
    ),
    (
        "X-Amz-Expires negative",
        BASE_HEADERS,
        _presign_query(**{"X-Amz-Expires": "-1"}),
        AuthorizationQueryParametersError,
        "X-Amz-Expires must be non-negative",
    ),
    (
        "X-Amz-Expires over a week",
        BASE_HEADERS,
        _presign_query(**{"X-Amz-Expires": "604801"}),
        AuthorizationQueryParametersError,
        "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires "
        "must be less than 604800 seconds",
    ),
    (
        "bad escape in the query",
        _auth(GOOD_AUTH),
        "a=%zz",
        MalformedQueryString,
        "Illegal hex character in escape % pattern: %zz",
    ),
    (
        "truncated escape in the query",
        _auth(GOOD_AUTH),
        "a=b&c=%4",
        MalformedQueryString,
        "Incomplete trailing escape % sequence",
    ),
]


@pytest.mark.parametrize(
    ("headers", "query", "error", "message"),
    [row[1:] for row in MALFORMED],
    ids=[row[0] for row in MALFORMED],
)
def test_malformed_requests_get_aws_answers(
    headers: dict[str, str], query: str, error: type[AwsError], message: str
) -> None:
    with pytest.raises(error) as raised:
        parse_signed_request("GET", "/", query, headers, service="iam", regions={"us-east-1"})
    assert raised.value.message == message
    assert type(raised.value).code == error.code


def test_error_codes_and_statuses() -> None:
    assert (IncompleteSignature.code, IncompleteSignature.status) == ("IncompleteSignature", 400)
    assert (SignatureDoesNotMatch.code, SignatureDoesNotMatch.status) == (
        "SignatureDoesNotMatch",
        403,
    )
    assert MissingAuthenticationToken.status == 403
    assert AuthorizationQueryParametersError.status == 400


def test_scope_is_free_when_the_endpoint_names_none() -> None:
    signed = parse_signed_request("GET", "/", "", _auth(GOOD_AUTH.replace("us-east-1", "local")))
    assert (signed.region, signed.service) == ("local", "iam")


def test_date_header_in_http_format_is_read() -> None:
    headers = {"Host": "h", "Date": "Sun, 30 Aug 2015 12:36:00 GMT", "Authorization": GOOD_AUTH}
    assert parse_signed_request("GET", "/", "", headers).amz_date == T0


def test_x_amz_date_wins_over_date() -> None:
    headers = {**_auth(GOOD_AUTH), "Date": "Mon, 01 Jan 2001 00:00:00 GMT"}
    assert parse_signed_request("GET", "/", "", headers).amz_date == T0


# -- canonical form, against the worked example in AWS's documentation -----------------------


def test_canonical_pieces_match_botocore_for_tricky_paths_and_queries() -> None:
    assert canonical_uri("") == "/"
    assert canonical_uri("/a/./b/../c//d/") == "/a/c/d/"
    assert canonical_uri("/../..") == "/"
    assert canonical_uri("/a%20b/c d") == "/a%2520b/c%20d"
    assert canonical_query_string("b=2&a=1&a=0&c") == "a=0&a=1&b=2&c="
    assert canonical_query_string("k=a+b&k2=%7e~&=v") == "=v&k=a%20b&k2=~~"
    assert canonical_query_string("X-Amz-Signature=s&a=1", drop_signature=True) == "a=1"


def test_documented_example_get_vanilla() -> None:
    # AWS's own worked example: GET / at 20150830T123600Z, example key, service "service".
    headers = {"Host": "example.amazonaws.com", "X-Amz-Date": "20150830T123600Z"}
    empty = hashlib.sha256(b"").hexdigest()
    canonical = canonical_request("GET", "/", "", headers, ["host", "x-amz-date"], empty)
    assert canonical == (
        "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
        f"host;x-amz-date\n{empty}"
    )
    to_sign = string_to_sign(T0, "20150830/us-east-1/service/aws4_request", canonical)
    key = signing_key(
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "service"
    )
    assert hmac.new(key, to_sign.encode(), "sha256").hexdigest() == (
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    )


# -- what boto3 and the AWS CLI really send ---------------------------------------------------


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


LIST_USERS = (
    b"<ListUsersResponse><ListUsersResult><Users/><IsTruncated>false</IsTruncated>"
    b"</ListUsersResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata>"
    b"</ListUsersResponse>"
)


def _capture(sent: list[AWSPreparedRequest]) -> Any:
    def before_send(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        sent.append(request)
        return AWSResponse(request.url, 200, {}, _Raw(LIST_USERS))

    return before_send


@pytest.mark.parametrize("token", [None, "FwoGZXIvYXdzEBYaDH+session/token=="])
def test_boto3_iam_request_verifies(token: str | None) -> None:
    sent: list[AWSPreparedRequest] = []
    client = boto3.client(
        "iam",
        endpoint_url="http://127.0.0.1:4566",
        region_name="us-east-1",
        aws_access_key_id=AKID,
        aws_secret_access_key=SECRET,
        aws_session_token=token,
    )
    client.meta.events.register("before-send", _capture(sent))
    client.list_users(PathPrefix="/division_abc/subdivision_xyz/", MaxItems=10)
    wire = on_the_wire(sent[0])
    signed = wire.verify(SECRET, datetime.now(UTC), service="iam", regions={"us-east-1"})
    assert signed.access_key_id == AKID and signed.security_token == token
    assert wire.body.startswith(b"Action=ListUsers&Version=2010-05-08")


def test_boto3_sts_presigned_url_verifies() -> None:
    client = boto3.client(
        "sts",
        endpoint_url="http://127.0.0.1:4566",
        region_name="eu-west-1",
        aws_access_key_id=AKID,
        aws_secret_access_key=SECRET,
        aws_session_token="session+token/==",
    )
    # botocore signs a presigned URL for the operation's own method (POST for
    # the Query protocol) unless told otherwise; EKS-style tokens ask for GET.
    for method, extra in (("POST", {}), ("GET", {"HttpMethod": "GET"})):
        url = client.generate_presigned_url("get_caller_identity", ExpiresIn=60, **extra)
        parts = urlsplit(url)
        wire = Wire(method, parts.path, parts.query, {"Host": parts.netloc}, b"")
        signed = wire.verify(SECRET, datetime.now(UTC), service="sts")
        assert signed.presigned and signed.expires == 60 and signed.region == "eu-west-1"
        assert signed.security_token == "session+token/=="


def test_aws_cli_iam_request_verifies(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from awscli.clidriver import create_clidriver

    for name, value in {
        "AWS_ACCESS_KEY_ID": AKID,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_SESSION_TOKEN": "cli-session-token",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    sent: list[AWSPreparedRequest] = []
    driver = create_clidriver()
    driver.session.register("before-send", _capture(sent))
    assert driver.main(["iam", "list-users", "--endpoint-url", "http://127.0.0.1:4566"]) == 0
    capsys.readouterr()
    wire = on_the_wire(sent[0])
    signed = wire.verify(SECRET, datetime.now(UTC), service="iam", regions={"us-east-1"})
    assert signed.security_token == "cli-session-token"
    assert "Authorization" in wire.headers and wire.method == "POST"
