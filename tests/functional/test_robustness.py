"""Malformed and hostile requests, and racing writers, against a real `iamd serve`.

Every request here is correctly signed by botocore over the exact bytes sent, so
it passes authentication and reaches the protocol decoder and the operations. Each
must be answered with AWS error XML (`<ErrorResponse><Error><Type><Code><Message>`
and a `<RequestId>` equal to the `x-amzn-RequestId` header), never with a 500,
and must leave the store as it found it.
"""

from __future__ import annotations

import http.client
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import Message
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from iamd.testing import IamdServer

FORM = "application/x-www-form-urlencoded; charset=utf-8"
IAM = "Action=CreateUser&Version=2010-05-08"
MB = 1 << 20


@dataclass
class Answer:
    status: int
    headers: Message
    body: bytes


def send_signed(server: IamdServer, body: bytes, *, method: str = "POST", query: str = "",
                content_type: str | None = FORM, service: str = "iam") -> Answer:
    """Sign `body` and `query` as they are with botocore, send exactly that with http.client
    (which adds no header but Host, Accept-Encoding and Content-Length, none of them
    changing what the server reads)."""
    url = f"{server.endpoint}/" + (f"?{query}" if query else "")
    headers = {"Content-Type": content_type} if content_type else {}
    request = AWSRequest(method=method, url=url, data=body, headers=headers)
    credentials = Credentials(server.access_key_id, server.secret_access_key)
    SigV4Auth(credentials, service, "us-east-1").add_auth(request)
    prepared = request.prepare()
    parts = urlsplit(prepared.url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=120)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request(method, target, body=prepared.body or None,
                           headers=dict(prepared.headers.items()))
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        connection.close()


def aws_error(answer: Answer) -> tuple[int, str, str]:
    """(status, code, message) of an AWS error answer; fails on anything else."""
    assert answer.status < 500, answer.body[:2000]
    assert answer.status >= 400, answer.body[:2000]
    assert answer.headers.get_content_type() == "text/xml"
    root = ET.fromstring(answer.body)
    local = {element.tag.rpartition("}")[2]: element.text or "" for element in root.iter()}
    assert root.tag.rpartition("}")[2] == "ErrorResponse"
    assert [child.tag.rpartition("}")[2] for child in root] == ["Error", "RequestId"]
    assert local["Type"] == "Sender"
    assert local["Code"]
    # AWS leaves <Message> out when it has nothing to say (MalformedInput).
    assert "Message" in local or local["Code"] == "MalformedInput"
    assert local["RequestId"] == answer.headers["x-amzn-RequestId"]
    return answer.status, local["Code"], local.get("Message", "")


def snapshot(server: IamdServer) -> list[tuple[str, str, str]]:
    """Every user with its id and path: what a stray write would change."""
    pages = server.client("iam").get_paginator("list_users").paginate()
    return sorted((u["UserName"], u["UserId"], u["Path"]) for p in pages for u in p["Users"])


@pytest.fixture
def existing(iam: Any, unique: Any) -> Iterator[str]:
    """A user that exists, so that a request that would create it cannot."""
    name = unique("there")
    iam.create_user(UserName=name)
    yield name
    iam.delete_user(UserName=name)


def _tags(count: int) -> bytes:
    return b"&".join(b"Tags.member.%d.Key=k%d&Tags.member.%d.Value=v" % (i, i, i)
                     for i in range(1, count + 1))


def _many_tags_body(name: str, size: int) -> bytes:
    """A CreateUser body of about `size` bytes, made of tags (IAM allows 50)."""
    head = f"{IAM}&UserName={name}&".encode()
    count = size // len(_tags(1))
    while len(head) + len(_tags(count)) < size:
        count += count // 10 + 1
    return head + _tags(count)


# Each case: the body (built from an existing user's name), and what IAM answers:
# (status, code, message or None to check only the code). A request that would
# write names the existing user, so that it cannot write whichever way a
# doubtful parameter is read.
CASES: dict[str, tuple[Callable[[str], bytes], tuple[int, str | None, str | None]]] = {
    # Percent-escapes that are not escapes stay as they are in a form body; the
    # '%' then fails the name pattern.
    "bad escape in body": (
        lambda n: f"{IAM}&UserName=%ZZ{n}".encode(),
        (400, "ValidationError", None)),
    "truncated escape in body": (
        lambda n: f"{IAM}&UserName={n}%".encode(),
        (400, "ValidationError", None)),
    "bad escape in a parameter name": (
        lambda n: f"{IAM}&UserName={n}&Pa%G1th=/x/".encode(),
        (409, "EntityAlreadyExists", None)),
    "non-UTF-8 bytes": (
        lambda n: f"{IAM}&UserName=".encode() + b"\xff\xfe\xc3(" + n.encode(),
        (400, "ValidationError", None)),
    "non-UTF-8 escapes": (
        lambda n: f"{IAM}&UserName=%FF%FE%C3%28{n}".encode(),
        (400, "ValidationError", None)),
    "NUL byte": (
        lambda n: f"{IAM}&UserName={n}%00".encode(),
        (400, "ValidationError", None)),
    "1 MB user name": (
        lambda n: f"{IAM}&UserName=".encode() + b"a" * MB,
        (400, "ValidationError", "1 validation error detected: Value at 'userName' failed to "
                                 "satisfy constraint: Member must have length less than or "
                                 "equal to 64")),
    "1 MB path": (
        lambda n: f"{IAM}&UserName={n}&Path=/".encode() + b"a" * MB + b"/",
        (400, "ValidationError", None)),
    "1 MB policy document": (
        lambda n: b"Action=CreatePolicy&Version=2010-05-08&PolicyName=" + n.encode()
        + b"&PolicyDocument=" + quote('{"Version":"2012-10-17","Statement":[' + "{}," * (MB // 3)
                                     + "{}]}").encode(),
        (400, "ValidationError", None)),
    "1 MB tag value": (
        lambda n: f"{IAM}&UserName={n}&Tags.member.1.Key=k&Tags.member.1.Value=".encode()
        + b"v" * MB,
        (400, "ValidationError", None)),
    "2 MB body of tags": (
        lambda n: _many_tags_body(n, 2 * MB),
        (400, "ValidationError", "1 validation error detected: Value at 'tags' failed to "
                                 "satisfy constraint: Member must have length less than or "
                                 "equal to 50")),
    "2 MB of unknown parameters": (
        lambda n: f"{IAM}&UserName={n}&".encode()
        + b"&".join(b"Unknown%d=x" % i for i in range(2 * MB // 12)),
        (409, "EntityAlreadyExists", None)),
    "unknown Action": (
        lambda n: b"Action=Frobnicate&Version=2010-05-08&UserName=" + n.encode(),
        (400, "InvalidAction", "Could not find operation Frobnicate for version 2010-05-08")),
    "STS action on IAM's signing name": (
        lambda n: b"Action=GetSessionToken&Version=2010-05-08",
        (400, "InvalidAction", "Could not find operation GetSessionToken for version "
                               "2010-05-08")),
    "empty Action": (
        lambda n: b"Action=&Version=2010-05-08",
        (400, "InvalidAction", None)),
    "missing Action": (
        lambda n: b"Version=2010-05-08&UserName=" + n.encode(),
        (400, "MissingAction", None)),
    "empty body": (lambda n: b"", (400, "MissingAction", None)),
    "only separators": (lambda n: b"&&&=&==&", (400, "MissingAction", None)),
    "missing Version": (
        lambda n: b"Action=CreateUser&UserName=" + n.encode(),
        (400, "InvalidAction", "Could not find operation CreateUser for version "
                               "NO_VERSION_SPECIFIED")),
    "wrong Version": (
        lambda n: b"Action=CreateUser&Version=2011-06-15&UserName=" + n.encode(),
        (400, "InvalidAction", "Could not find operation CreateUser for version 2011-06-15")),
    "lowercase action": (
        lambda n: b"Action=createuser&Version=2010-05-08&UserName=" + n.encode(),
        (400, "InvalidAction", "Could not find operation createuser for version 2010-05-08")),
    # A repeated field keeps its first value, as AWS reads it; the later ones are
    # ignored, whatever they say.
    "duplicated UserName": (
        lambda n: f"{IAM}&UserName={n}&UserName={n}".encode(),
        (409, "EntityAlreadyExists", None)),
    "duplicated UserName, the second new": (
        lambda n: f"{IAM}&UserName={n}&UserName={n}-second".encode(),
        (409, "EntityAlreadyExists", None)),
    "duplicated Action and Version": (
        lambda n: f"{IAM}&{IAM}&UserName={n}".encode(),
        (409, "EntityAlreadyExists", None)),
    "duplicated Action, the second unknown": (
        lambda n: f"{IAM}&Action=Frobnicate&UserName={n}".encode(),
        (409, "EntityAlreadyExists", None)),
    "duplicated Action, the first unknown": (
        lambda n: f"Action=Frobnicate&{IAM}&UserName={n}".encode(),
        (400, "InvalidAction", "Could not find operation Frobnicate for version 2010-05-08")),
    "Tags.member.999999.Key": (
        lambda n: f"{IAM}&UserName={n}&Tags.member.999999.Key=k".encode(),
        (400, "ValidationError", None)),
    "Tags.member.999999 with a value": (
        lambda n: f"{IAM}&UserName={n}&Tags.member.999999.Key=k&Tags.member.999999.Value=v"
        .encode(),
        (409, "EntityAlreadyExists", None)),
    "index beyond 64 bits": (
        lambda n: f"{IAM}&UserName={n}&Tags.member.{'9' * 40}.Key=k&Tags.member.{'9' * 40}"
        ".Value=v".encode(),
        (409, "EntityAlreadyExists", None)),
    "index 0, negative, not a number": (
        lambda n: f"{IAM}&UserName={n}&Tags.member.0.Key=a&Tags.member.0.Value=b"
        "&Tags.member.-1.Key=c&Tags.member.x.Key=d&Tags.member..Key=e".encode(),
        (409, "EntityAlreadyExists", None)),
    "scalar given as a list": (
        lambda n: f"{IAM}&UserName.member.1={n}".encode(),
        (400, "ValidationError", None)),
    "list given as a scalar": (
        lambda n: f"{IAM}&UserName={n}&Tags=k".encode(),
        (409, "EntityAlreadyExists", None)),
    # Read as Tags.member.1 with an unknown sub-field and no Key or Value.
    "deeply nested parameter name": (
        lambda n: f"{IAM}&UserName={n}&Tags".encode() + b".member.1" * 5000 + b".Key=k",
        (400, "ValidationError", None)),
    "100 000 empty parameters": (
        lambda n: f"{IAM}&UserName={n}".encode() + b"&" * 100_000,
        (409, "EntityAlreadyExists", None)),
    "not a number": (
        lambda n: b"Action=ListUsers&Version=2010-05-08&MaxItems=ten",
        (400, "MalformedInput", None)),
    "number out of range": (
        lambda n: b"Action=ListUsers&Version=2010-05-08&MaxItems=99999999999999999999999",
        (400, None, None)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_malformed_body_is_an_aws_error_and_changes_nothing(
        iamd_server: IamdServer, existing: str, case: str) -> None:
    build, (status, code, message) = CASES[case]
    before = snapshot(iamd_server)
    answer = send_signed(iamd_server, build(existing))
    got = aws_error(answer)
    assert got[0] == status, answer.body[:2000]
    if code is not None:
        assert got[1] == code, answer.body[:2000]
    if message is not None:
        assert got[2] == message
    assert snapshot(iamd_server) == before


@pytest.mark.parametrize("query", [
    "Action=ListUsers&Version=2010-05-08&Marker=%ZZ",
    "Action=ListUsers&Version=2010-05-08&Marker=%",
    "Action=ListUsers&Version=2010-05-08&Marker=%4",
])
def test_bad_escape_in_query_string(iamd_server: IamdServer, query: str) -> None:
    before = snapshot(iamd_server)
    _, code, message = aws_error(send_signed(iamd_server, b"", method="GET", query=query))
    assert code == "MalformedQueryString"
    assert message in ("Incomplete trailing escape % sequence",
                       f"Illegal hex character in escape % pattern: {query[query.index('%'):][:3]}")
    assert snapshot(iamd_server) == before


def test_non_utf8_query_string(iamd_server: IamdServer, existing: str) -> None:
    before = snapshot(iamd_server)
    query = f"{IAM}&UserName=%C3%28{existing}"
    status, code, _ = aws_error(send_signed(iamd_server, b"", method="GET", query=query))
    assert (status, code) == (400, "ValidationError")
    assert snapshot(iamd_server) == before


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/json",
                                          "multipart/form-data; boundary=x"])
def test_form_under_another_content_type_is_not_read(iamd_server: IamdServer, unique: Any,
                                                     content_type: str | None) -> None:
    # Only a form body carries parameters (iamd's reading; every SDK sends the form
    # content type), so anything else leaves the request without an Action.
    before = snapshot(iamd_server)
    name = unique("ctype")
    answer = send_signed(iamd_server, f"{IAM}&UserName={name}".encode(),
                         content_type=content_type)
    assert aws_error(answer)[:2] == (400, "MissingAction")
    assert snapshot(iamd_server) == before


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_a_body_beyond_the_limit_is_refused_unread(iamd_server: IamdServer, unique: Any,
                                                   declared: bool) -> None:
    name = unique("huge")
    body = f"{IAM}&UserName={name}&".encode() + b"Unknown=" + b"x" * (9 * MB)
    parts = urlsplit(iamd_server.endpoint)
    connection = http.client.HTTPConnection(parts.netloc, timeout=120)
    try:
        if declared:
            connection.request("POST", "/", body=body, headers={"Content-Type": FORM})
        else:
            chunks = (body[i:i + MB] for i in range(0, len(body), MB))
            connection.request("POST", "/", body=chunks, headers={"Content-Type": FORM},
                               encode_chunked=True)
        response = connection.getresponse()
        answer = Answer(response.status, response.headers, response.read())
    except (BrokenPipeError, ConnectionResetError):
        pytest.fail("iamd closed the connection without an answer")
    finally:
        connection.close()
    assert aws_error(answer)[:2] == (413, "RequestEntityTooLarge")
    with pytest.raises(ClientError) as exc:
        iamd_server.client("iam").get_user(UserName=name)
    assert exc.value.response["Error"]["Code"] == "NoSuchEntity"


def test_malformed_sts_body(iamd_server: IamdServer) -> None:
    cases = [
        b"Action=GetCallerIdentity&Version=2010-05-08",
        b"Action=Frobnicate&Version=2011-06-15",
        b"Action=AssumeRole&Version=2011-06-15&RoleArn=%FF&RoleSessionName=" + b"s" * MB,
        b"Action=GetSessionToken&Version=2011-06-15&DurationSeconds=forever",
    ]
    for body in cases:
        status, code, _ = aws_error(send_signed(iamd_server, body, service="sts"))
        assert status == 400, (body[:80], code)


def test_server_still_serves_after_the_abuse(iamd_server: IamdServer, iam: Any,
                                             unique: Any) -> None:
    name = unique("after")
    iam.create_user(UserName=name)
    assert iam.get_user(UserName=name)["User"]["UserName"] == name
    iam.delete_user(UserName=name)


# -- racing writers -------------------------------------------------------------------------


def _race(server: IamdServer, names: list[str]) -> list[tuple[str, Any]]:
    """CreateUser for each name at once, one thread and one boto3 client per call."""
    clients = [server.client("iam") for _ in names]  # built here: client creation is not thread-safe
    barrier = threading.Barrier(len(names))
    results: list[tuple[str, Any]] = [("", None)] * len(names)

    def create(index: int) -> None:
        barrier.wait()
        try:
            results[index] = ("ok", clients[index].create_user(UserName=names[index])["User"])
        except ClientError as error:
            results[index] = ("error", error.response)
        except Exception as error:  # reported by the assertions on the results
            results[index] = ("crash", repr(error))

    threads = [threading.Thread(target=create, args=(i,)) for i in range(len(names))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


@pytest.mark.parametrize("spelling", ["same", "mixed case"])
def test_concurrent_creates_of_one_name(iamd_server: IamdServer, iam: Any, unique: Any,
                                        spelling: str) -> None:
    name = unique("race")
    names = [name] * 20
    if spelling == "mixed case":  # names are unique regardless of case, as in AWS
        names = [name.upper() if i % 2 else name.capitalize() for i in range(20)]
    results = _race(iamd_server, names)
    wins = [user for outcome, user in results if outcome == "ok"]
    losses = [response for outcome, response in results if outcome == "error"]
    assert len(wins) == 1, results
    assert len(losses) == 19, results
    for response, spelled in zip(losses, [n for (o, _), n in zip(results, names, strict=True)
                                          if o == "error"], strict=True):
        assert response["Error"]["Code"] == "EntityAlreadyExists"
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 409
        assert response["Error"]["Message"] == f"User with name {spelled} already exists."
    stored = [u for u in snapshot(iamd_server) if u[0].lower() == name.lower()]
    assert stored == [(wins[0]["UserName"], wins[0]["UserId"], "/")]
    iam.delete_user(UserName=name)
