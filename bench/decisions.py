"""Decisions per second: iamd's policy engine against moto's, on the same seeded workload.

    python bench/decisions.py [--seed N] [--requests N] [--workload standard|large]

Two workloads, each one principal (an IAM user) and its attached identity
policies, and a batch of requests drawn from `random.Random(seed)`:

- standard: 10 policies of 5 statements each;
- large: 50 policies of 20 statements each.

Statements mix exact and wildcard actions (`s3:Get*`, `ec2:Describe*`,
`dynamodb:*`, `sqs:*Message`, lists of exact actions), resources (a bucket or a
prefix in it, `team-*` name patterns, regional ARNs with `*` for the region or
the id, `*` for the list/describe actions that take no resource) and one or two
`StringEquals` conditions on global keys. Exactly one statement of the whole
set is a Deny (destructive actions on production resources).

Requests are of three sorts: aimed at a random Allow statement (an action and
a resource it covers), aimed at the Deny statement, and background requests
(any action of the catalogue on any resource of its type). Their weights are
set so that about 40% are allowed, 10% explicitly denied and the rest
implicitly denied; the mix iamd actually reaches is printed.

What moto 5.2.1's evaluator (moto/iam/access_control.py) can express bounds the
workload, so that both engines are asked the same question:

- `StringEquals` is the only condition operator it evaluates (any other is
  taken as true), so conditions use it only, one key per operator block (it
  pairs values with keys by position among the keys present);
- it takes a missing condition key as a match, so every key a condition names
  is in every request's context;
- a statement whose action matches but whose condition fails is an explicit
  deny to moto (to AWS it just does not apply), so every request's context
  satisfies the conditions: they are evaluated in full by both engines on every
  statement whose action matches, but never turn a decision;
- it matches actions case-sensitively and reads `?` and `.` as regex syntax,
  so requests spell actions as the policies do and patterns use `*` only;
- it knows no NotResource and no policy variables, so statements use neither;
- every resource is in the principal's account (moto has no cross-account
  logic).

iamd: `PolicySet.compile` once; each timed round decides every request (the
`Request` objects are built beforehand; a separate figure includes building
them). moto: one `IAMPolicy` per document built once (it parses the JSON
there), then per request the aggregation of `IAMRequestBase.check_action_permitted`:
any DENIED denies, else any PERMITTED allows, else an implicit deny.
Single core, in process, `time.perf_counter`, best of 5 rounds for iamd and
3 for moto. The last lines printed are one per workload:

    standard iamd=N/s moto=M/s ratio=R
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from moto.iam.access_control import IAMPolicy, PermissionResult

from iamd.policy import Context, PolicySet, Principal, Request, parse_policy
from iamd.policy.kinds import SIZE_LIMITS, PolicyKind

ALLOW = "Allow"
EXPLICIT_DENY = "ExplicitDeny"
IMPLICIT_DENY = "ImplicitDeny"

ACCOUNT = "111122223333"
ORG_ID = "o-a1b2c3d4e5"
USER = "alice"
PRINCIPAL_ARN = f"arn:aws:iam::{ACCOUNT}:user/engineering/{USER}"
PRINCIPAL_TEAM = "platform"
REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
OTHER_REGIONS = ("eu-central-1", "ap-southeast-2", "sa-east-1")

# --- The catalogue: actions and the type of resource each one takes ----------

# service -> action -> resource type ("*": the action takes no resource).
ACTIONS: dict[str, dict[str, str]] = {
    "s3": {
        "GetObject": "object", "GetObjectVersion": "object", "GetObjectTagging": "object",
        "GetObjectAcl": "object", "PutObject": "object", "PutObjectTagging": "object",
        "DeleteObject": "object", "DeleteObjectVersion": "object", "ListBucket": "bucket",
        "ListBucketVersions": "bucket", "GetBucketLocation": "bucket", "GetBucketPolicy": "bucket",
        "GetBucketTagging": "bucket", "PutBucketPolicy": "bucket", "PutBucketTagging": "bucket",
        "DeleteBucket": "bucket", "ListAllMyBuckets": "*",
    },
    "ec2": {
        "DescribeInstances": "*", "DescribeVolumes": "*", "DescribeSecurityGroups": "*",
        "DescribeSubnets": "*", "DescribeImages": "*", "DescribeVpcs": "*",
        "StartInstances": "instance", "StopInstances": "instance", "RebootInstances": "instance",
        "TerminateInstances": "instance", "CreateTags": "instance", "DeleteTags": "instance",
    },
    "dynamodb": {
        "GetItem": "table", "BatchGetItem": "table", "Query": "table", "Scan": "table",
        "PutItem": "table", "UpdateItem": "table", "DeleteItem": "table",
        "BatchWriteItem": "table", "DescribeTable": "table", "UpdateTable": "table",
        "DeleteTable": "table", "ListTables": "*",
    },
    "sqs": {
        "SendMessage": "queue", "ReceiveMessage": "queue", "DeleteMessage": "queue",
        "ChangeMessageVisibility": "queue", "GetQueueAttributes": "queue",
        "GetQueueUrl": "queue", "PurgeQueue": "queue", "DeleteQueue": "queue", "ListQueues": "*",
    },
    "lambda": {
        "InvokeFunction": "function", "GetFunction": "function",
        "GetFunctionConfiguration": "function", "UpdateFunctionCode": "function",
        "UpdateFunctionConfiguration": "function", "DeleteFunction": "function",
        "ListFunctions": "*",
    },
    "logs": {
        "CreateLogStream": "log-group", "PutLogEvents": "log-group", "GetLogEvents": "log-group",
        "FilterLogEvents": "log-group", "DeleteLogGroup": "log-group", "DescribeLogGroups": "*",
    },
    "kms": {
        "Decrypt": "key", "Encrypt": "key", "GenerateDataKey": "key", "DescribeKey": "key",
        "ReEncryptFrom": "key", "ScheduleKeyDeletion": "key", "ListKeys": "*",
    },
    "secretsmanager": {
        "GetSecretValue": "secret", "DescribeSecret": "secret", "PutSecretValue": "secret",
        "UpdateSecret": "secret", "DeleteSecret": "secret", "ListSecrets": "*",
    },
}
SERVICE_WEIGHTS = {"s3": 5, "ec2": 2, "dynamodb": 3, "sqs": 2, "lambda": 2, "logs": 1, "kms": 1,
                   "secretsmanager": 1}

# Wildcard action patterns a policy author would write, per service.
ACTION_WILDCARDS: dict[str, tuple[str, ...]] = {
    "s3": ("s3:Get*", "s3:List*", "s3:Put*", "s3:*Object", "s3:GetObject*", "s3:*Tagging",
           "s3:GetBucket*", "s3:*"),
    "ec2": ("ec2:Describe*", "ec2:*Instances", "ec2:*Tags", "ec2:Start*"),
    "dynamodb": ("dynamodb:*", "dynamodb:Get*", "dynamodb:Batch*", "dynamodb:*Item",
                 "dynamodb:Describe*", "dynamodb:Query"),
    "sqs": ("sqs:*Message", "sqs:Get*", "sqs:*", "sqs:*Queue*"),
    "lambda": ("lambda:Get*", "lambda:Invoke*", "lambda:Update*", "lambda:*"),
    "logs": ("logs:*", "logs:Get*", "logs:Put*", "logs:*LogEvents"),
    "kms": ("kms:*", "kms:Decrypt", "kms:GenerateDataKey*", "kms:Describe*"),
    "secretsmanager": ("secretsmanager:Get*", "secretsmanager:Describe*", "secretsmanager:*"),
}

# The Deny: destructive actions on production resources.
DENIED_ACTIONS = ("s3:DeleteBucket", "s3:PutBucketPolicy", "s3:DeleteObjectVersion",
                  "dynamodb:DeleteTable", "dynamodb:UpdateTable", "ec2:TerminateInstances",
                  "sqs:PurgeQueue", "sqs:DeleteQueue", "lambda:DeleteFunction",
                  "logs:DeleteLogGroup", "kms:ScheduleKeyDeletion", "secretsmanager:DeleteSecret")

# --- Resources: ARN templates and the pools their fields are drawn from ------

# type -> ARN template; a field in braces is drawn from a pool of that name.
ARNS: dict[str, str] = {
    "object": "arn:aws:s3:::{team}-{purpose}-{env}/{prefix}/{key}",
    "bucket": "arn:aws:s3:::{team}-{purpose}-{env}",
    "instance": "arn:aws:ec2:{region}:" + ACCOUNT + ":instance/{instance}",
    "table": "arn:aws:dynamodb:{region}:" + ACCOUNT + ":table/{team}-{entity}-{env}",
    "queue": "arn:aws:sqs:{region}:" + ACCOUNT + ":{team}-{entity}-{env}",
    "function": "arn:aws:lambda:{region}:" + ACCOUNT + ":function:{team}-{entity}-{env}",
    "log-group": "arn:aws:logs:{region}:" + ACCOUNT + ":log-group:/app/{team}/{env}",
    "key": "arn:aws:kms:{region}:" + ACCOUNT + ":key/{keyid}",
    "secret": "arn:aws:secretsmanager:{region}:" + ACCOUNT + ":secret:{team}/{env}/{entity}-{suffix}",
}
_FIELD = re.compile(r"\{(\w+)\}")
TEAMS = ("analytics", "web", "billing", "search", "ml", "ops", "mobile", "growth", "infra",
         "payments", "identity", "media", "catalog", "support", "fraud", "ads", "maps", "mail",
         "chat", "video", "store", "risk", "labs", "edge", "audit", "crm", "hr", "legal",
         "sales", "data", "iot", "games", "docs", "build", "qa", "sec", "core", "api",
         "partner", "ledger")
# The fields a policy may replace with `*` in a resource pattern, per type.
GENERALISABLE: dict[str, tuple[frozenset[str], ...]] = {
    "object": (frozenset({"prefix", "key"}), frozenset({"key"}), frozenset({"env", "prefix", "key"}),
               frozenset({"purpose", "env", "key"}), frozenset({"env", "key"})),
    "bucket": (frozenset(), frozenset({"env"}), frozenset({"purpose", "env"})),
    "instance": (frozenset({"region", "instance"}), frozenset({"instance"}), frozenset()),
    "table": (frozenset(), frozenset({"env"}), frozenset({"region"}), frozenset({"entity", "env"})),
    "queue": (frozenset(), frozenset({"region", "env"}), frozenset({"entity", "env"})),
    "function": (frozenset({"region"}), frozenset({"entity", "env"}), frozenset({"env"})),
    "log-group": (frozenset({"region"}), frozenset({"env"}), frozenset({"region", "env"})),
    "key": (frozenset({"keyid"}), frozenset(), frozenset({"region", "keyid"})),
    "secret": (frozenset({"suffix"}), frozenset({"entity", "suffix"}), frozenset({"env", "entity", "suffix"})),
}


class Pools:
    """The values each ARN field is drawn from (sized per workload)."""

    def __init__(self, rng: random.Random, teams: int) -> None:
        hexdigits = "0123456789abcdef"
        self.values: dict[str, tuple[str, ...]] = {
            # analytics, web, ..., then analytics2, web2, ... when more are wanted.
            "team": tuple(TEAMS[i % len(TEAMS)] + (str(i // len(TEAMS) + 1) if i >= len(TEAMS) else "")
                          for i in range(teams)),
            "purpose": ("data", "logs", "assets", "backups", "reports", "exports"),
            "env": ("prod", "staging", "dev"),
            "prefix": ("raw", "curated", "exports", "tmp", "public", "private", "archive"),
            "key": tuple(f"part-{rng.randrange(10**5):05d}" for _ in range(50)),
            "region": REGIONS,
            "instance": tuple("i-0" + "".join(rng.choice(hexdigits) for _ in range(16))
                              for _ in range(60)),
            "entity": ("orders", "users", "sessions", "events", "inventory", "invoices",
                       "jobs", "alerts"),
            "keyid": tuple("-".join("".join(rng.choice(hexdigits) for _ in range(n))
                                    for n in (8, 4, 4, 4, 12)) for _ in range(20)),
            "suffix": tuple("".join(rng.choice("ABCDEFGHabcdefgh0123456789") for _ in range(6))
                            for _ in range(30)),
        }

    def fill(self, rng: random.Random, kind: str, fixed: dict[str, str]) -> str:
        """A concrete ARN of `kind`: the fixed fields as given, the others drawn."""
        return _FIELD.sub(lambda m: fixed.get(m.group(1)) or rng.choice(self.values[m.group(1)]),
                          ARNS[kind])


def _pattern(kind: str, fixed: dict[str, str]) -> str:
    """The ARN pattern of `kind` with every field not in `fixed` a `*` (runs of them merged)."""
    text = _FIELD.sub(lambda m: fixed.get(m.group(1), "*"), ARNS[kind])
    return re.sub(r"\*(?:[-/:]\*)+", "*", text)


@dataclass
class ResourceSpec:
    kind: str  # a resource type, or "*" for the Resource "*"
    fixed: dict[str, str]  # the fields the pattern names


@dataclass
class StatementSpec:
    effect: str
    actions: tuple[str, ...]  # action patterns
    resources: tuple[ResourceSpec, ...]
    conditions: dict[str, dict[str, str | list[str]]]
    covered: tuple[str, ...] = ()  # catalogue actions its Action matches

    def to_json(self, sid: str) -> dict[str, Any]:
        resources = [("*" if r.kind == "*" else _pattern(r.kind, r.fixed)) for r in self.resources]
        return {
            "Sid": sid,
            "Effect": self.effect,
            "Action": self.actions[0] if len(self.actions) == 1 else list(self.actions),
            "Resource": resources[0] if len(resources) == 1 else resources,
            "Condition": self.conditions,
        }


def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(map(re.escape, pattern.split("*"))))


ALL_ACTIONS = tuple(f"{svc}:{name}" for svc, names in ACTIONS.items() for name in names)
RESOURCE_TYPE = {f"{svc}:{name}": kind for svc, names in ACTIONS.items()
                 for name, kind in names.items()}


def _covered(patterns: Sequence[str]) -> tuple[str, ...]:
    regexes = [_glob(p) for p in patterns]
    return tuple(a for a in ALL_ACTIONS if any(r.fullmatch(a) for r in regexes))


# --- Conditions: StringEquals on global keys every request carries -----------

def _conditions(rng: random.Random) -> dict[str, dict[str, str | list[str]]]:
    """One or two StringEquals conditions that every request of the workload satisfies."""
    def regions() -> str | list[str]:
        values = list(REGIONS) + rng.sample(OTHER_REGIONS, rng.randrange(3))
        rng.shuffle(values)
        return values

    def team() -> str | list[str]:
        if rng.random() < 0.4:
            return PRINCIPAL_TEAM
        values = [PRINCIPAL_TEAM, *rng.sample(("data", "sre", "security", "finance"), rng.randrange(1, 3))]
        rng.shuffle(values)
        return values

    choices: dict[str, Callable[[], str | list[str]]] = {
        "aws:RequestedRegion": regions,
        "aws:PrincipalTag/team": team,
        "aws:PrincipalOrgID": lambda: ORG_ID,
        "aws:PrincipalAccount": lambda: ACCOUNT,
        "aws:SecureTransport": lambda: "true",
        "aws:ResourceAccount": lambda: [ACCOUNT, "444455556666"],
    }
    keys = rng.sample(sorted(choices), 1 if rng.random() < 0.5 else 2)
    return {"StringEquals": {key: choices[key]() for key in keys}}


def _context(rng: random.Random, region: str) -> dict[str, str]:
    return {
        "aws:RequestedRegion": region,
        "aws:PrincipalTag/team": PRINCIPAL_TEAM,
        "aws:PrincipalOrgID": ORG_ID,
        "aws:PrincipalAccount": ACCOUNT,
        "aws:SecureTransport": "true",
        "aws:ResourceAccount": ACCOUNT,
        "aws:PrincipalArn": PRINCIPAL_ARN,
        "aws:PrincipalType": "User",
        "aws:username": USER,
        "aws:userid": "AIDAJQABLZS4A3QDU576Q",
        "aws:SourceIp": f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
        "aws:CurrentTime": f"2026-03-{rng.randrange(1, 29):02d}T{rng.randrange(24):02d}:00:00Z",
        "aws:MultiFactorAuthPresent": "true",
    }


# --- Policies ----------------------------------------------------------------

def _allow_statement(rng: random.Random, pools: Pools) -> StatementSpec:
    services = list(SERVICE_WEIGHTS)
    service = rng.choices(services, weights=[SERVICE_WEIGHTS[s] for s in services])[0]
    roll = rng.random()
    if roll < 0.45:
        actions: tuple[str, ...] = (rng.choice(ACTION_WILDCARDS[service]),)
    elif roll < 0.6:
        actions = tuple(rng.sample(ACTION_WILDCARDS[service], 2))
    else:
        names = rng.sample(sorted(ACTIONS[service]), rng.randrange(1, 4))
        actions = tuple(f"{service}:{name}" for name in names)
    covered = _covered(actions)
    kinds = sorted({RESOURCE_TYPE[a] for a in covered})
    resources: list[ResourceSpec] = []
    if kinds == ["*"]:
        # List/Describe actions take no resource: "*" is what their policies say.
        resources.append(ResourceSpec("*", {}))
    else:
        # One pattern per resource type, around one concrete resource.
        team = rng.choice(pools.values["team"])
        for kind in kinds:
            if kind == "*":
                continue
            wild = rng.choice(GENERALISABLE[kind])
            names = dict.fromkeys(_FIELD.findall(ARNS[kind]))  # in template order: reproducible
            fixed = {f: (team if f == "team" else rng.choice(pools.values[f]))
                     for f in names if f not in wild}
            resources.append(ResourceSpec(kind, fixed))
    return StatementSpec("Allow", actions, tuple(resources), _conditions(rng), covered)


def _deny_statement(rng: random.Random) -> StatementSpec:
    kinds = sorted({RESOURCE_TYPE[a] for a in DENIED_ACTIONS})
    resources = tuple(ResourceSpec(k, {"env": "prod"} if "{env}" in ARNS[k] else {})
                      for k in kinds)
    return StatementSpec("Deny", DENIED_ACTIONS, resources, _conditions(rng),
                         _covered(DENIED_ACTIONS))


@dataclass
class Workload:
    name: str
    policies: int
    statements: int
    teams: int  # size of the team pool: how much of the world the policies cover
    aim_allow: float  # share of requests aimed at an Allow statement
    aim_deny: float  # share aimed at the Deny statement


WORKLOADS = {
    "standard": Workload("standard", 10, 5, teams=8, aim_allow=0.30, aim_deny=0.04),
    "large": Workload("large", 50, 20, teams=160, aim_allow=0.12, aim_deny=0.035),
}


@dataclass
class Generated:
    documents: list[str]  # JSON text, as stored
    allows: list[StatementSpec]
    deny: StatementSpec
    requests: list[tuple[str, str, dict[str, str]]]  # action, resource, context
    sorts: list[str]  # how each request was drawn: "allow", "deny" or "background"


def generate(workload: Workload, seed: int, count: int) -> Generated:
    rng = random.Random(f"{seed}:{workload.name}")
    pools = Pools(rng, workload.teams)
    specs = [[_allow_statement(rng, pools) for _ in range(workload.statements)]
             for _ in range(workload.policies)]
    deny = _deny_statement(rng)
    specs[rng.randrange(workload.policies)][rng.randrange(workload.statements)] = deny
    allows = [s for policy in specs for s in policy if s.effect == "Allow"]
    documents = []
    for p, policy in enumerate(specs):
        doc = {"Version": "2012-10-17",
               "Statement": [s.to_json(f"P{p}S{i}") for i, s in enumerate(policy)]}
        documents.append(json.dumps(doc, separators=(",", ":")))

    requests = []
    sorts = []
    while len(requests) < count:
        roll = rng.random()
        if roll < workload.aim_allow:
            sort, aimed = "allow", _aimed(rng, pools, rng.choice(allows))
        elif roll < workload.aim_allow + workload.aim_deny:
            sort, aimed = "deny", _aimed(rng, pools, deny)
        else:
            action = rng.choice(ALL_ACTIONS)
            kind = RESOURCE_TYPE[action]
            sort, aimed = "background", (action, "*" if kind == "*" else pools.fill(rng, kind, {}))
        if aimed is None:
            continue
        action, resource = aimed
        region = resource.split(":")[3] if resource.count(":") >= 5 else ""
        requests.append((action, resource, _context(rng, region or rng.choice(REGIONS))))
        sorts.append(sort)
    return Generated(documents, allows, deny, requests, sorts)


def _aimed(rng: random.Random, pools: Pools, spec: StatementSpec) -> tuple[str, str] | None:
    """An action and resource that `spec` covers, or None when it has no such pair."""
    usable = [a for a in spec.covered
              if any(r.kind in ("*", RESOURCE_TYPE[a]) for r in spec.resources)]
    if not usable:
        return None
    action = rng.choice(usable)
    kind = RESOURCE_TYPE[action]
    target = rng.choice([r for r in spec.resources if r.kind in ("*", kind)])
    if kind == "*":
        return action, "*"
    return action, pools.fill(rng, kind, target.fixed)


# --- The two engines ---------------------------------------------------------

def build_iamd(documents: Sequence[str]) -> PolicySet:
    return PolicySet.compile(identity=[(f"Policy{i}", d) for i, d in enumerate(documents)])


def iamd_requests(requests: Sequence[tuple[str, str, dict[str, str]]]) -> list[Request]:
    principal = Principal.from_arn(PRINCIPAL_ARN)
    return [Request(action=a, resource=r, principal=principal, context=Context.of(c))
            for a, r, c in requests]


def build_moto(documents: Sequence[str]) -> Callable[[str, str, dict[str, str]], str]:
    policies = [IAMPolicy(d) for d in documents]
    denied, permitted_result = PermissionResult.DENIED, PermissionResult.PERMITTED

    def decide(action: str, resource: str, context: dict[str, str]) -> str:
        # IAMRequestBase.check_action_permitted, with the decision returned, not raised.
        permitted = False
        for policy in policies:
            result = policy.is_action_permitted(action, resource, None, context)
            if result == denied:
                return EXPLICIT_DENY
            if result == permitted_result:
                permitted = True
        return ALLOW if permitted else IMPLICIT_DENY
    return decide


def _rounds(run: Callable[[], None], rounds: int) -> tuple[list[float], list[float]]:
    """Wall-clock times (perf_counter) of each round, and the process CPU time of each."""
    wall, cpu = [], []
    for _ in range(rounds):
        cpu_start = time.process_time()
        start = time.perf_counter()
        run()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - cpu_start)
    return wall, cpu


def bench(workload: Workload, seed: int, count: int, iamd_rounds: int,
          moto_rounds: int) -> tuple[float, float]:
    gen = generate(workload, seed, count)
    sizes = [len(d) for d in gen.documents]
    managed_limit = SIZE_LIMITS[PolicyKind.MANAGED]
    for document in gen.documents:
        parse_policy(document, PolicyKind.ROLE_INLINE)
    conditions = sum(len(block) for s in gen.allows for block in s.conditions.values())
    print(f"== {workload.name}: {workload.policies} policies x {workload.statements} statements "
          f"({len(gen.allows)} Allow, 1 Deny, {conditions + sum(map(len, gen.deny.conditions.values()))} "
          f"conditions), {count} requests, seed {seed}")
    over = sum(1 for s in sizes if s > managed_limit)
    print(f"   policy size: {min(sizes)}..{max(sizes)} characters"
          + (f" ({over} over the {managed_limit} of a managed policy)" if over else ""))

    start = time.perf_counter()
    policy_set = build_iamd(gen.documents)
    compile_s = time.perf_counter() - start
    start = time.perf_counter()
    moto_decide = build_moto(gen.documents)
    moto_build_s = time.perf_counter() - start
    start = time.perf_counter()
    requests = iamd_requests(gen.requests)
    build_requests_s = time.perf_counter() - start
    print(f"   iamd PolicySet.compile {compile_s * 1e3:.1f} ms; moto IAMPolicy x{len(gen.documents)} "
          f"{moto_build_s * 1e3:.1f} ms; {count} iamd Requests built in {build_requests_s * 1e3:.1f} ms")

    # An untimed pass: the decisions of both engines, compared.
    decide = policy_set.decide
    iamd_decisions = [decide(r).decision for r in requests]
    moto_decisions = [moto_decide(a, r, c) for a, r, c in gen.requests]
    mix = Counter(iamd_decisions)
    moto_mix = Counter(moto_decisions)
    agree = sum(1 for x, y in zip(iamd_decisions, moto_decisions, strict=True) if x == y)
    shares = ", ".join(f"{k} {mix[k] / count:.1%}" for k in (ALLOW, EXPLICIT_DENY, IMPLICIT_DENY))
    moto_shares = ", ".join(f"{k} {moto_mix[k] / count:.1%}"
                            for k in (ALLOW, EXPLICIT_DENY, IMPLICIT_DENY))
    print(f"   iamd decisions: {shares}")
    print(f"   moto decisions: {moto_shares}")
    print(f"   agreement with moto: {agree}/{count} ({agree / count:.1%})")
    by_sort = Counter(zip(gen.sorts, iamd_decisions, strict=True))
    for sort in ("allow", "deny", "background"):
        total = sum(n for (s, _), n in by_sort.items() if s == sort)
        print(f"     requests aimed {sort}: {total}: " + ", ".join(
            f"{k} {by_sort[sort, k]}" for k in (ALLOW, EXPLICIT_DENY, IMPLICIT_DENY)))
    shown = 0
    for (a, r, _), x, y in zip(gen.requests, iamd_decisions, moto_decisions, strict=True):
        if x != y and shown < 5:
            print(f"     differs: {a} {r}: iamd {x}, moto {y}")
            shown += 1

    def run_iamd() -> None:
        for request in requests:
            decide(request)

    raw = gen.requests

    def run_iamd_with_requests() -> None:
        principal = Principal.from_arn(PRINCIPAL_ARN)
        for a, r, c in raw:
            decide(Request(action=a, resource=r, principal=principal, context=Context.of(c)))

    def run_moto() -> None:
        for a, r, c in raw:
            moto_decide(a, r, c)

    iamd_times, iamd_cpu = _rounds(run_iamd, iamd_rounds)
    with_build, _ = _rounds(run_iamd_with_requests, iamd_rounds)
    moto_times, moto_cpu = _rounds(run_moto, moto_rounds)
    iamd_rate = count / min(iamd_times)
    moto_rate = count / min(moto_times)
    # CPU time is less moved by other work on the machine than the wall clock:
    # a cross-check when the load average is high.
    print(f"   iamd: best {iamd_rate:,.0f}/s ({min(iamd_times) / count * 1e6:.2f} us/decision), "
          f"median {count / statistics.median(iamd_times):,.0f}/s over {iamd_rounds} rounds; "
          f"by CPU time best {count / max(min(iamd_cpu), 1e-9):,.0f}/s")
    print(f"   iamd incl. building each Request and Context: best {count / min(with_build):,.0f}/s")
    print(f"   moto: best {moto_rate:,.0f}/s ({min(moto_times) / count * 1e6:.1f} us/decision), "
          f"median {count / statistics.median(moto_times):,.0f}/s over {moto_rounds} rounds; "
          f"by CPU time best {count / max(min(moto_cpu), 1e-9):,.0f}/s")
    return iamd_rate, moto_rate


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1, help="RNG seed (default 1)")
    parser.add_argument("--requests", type=int, default=1000, help="requests per workload")
    parser.add_argument("--workload", choices=sorted(WORKLOADS), action="append",
                        help="run only this workload (repeatable)")
    parser.add_argument("--iamd-rounds", type=int, default=5)
    parser.add_argument("--moto-rounds", type=int, default=3)
    args = parser.parse_args(argv)
    names = args.workload or list(WORKLOADS)
    # Other work on the machine moves the figures a lot: say how busy it was.
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    results = {}
    for name in names:
        results[name] = bench(WORKLOADS[name], args.seed, args.requests, args.iamd_rounds,
                              args.moto_rounds)
    print()
    for name, (iamd_rate, moto_rate) in results.items():
        print(f"{name} iamd={iamd_rate:.0f}/s moto={moto_rate:.0f}/s ratio={iamd_rate / moto_rate:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
