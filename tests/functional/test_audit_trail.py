"""The audit trail against a real `iamd serve`: boto3 and the AWS CLI read back,
with CloudTrail's LookupEvents, the events of calls made with boto3 — writes,
reads, failures, denials, decisions of /_iamd/authorize — in CloudTrail's
record format; secrets never reach an event, the JSON Lines stream or the
server's log; a failed write leaves only its error event; old events are
pruned. (The console's ConsoleLogin events: console/test_sign_in_audit.py.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from test_authorization_endpoint import KEY, READ, authorize, client_request

from conftest import database_for
from iamd.testing import IamdServer

EVENT_SOURCE_IAM = "iam.amazonaws.com"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def audited(request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[IamdServer]:
    """A server of its own (the audit log is this module's), on each backend."""
    database = database_for(request.param)
    data_dir = tmp_path_factory.mktemp(f"audit-{request.param}")
    with IamdServer.start(data_dir, database=database,
                          extra_args=["--audit-log", str(data_dir / "audit.jsonl")]) as server:
        yield server
    # The writer never failed to build or store an event (it logs, not raises).
    assert "iamd.audit" not in server.log_path.read_text()


def audit_log(server: IamdServer) -> Path:
    return server.data_dir / "audit.jsonl"


def lookup(server: IamdServer, attribute: str, value: str, *, until: Callable[[list[dict[str, Any]]], bool] = bool,
           client: Any = None) -> list[dict[str, Any]]:
    """LookupEvents through boto3 until `until` holds (events of reads are
    written in batches, within about a second)."""
    cloudtrail = client or server.client("cloudtrail")
    deadline = time.monotonic() + 15
    while True:
        events = []
        for page in cloudtrail.get_paginator("lookup_events").paginate(
                LookupAttributes=[{"AttributeKey": attribute, "AttributeValue": value}]):
            events += page["Events"]
        if until(events) or time.monotonic() > deadline:
            return events
        time.sleep(0.2)


def record(event: dict[str, Any]) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(event["CloudTrailEvent"])
    return parsed


def by_request(events: list[dict[str, Any]], request_id: str) -> list[dict[str, Any]]:
    return [record(e) for e in events if record(e)["requestID"] == request_id]


def test_a_write_is_read_back_in_cloudtrails_shape(audited: IamdServer, unique: Any) -> None:
    iam = audited.client("iam")
    name = unique("audited")
    created = iam.create_user(UserName=name, Tags=[{"Key": "team", "Value": "blue"}])
    request_id = created["ResponseMetadata"]["RequestId"]
    events = lookup(audited, "ResourceName", name)
    (event,) = [e for e in events if e["EventName"] == "CreateUser"]
    assert event["EventSource"] == EVENT_SOURCE_IAM
    assert event["ReadOnly"] == "false"
    assert event["AccessKeyId"] == audited.access_key_id
    assert event["Username"] == "admin"
    assert {"ResourceType": "AWS::IAM::User", "ResourceName": name} in event["Resources"]
    assert abs(event["EventTime"] - datetime.now(UTC)) < timedelta(minutes=1)
    body = record(event)
    assert body["eventVersion"] == "1.11"
    assert body["eventID"] == event["EventId"]
    assert body["requestID"] == request_id
    assert body["eventType"] == "AwsApiCall"
    assert body["eventSource"] == EVENT_SOURCE_IAM and body["eventName"] == "CreateUser"
    assert body["awsRegion"] == "us-east-1"
    assert body["sourceIPAddress"] == "127.0.0.1"
    assert body["userAgent"].startswith("Boto3/")
    assert body["readOnly"] is False
    account = audited.client("sts").get_caller_identity()["Account"]
    assert body["recipientAccountId"] == account == body["userIdentity"]["accountId"]
    identity = body["userIdentity"]
    assert identity["type"] == "IAMUser" and identity["userName"] == "admin"
    assert identity["arn"].endswith(":user/admin")
    assert identity["accessKeyId"] == audited.access_key_id
    assert identity["principalId"].startswith("AIDA")
    assert body["requestParameters"] == {"userName": name,
                                         "tags": [{"key": "team", "value": "blue"}]}
    user = body["responseElements"]["user"]
    assert user["userName"] == name and user["arn"] == created["User"]["Arn"]
    assert user["userId"] == created["User"]["UserId"]
    # Java's date format, as IAM's events have it: "Dec 5, 2026, 10:48:24 AM".
    datetime.strptime(user["createDate"], "%b %d, %Y, %I:%M:%S %p")
    # iamd's own member: what allowed it.
    assert body["iamd"]["decision"] == "Allow"
    (verdict,) = body["iamd"]["authorizations"]
    assert verdict["action"] == "iam:CreateUser" and verdict["decision"] == "Allow"
    assert verdict["statements"] and verdict["statements"][0]["effect"] == "Allow"
    assert "AdministratorAccess" in verdict["explanation"]


def test_a_read_is_recorded_without_its_result(audited: IamdServer, unique: Any) -> None:
    iam = audited.client("iam")
    name = unique("reader")
    iam.create_user(UserName=name)
    request_id = iam.get_user(UserName=name)["ResponseMetadata"]["RequestId"]
    events = lookup(audited, "EventName", "GetUser",
                    until=lambda found: bool(by_request(found, request_id)))
    (body,) = by_request(events, request_id)
    assert body["readOnly"] is True
    assert body["requestParameters"] == {"userName": name}
    assert body["responseElements"] is None
    # The other lookup attributes find it too.
    for attribute, value in (("EventId", body["eventID"]), ("ReadOnly", "true"),
                             ("AccessKeyId", audited.access_key_id),
                             ("EventSource", EVENT_SOURCE_IAM), ("Username", "admin"),
                             ("ResourceType", "AWS::IAM::User")):
        found = lookup(audited, attribute, value,
                       until=lambda found: bool(by_request(found, request_id)))
        assert by_request(found, request_id), attribute


def test_the_aws_cli_reads_the_trail(audited: IamdServer, unique: Any) -> None:
    iam = audited.client("iam")
    name = unique("cli")
    iam.create_group(GroupName=name)
    lookup(audited, "ResourceName", name)  # written with the change: there at once
    env = {**os.environ, "AWS_ACCESS_KEY_ID": audited.access_key_id,
           "AWS_SECRET_ACCESS_KEY": audited.secret_access_key, "AWS_DEFAULT_REGION": "us-east-1"}
    env.pop("AWS_PROFILE", None)
    done = subprocess.run(
        [sys.executable, "-m", "awscli", "cloudtrail", "lookup-events", "--endpoint-url",
         audited.endpoint, "--lookup-attributes", f"AttributeKey=ResourceName,AttributeValue={name}",
         "--output", "json"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    events = json.loads(done.stdout)["Events"]
    assert [e["EventName"] for e in events] == ["CreateGroup"]
    assert json.loads(events[0]["CloudTrailEvent"])["requestParameters"] == {"groupName": name}


def test_paging_and_time_range(audited: IamdServer, unique: Any) -> None:
    iam = audited.client("iam")
    cloudtrail = audited.client("cloudtrail")
    name = unique("paged")
    iam.create_user(UserName=name)
    for key in ("a", "b", "c", "d", "e"):
        iam.tag_user(UserName=name, Tags=[{"Key": key, "Value": "1"}])
    attribute = [{"AttributeKey": "ResourceName", "AttributeValue": name}]
    seen, token = [], None
    while True:
        page = cloudtrail.lookup_events(LookupAttributes=attribute, MaxResults=2,
                                        **({"NextToken": token} if token else {}))
        assert len(page["Events"]) <= 2
        seen += page["Events"]
        token = page.get("NextToken")
        if token is None:
            break
    assert [e["EventName"] for e in seen] == ["TagUser"] * 5 + ["CreateUser"]
    assert len({e["EventId"] for e in seen}) == 6
    # Newest first, and a window in the past finds nothing.
    assert seen == sorted(seen, key=lambda e: e["EventTime"], reverse=True)
    past = datetime.now(UTC) - timedelta(days=3)
    assert cloudtrail.lookup_events(LookupAttributes=attribute, StartTime=past - timedelta(days=1),
                                    EndTime=past)["Events"] == []
    with pytest.raises(ClientError) as bad:
        cloudtrail.lookup_events(StartTime=past, EndTime=past - timedelta(days=1))
    assert bad.value.response["Error"]["Code"] == "InvalidTimeRangeException"
    with pytest.raises(ClientError) as two:
        cloudtrail.lookup_events(LookupAttributes=[*attribute, *attribute])
    assert two.value.response["Error"]["Code"] == "InvalidLookupAttributesException"
    with pytest.raises(ClientError) as token_error:
        cloudtrail.lookup_events(NextToken="not-a-token")
    assert token_error.value.response["Error"]["Code"] == "InvalidNextTokenException"
    # A token pages the query it came from: reused with another attribute or
    # time range it is refused, as CloudTrail refuses it.
    first = cloudtrail.lookup_events(LookupAttributes=attribute, MaxResults=2)
    for changed in ({"LookupAttributes": [{"AttributeKey": "EventName",
                                           "AttributeValue": "TagUser"}]},
                    {"LookupAttributes": attribute, "StartTime": past}):
        with pytest.raises(ClientError) as reused:
            cloudtrail.lookup_events(MaxResults=2, NextToken=first["NextToken"], **changed)
        assert reused.value.response["Error"]["Code"] == "InvalidNextTokenException"
    assert cloudtrail.lookup_events(LookupAttributes=attribute, MaxResults=2,
                                    NextToken=first["NextToken"])["Events"]


@pytest.fixture
def powerless(audited: IamdServer, unique: Any) -> Iterator[tuple[str, Any]]:
    """A user with one explicit deny and nothing allowed."""
    iam = audited.client("iam")
    name = unique("powerless")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="no-groups", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Sid": "NoGroups", "Effect": "Deny", "Action": "iam:CreateGroup", "Resource": "*"}]}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    yield name, audited.client("iam", key["AccessKeyId"], key["SecretAccessKey"])


def test_a_failed_and_a_denied_call_are_recorded_with_their_reasons(
        audited: IamdServer, powerless: tuple[str, Any], unique: Any) -> None:
    iam = audited.client("iam")
    missing = unique("nobody")
    with pytest.raises(ClientError) as failed:
        iam.get_user(UserName=missing)
    (body,) = by_request(lookup(audited, "ResourceName", missing),
                         failed.value.response["ResponseMetadata"]["RequestId"])
    assert body["errorCode"] == "NoSuchEntity"
    assert body["errorMessage"] == failed.value.response["Error"]["Message"]

    name, client = powerless
    with pytest.raises(ClientError) as implicit:
        client.list_roles()
    with pytest.raises(ClientError) as explicit:
        client.create_group(GroupName=unique("never"))
    events = lookup(audited, "Username", name, until=lambda found: len(found) >= 2)
    implicit_id = implicit.value.response["ResponseMetadata"]["RequestId"]
    explicit_id = explicit.value.response["ResponseMetadata"]["RequestId"]
    (denied,) = by_request(events, implicit_id)
    assert denied["errorCode"] == "AccessDenied"
    assert denied["errorMessage"] == implicit.value.response["Error"]["Message"]
    assert denied["iamd"]["decision"] == "ImplicitDeny"
    assert "no identity-based policy allows the iam:ListRoles action" in \
        denied["iamd"]["authorizations"][0]["reason"]
    (refused,) = by_request(events, explicit_id)
    assert refused["errorCode"] == "AccessDenied"
    assert refused["iamd"]["decision"] == "ExplicitDeny"
    (statement,) = refused["iamd"]["authorizations"][0]["statements"]
    assert statement["sid"] == "NoGroups" and statement["effect"] == "Deny"
    assert "NoGroups" in refused["iamd"]["authorizations"][0]["explanation"]
    assert refused["responseElements"] is None


def test_a_rolled_back_write_leaves_only_its_error(audited: IamdServer, unique: Any) -> None:
    iam = audited.client("iam")
    name = unique("twice")
    iam.create_user(UserName=name)
    with pytest.raises(ClientError) as duplicate:
        iam.create_user(UserName=name, Tags=[{"Key": "k", "Value": "v"}])
    request_id = duplicate.value.response["ResponseMetadata"]["RequestId"]
    events = lookup(audited, "ResourceName", name,
                    until=lambda found: bool(by_request(found, request_id)))
    (body,) = by_request(events, request_id)
    assert body["errorCode"] == "EntityAlreadyExists" and body["responseElements"] is None
    assert [e["EventName"] for e in events] == ["CreateUser", "CreateUser"]
    assert [record(e).get("errorCode") for e in events] == ["EntityAlreadyExists", None]
    assert "Tags" not in iam.get_user(UserName=name)["User"]


def test_authorize_decisions_are_the_calling_services_events(
        audited: IamdServer, unique: Any) -> None:
    iam = audited.client("iam")
    name = unique("s3client")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="read", PolicyDocument=json.dumps(READ))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    creds = Credentials(key["AccessKeyId"], key["SecretAccessKey"])
    allowed = authorize(audited, client_request(creds))
    assert allowed["decision"] == "Allow"
    denied = authorize(audited, client_request(creds, method="PUT"), action="s3:PutObject")
    assert denied["decision"] == "ImplicitDeny"
    events = lookup(audited, "Username", name, until=lambda found: len(
        [e for e in found if e["EventSource"] == "s3.amazonaws.com"]) >= 2)
    bodies = {record(e)["eventName"]: record(e) for e in events
              if e["EventSource"] == "s3.amazonaws.com"}
    get, put = bodies["GetObject"], bodies["PutObject"]
    assert get["userIdentity"]["accessKeyId"] == key["AccessKeyId"]
    assert get["resources"] == [{"accountId": get["recipientAccountId"],
                                 "type": "AWS::s3::reports", "ARN": KEY}]
    assert "errorCode" not in get and get["iamd"]["decision"] == "Allow"
    assert get["iamd"]["askedBy"]["arn"].endswith(":user/admin")
    assert put["errorCode"] == "AccessDenied"
    assert put["errorMessage"] == (
        f"User: {get['userIdentity']['arn']} is not authorized to perform: s3:PutObject on "
        f"resource: {KEY} because no identity-based policy allows the s3:PutObject action")


def test_lookup_events_is_authorized_by_policy(audited: IamdServer,
                                               powerless: tuple[str, Any]) -> None:
    name, _client = powerless
    iam = audited.client("iam")
    key = iam.create_access_key(UserName=name)["AccessKey"]
    cloudtrail = audited.client("cloudtrail", key["AccessKeyId"], key["SecretAccessKey"])
    with pytest.raises(ClientError) as denied:
        cloudtrail.lookup_events()
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "cloudtrail:LookupEvents" in denied.value.response["Error"]["Message"]
    iam.put_user_policy(UserName=name, PolicyName="trail", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "cloudtrail:LookupEvents", "Resource": "*"}]}))
    events = lookup(audited, "Username", name, client=cloudtrail,
                    until=lambda found: any(e["EventName"] == "LookupEvents" for e in found))
    assert any(e["EventName"] == "LookupEvents" and record(e).get("errorCode") for e in events)


def test_secrets_never_reach_an_event_the_stream_or_the_log(
        audited: IamdServer, unique: Any) -> None:
    iam = audited.client("iam")
    name = unique("secretive")
    password = "Audit-Secret-Pa55word!" + unique("x")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    iam.create_login_profile(UserName=name, Password=password)
    new_password = password + "-2"
    iam.update_login_profile(UserName=name, Password=new_password)
    iam.put_user_policy(UserName=name, PolicyName="sts", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "sts:GetFederationToken", "Resource": "*"}]}))
    user_sts = audited.client("sts", key["AccessKeyId"], key["SecretAccessKey"])
    session = user_sts.get_session_token()["Credentials"]
    federated = user_sts.get_federation_token(Name="fed", Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]}))["Credentials"]
    role_sts = audited.client("sts", session["AccessKeyId"], session["SecretAccessKey"],
                              session["SessionToken"])
    role_sts.get_caller_identity()
    secrets = [key["SecretAccessKey"], password, new_password, session["SecretAccessKey"],
               session["SessionToken"], federated["SecretAccessKey"], federated["SessionToken"]]
    # Every event of the calls above is in the store before we look.
    events = lookup(audited, "Username", name,
                    until=lambda found: any(e["EventName"] == "GetCallerIdentity" for e in found))
    names = {e["EventName"] for e in events}
    assert {"GetSessionToken", "GetFederationToken", "GetCallerIdentity"} <= names
    everything = [e["CloudTrailEvent"] for e in lookup(audited, "ResourceName", name)] + \
        [e["CloudTrailEvent"] for e in events]
    created = [record(e) for e in lookup(audited, "ResourceName", name)
               if e["EventName"] == "CreateAccessKey"]
    assert created[0]["responseElements"]["accessKey"]["accessKeyId"] == key["AccessKeyId"]
    assert created[0]["responseElements"]["accessKey"]["secretAccessKey"] == \
        "HIDDEN_DUE_TO_SECURITY_REASONS"
    fed = next(record(e) for e in events if e["EventName"] == "GetFederationToken")
    assert fed["responseElements"]["credentials"]["sessionToken"] == \
        "HIDDEN_DUE_TO_SECURITY_REASONS"
    session_event = next(record(e) for e in events if e["EventName"] == "GetCallerIdentity")
    assert session_event["userIdentity"]["sessionContext"]["attributes"]["mfaAuthenticated"] \
        == "false"
    time.sleep(1.5)  # the stream follows the store by one batch
    stream = audit_log(audited).read_text()
    log = audited.log_path.read_text()
    assert any(json.loads(line)["eventName"] == "GetFederationToken"
               for line in stream.splitlines())
    stored = b""
    if audited.database is None:
        stored = b"".join(path.read_bytes() for path in audited.data_dir.glob("iamd.sqlite3*"))
    for secret in secrets:
        assert all(secret not in text for text in everything)
        assert secret not in stream
        assert secret not in log
        assert secret.encode() not in stored


def test_old_events_are_pruned(tmp_path: Path) -> None:
    """An event older than --audit-retention-days is deleted when the server
    starts (and hourly after); a recent one stays."""
    from iamd.service.audit.record import ApiCall, api_call_event
    from iamd.service.context import Caller, RequestInfo
    from iamd.store.repository import open_store

    with IamdServer.start(tmp_path / "first") as server:
        account = server.account_id or server.client("sts").get_caller_identity()["Account"]
    store = open_store(f"sqlite:///{tmp_path / 'first' / 'iamd.sqlite3'}")
    caller = Caller(account_id=account, arn=f"arn:aws:iam::{account}:root", kind="root",
                    user_id=account)
    now = datetime.now(UTC)
    with store.transaction() as tx:
        for days, name in ((10, "old-one"), (2, "recent-one")):
            when = now - timedelta(days=days)
            info = RequestInfo(request_id=name, now=when)
            tx.audit_events.insert([api_call_event(ApiCall(
                caller, info, "iam", "GetUser", {"UserName": name}, True, at=when))])
    store.close()
    with IamdServer.start(tmp_path / "first", extra_args=["--audit-retention-days", "5"]) as server:
        assert lookup(server, "ResourceName", "recent-one")
        assert lookup(server, "ResourceName", "old-one", until=lambda found: not found) == []


def test_queued_events_are_written_at_shutdown(tmp_path: Path) -> None:
    """Reads' events wait for the next batch; stopping the server (SIGTERM)
    writes them before it exits."""
    with IamdServer.start(tmp_path / "node") as server:
        iam = server.client("iam")
        iam.create_user(UserName="last-words")
        request_ids = [iam.get_user(UserName="last-words")["ResponseMetadata"]["RequestId"]
                       for _ in range(5)]
        server.stop()
    with IamdServer.start(tmp_path / "node") as server:
        events = lookup(server, "ResourceName", "last-words", until=lambda found: len(found) >= 6)
        assert {record(e)["requestID"] for e in events} >= set(request_ids)


def test_the_stream_can_go_to_stdout(tmp_path: Path) -> None:
    with IamdServer.start(tmp_path / "node", extra_args=["--audit-log", "-"]) as server:
        iam = server.client("iam")
        iam.create_user(UserName="streamed")
        key = iam.create_access_key(UserName="streamed")["AccessKey"]
        request_id = iam.get_user(UserName="streamed")["ResponseMetadata"]["RequestId"]
    lines = [json.loads(line) for line in server.log_path.read_text().splitlines()
             if line.startswith('{"eventVersion"')]
    assert [e["eventName"] for e in lines if e["requestParameters"] == {"userName": "streamed"}] \
        == ["CreateUser", "CreateAccessKey", "GetUser"]
    assert any(e["requestID"] == request_id for e in lines)
    assert key["SecretAccessKey"] not in server.log_path.read_text()
