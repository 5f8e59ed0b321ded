"""Deciding another service's request: the answer of `POST /_iamd/authorize`.

A service that received a SigV4-signed request from one of its own clients
hands iamd that request, the action and the resource it asks for, and iamd
answers whether the client may. The body is read by authorize_request.py;
this module owns the decision: checking that the calling service itself may
ask (`iamd:AuthorizeRequest`, through the same authorization path as every
IAM call), building the client's
request context as iamd does for its own calls, gathering the client's
policies plus the resource policy given, deciding, explaining, and sealing the
details of a denial with sts:DecodeAuthorizationMessage's keys. The permission
check and the decision run in one read-only transaction. The client's
signature is verified by the auth layer (auth/forwarded.py; its key lookup is
the same short read as for iamd's own calls) before this module sees the
client as a `Caller`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from iamd.model.errors import AwsError
from iamd.policy import (
    Context,
    Decision,
    PolicyDocument,
    PolicySet,
    Principal,
    Request,
    explain,
)
from iamd.service.audit.decisions import AuthorizeCall
from iamd.service.authorization import require
from iamd.service.authorize_request import RESOURCE_ACCOUNT, AuthorizeInput
from iamd.service.context import (
    ASSUMED_ROLE,
    FEDERATED_USER,
    IAM_USER,
    ROOT,
    Caller,
    OperationContext,
    RequestInfo,
)
from iamd.service.dispatch import record_call
from iamd.service.global_context import (
    SECURE_TRANSPORT,
    SOURCE_IP,
    global_context,
)
from iamd.service.metrics import count_decision
from iamd.service.permissions import policies_for, resource_controls
from iamd.service.registry import Permission
from iamd.service.runtime import Runtime
from iamd.service.sts.authorization_messages import encode_authorization_message
from iamd.store.interface import Transaction

# The permission a calling service needs; the root user and AdministratorAccess
# have it through "*". Documented in docs/authorization-endpoint.md.
PERMISSION = "iamd:AuthorizeRequest"
PERMISSION_RESOURCE = "*"

# The client errors a calling service forwards to its own client: the request
# was not authenticated, so nothing was decided.
CLIENT_AUTH_ERRORS = frozenset({
    "SignatureDoesNotMatch", "InvalidClientTokenId", "ExpiredToken", "RequestExpired",
    "IncompleteSignature", "MissingAuthenticationToken", "AuthorizationQueryParametersError",
    "MalformedQueryString",
})


# CloudTrail's userIdentity.type names for the principal kinds (not the
# values of aws:PrincipalType, which global_context.py has).
CLOUDTRAIL_IDENTITY_TYPES = {ROOT: "Root", IAM_USER: "IAMUser", ASSUMED_ROLE: "AssumedRole",
                             FEDERATED_USER: "FederatedUser"}


def principal_json(caller: Caller) -> dict[str, str]:
    return {"arn": caller.arn, "account": caller.account_id, "userid": caller.user_id,
            "type": CLOUDTRAIL_IDENTITY_TYPES.get(caller.kind, "Unknown")}


def explanation(decision: Decision) -> dict[str, Any]:
    """What decided, as `iamd policy evaluate` gives it, plus its --explain text."""
    out = decision.to_json()
    del out["decision"]
    out["text"] = explain(decision.to_json())
    return out


def _principal_name(caller: Caller) -> str:
    if caller.kind == ROOT:
        return caller.account_id
    return caller.arn.rsplit("/", 1)[-1]


def denial_details(caller: Caller, action: str, resource: str,
                   conditions: Mapping[str, str | list[str]], decision: Decision) -> dict[str, Any]:
    """What an encoded authorization message carries about one denial, in AWS's shape."""
    matched = [{"statementId": ref.sid or "", "effect": ref.effect.upper(),
                "policyType": ref.policy_type, "policyId": ref.policy_id,
                "policyIndex": ref.policy_index, "statementIndex": ref.statement_index}
               for ref in decision.statements]
    failures = [] if decision.statements else [
        {"policyType": decision.policy_type, "reason": decision.reason}]
    return {
        "allowed": False,
        "explicitDeny": decision.decision == "ExplicitDeny",
        "matchedStatements": matched,
        "failures": failures,
        "context": {
            "principal": {"id": caller.user_id, "name": _principal_name(caller), "arn": caller.arn},
            "action": action,
            "resource": resource,
            "conditions": dict(sorted(conditions.items(), key=lambda kv: kv[0].lower())),
        },
    }


def _client_conditions(ctx: OperationContext, inp: AuthorizeInput,
                       resource_account: str) -> dict[str, str | list[str]]:
    """The client's request context: the global keys iamd fills for its own
    calls (but aws:SourceIp and aws:SecureTransport only when the calling
    service says them), then the service's own keys."""
    values = {key: value for key, value in global_context(ctx).items()
              if key not in (SOURCE_IP, SECURE_TRANSPORT)}
    if inp.source_ip is not None:
        values[SOURCE_IP] = inp.source_ip
    if inp.secure_transport is not None:
        values[SECURE_TRANSPORT] = "true" if inp.secure_transport else "false"
    values[RESOURCE_ACCOUNT] = resource_account
    values.update(inp.context)
    return values


def _resource_account(inp: AuthorizeInput, caller: Caller) -> str:
    if inp.resource_account is not None:
        return inp.resource_account
    parts = inp.resource.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and re.fullmatch(r"\d{12}", parts[4]):
        return parts[4]
    return caller.account_id


@dataclass(frozen=True)
class ClientOutcome:
    """The forwarded request's authentication: its client and the service and
    region it signed for, or the authentication error it met."""

    caller: Caller | AwsError
    service: str = ""
    region: str = ""


def authorize_forwarded(runtime: Runtime, service_caller: Caller, info: RequestInfo,
                        inp: AuthorizeInput, outcome: ClientOutcome,
                        transaction: Transaction | None = None) -> dict[str, Any]:
    """The answer for one forwarded request, in one read-only transaction (the
    one given, in which the caller authenticated both, or one of its own).

    AccessDenied (the calling service may not ask) propagates. Both access
    keys' use is recorded when there is an answer, as dispatch records it for
    iamd's own calls.
    """
    trail = runtime.audit
    call = None if trail is None else AuthorizeCall(
        service_caller, info, inp.action, inp.resource, inp.request.headers.get("user-agent", ""),
        inp.source_ip, outcome.caller, outcome.region)
    try:
        if transaction is not None:
            answer = _answer(runtime, transaction, service_caller, info, inp, outcome, call)
        else:
            with runtime.store.transaction(read_only=True) as tx:
                answer = _answer(runtime, tx, service_caller, info, inp, outcome, call)
    except AwsError as error:
        if trail is not None and call is not None:
            call.error = error
            trail.later(call)
        raise
    if trail is not None and call is not None:
        trail.later(call)  # the decision's event, stored with the next batch
    record_call(runtime, service_caller, info, "iamd", None)
    if isinstance(outcome.caller, Caller):
        record_call(runtime, outcome.caller, replace(info, region=outcome.region),
                    outcome.service, None)
    return answer


def _answer(runtime: Runtime, tx: Transaction, service_caller: Caller, info: RequestInfo,
            inp: AuthorizeInput, outcome: ClientOutcome,
            call: AuthorizeCall | None = None) -> dict[str, Any]:
    client, client_region = outcome.caller, outcome.region or None
    ctx = OperationContext(caller=service_caller, info=info, tx=tx, runtime=runtime,
                           operation="AuthorizeRequest", service="iamd")
    if call is not None:
        ctx.extra["verdicts"] = call.verdicts  # the calling service's own permission
    require(ctx, Permission(PERMISSION, PERMISSION_RESOURCE))
    if isinstance(client, AwsError):
        return {"decision": "ImplicitDeny",
                "error": {"code": client.code, "message": client.message}}
    client_info = replace(info, source_ip=inp.source_ip or "",
                          region=client_region or info.region)
    client_ctx = OperationContext(caller=client, info=client_info, tx=tx, runtime=runtime,
                                  operation=inp.action, service=inp.action.partition(":")[0])
    resource_account = _resource_account(inp, client)
    identity = resource_controls(tx, policies_for(runtime, tx, client, client_ctx.generation),
                                 resource_account, client)
    policies = _with_resource_policy(identity, inp.resource_policy)
    # The context only when a policy reads it (or a denial's message tells it).
    conditions = (_client_conditions(client_ctx, inp, resource_account)
                  if policies.reads_context else None)
    principal = Principal(arn=client.arn, account=client.account_id,
                          kind="root" if client.kind == ROOT else client.kind,
                          role_arn=client.role.arn if client.role is not None else None)
    request = Request(action=inp.action, resource=inp.resource, principal=principal,
                      context=Context.of(conditions) if conditions is not None else Context(),
                      resource_account=resource_account)
    decision = policies.decide(request)
    count_decision(decision.decision)
    if call is not None:
        call.decision = decision
    answer: dict[str, Any] = {"decision": decision.decision,
                              "principal": principal_json(client),
                              "explanation": explanation(decision)}
    if not decision.allowed:
        if conditions is None:
            conditions = _client_conditions(client_ctx, inp, resource_account)
        answer["encoded_message"] = encode_authorization_message(
            runtime, denial_details(client, inp.action, inp.resource, conditions, decision))
    return answer


def _with_resource_policy(identity: PolicySet, document: PolicyDocument | None) -> PolicySet:
    """The principal's cached policy set with this request's resource policy added."""
    if document is None:
        return identity
    alone = _resource_set(document)
    return PolicySet(replace(identity.gates, resource=alone.gates.resource,
                             resource_required=False),
                     identity.reads_resource_tags or alone.reads_resource_tags,
                     identity.reads_context or alone.reads_context)


_RESOURCE_SETS: dict[int, tuple[PolicyDocument, PolicySet]] = {}


def _resource_set(document: PolicyDocument) -> PolicySet:
    """A resource policy compiled alone, once per parsed document (the parsed
    documents are shared, see _parsed_resource_policy; the entry holds its
    document, so its id is not reused while it is kept)."""
    found = _RESOURCE_SETS.get(id(document))
    if found is not None and found[0] is document:
        return found[1]
    compiled = PolicySet.compile(resource=document)
    if len(_RESOURCE_SETS) > 1024:
        _RESOURCE_SETS.clear()
    _RESOURCE_SETS[id(document)] = (document, compiled)
    return compiled
