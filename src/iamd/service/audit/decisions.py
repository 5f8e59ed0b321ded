"""The audit events of `/_iamd/authorize`: another service's request, decided.

The event is the one the calling service's own API call would have in
CloudTrail: its client as `userIdentity`, the service's event source
(`s3.amazonaws.com` for `s3:GetObject`), the action's name as `eventName`,
the resource asked for, and AccessDenied with AWS's sentence when the
decision denied. The `iamd` member adds the decision's statements and the
calling service that asked. A calling service that may not ask
(`iamd:AuthorizeRequest` denied) leaves an event of its own call instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from iamd.model.errors import AccessDenied, AwsError
from iamd.policy import Decision
from iamd.service.audit.record import (
    API_CALL,
    Verdict,
    authorization_text,
    build_event,
    dumps,
    identity_text,
    user_identity,
    username_of,
)
from iamd.service.context import Caller, RequestInfo
from iamd.store.audit_events import AuditResource, StoredEvent


def resource_type(arn: str) -> str:
    """A CloudTrail-style type for an ARN iamd knows nothing else about:
    AWS::<service>::<the resource part's first segment>."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return "AWS::Resource"
    service, resource = parts[2], parts[5]
    kind = resource.replace(":", "/").split("/", 1)[0] if ("/" in resource or ":" in resource) \
        else ""
    return f"AWS::{service}::{kind or 'resource'}"


@dataclass(slots=True)
class AuthorizeCall:
    """One `/_iamd/authorize` request as the endpoint saw it."""

    service_caller: Caller
    info: RequestInfo
    action: str
    resource: str
    user_agent: str = ""
    source_ip: str | None = None
    client: Caller | AwsError | None = None
    region: str = ""
    decision: Decision | None = None
    error: AwsError | None = None  # the calling service's own request failed
    verdicts: list[Verdict] = field(default_factory=list)
    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def event(self) -> StoredEvent:
        if self.error is not None or self.client is None:
            return self._service_event()
        service, _, name = self.action.partition(":")
        asked = {"arn": self.service_caller.arn, "requestID": self.info.request_id}
        resources = (AuditResource(resource_type(self.resource), self.resource),) \
            if self.resource != "*" else ()
        client = self.client
        if isinstance(client, AwsError):
            account = self.service_caller.account_id
            return build_event(
                at=self.at, account_id=account, identity={"type": "Unknown"}, username=None,
                access_key_id=None, source=f"{service}.amazonaws.com", name=name,
                info=self.info, request=None, response=None, error=client, read_only=True,
                event_type=API_CALL, resources=resources,
                iamd={"decision": "ImplicitDeny", "authorizations": [], "askedBy": asked},
                source_ip=self.source_ip or "", user_agent=self.user_agent)
        assert self.decision is not None
        # The client's identity and the decision's description repeat from
        # request to request: their JSON is written once (record.py).
        described, sentence = authorization_text(
            client.arn, Verdict(self.action, self.resource, self.decision))
        error = None if self.decision.allowed else AccessDenied(sentence)
        iamd = (f'{{"decision":{dumps(self.decision.decision)},"authorizations":[{described}],'
                f'"askedBy":{dumps(asked)}}}')
        identity, username = identity_text(client)
        return build_event(
            at=self.at, account_id=client.account_id, identity=identity,
            username=username, access_key_id=client.access_key_id,
            source=f"{service}.amazonaws.com", name=name,
            info=replace(self.info, region=self.region) if self.region else self.info,
            request=None, response=None, error=error, read_only=True, event_type=API_CALL,
            resources=resources, iamd=iamd, source_ip=self.source_ip or "",
            user_agent=self.user_agent)

    def _service_event(self) -> StoredEvent:
        caller = self.service_caller
        decision = self.verdicts[-1].decision.decision if self.verdicts else None
        return build_event(
            at=self.at, account_id=caller.account_id, identity=user_identity(caller),
            username=username_of(caller), access_key_id=caller.access_key_id,
            source="iamd.amazonaws.com", name="AuthorizeRequest", info=self.info,
            request={"action": self.action, "resource": self.resource}, response=None,
            error=self.error, read_only=True, event_type=API_CALL,
            iamd={"decision": decision,
                  "authorizations": [v.to_json(caller.arn) for v in self.verdicts]})

