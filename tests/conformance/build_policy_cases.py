"""Writes policy_cases.jsonl: the conformance table of AWS IAM policy evaluation.

Every case is one request in the shape of docs/policy-engine.md and the
decision AWS documents for it, with the title of the IAM User Guide page the
rule comes from. The cases are written here in Python only so that the shared
accounts, principals and policy fragments are spelled once; the .jsonl file
is the table of record. Run `python tests/conformance/build_policy_cases.py`
after editing and commit both files.

Where the documentation leaves a point open, the case's description says so
("Ambiguous: ...") and explains the reading chosen.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OUT = Path(__file__).with_name("policy_cases.jsonl")

# --- Rules (IAM User Guide page titles) ---------------------------------------
EVAL = "Policy evaluation logic"
CROSS = "Cross-account policy evaluation logic"
OPS = "IAM JSON policy elements: Condition operators"
COND = "IAM JSON policy elements: Condition"
MULTI = "Conditions with multiple context keys or values"
SETS = "Single-valued vs. multivalued context keys"
VARS = "IAM policy elements: Variables and tags"
BOUNDARY = "Permissions boundaries for IAM entities"
SESSION = "Session policies"
SCP = "Service control policies (SCPs)"
RCP = "Resource control policies (RCPs)"
PRINCIPAL = "IAM JSON policy elements: Principal"
NOTPRINCIPAL = "IAM JSON policy elements: NotPrincipal"
NOTACTION = "IAM JSON policy elements: NotAction"
NOTRESOURCE = "IAM JSON policy elements: NotResource"
ACTION = "IAM JSON policy elements: Action"
RESOURCE = "IAM JSON policy elements: Resource"
VERSION = "IAM JSON policy elements: Version"
GLOBAL = "AWS global condition context keys"

# --- Accounts and principals ---------------------------------------------------
A = "111122223333"  # the home account of most cases
B = "444455556666"  # another account, for cross-account cases
ORG = "o-a1b2c3d4e5"

ALICE = f"arn:aws:iam::{A}:user/alice"
DAVE = f"arn:aws:iam::{A}:user/engineering/dave"
ROOT_A = f"arn:aws:iam::{A}:root"
ROLE = f"arn:aws:iam::{A}:role/service/DataReader"  # a role with a path
SESSION_ARN = f"arn:aws:sts::{A}:assumed-role/DataReader/build-42"  # no path in session ARNs
OTHER_SESSION = f"arn:aws:sts::{A}:assumed-role/DataReader/build-43"
FED_USER = f"arn:aws:sts::{A}:federated-user/carol"
BOB = f"arn:aws:iam::{B}:user/bob"
ROOT_B = f"arn:aws:iam::{B}:root"
AUDITOR = f"arn:aws:iam::{B}:role/Auditor"
AUDITOR_SESSION = f"arn:aws:sts::{B}:assumed-role/Auditor/audit-7"

P_ALICE = {"arn": ALICE, "account": A}
P_DAVE = {"arn": DAVE, "account": A}
P_ROOT_A = {"arn": ROOT_A, "account": A}
P_SESSION = {"arn": SESSION_ARN, "account": A}
P_FED = {"arn": FED_USER, "account": A}
P_BOB = {"arn": BOB, "account": B}
P_AUDITOR = {"arn": AUDITOR_SESSION, "account": B}

BUCKET = "arn:aws:s3:::amzn-s3-demo-bucket"
OBJ = BUCKET + "/reports/2024/q1.csv"
QUEUE = f"arn:aws:sqs:us-east-1:{A}:orders"
TOPIC = f"arn:aws:sns:us-east-1:{A}:alerts"

V12 = "2012-10-17"
V08 = "2008-10-17"


# --- Policy helpers -------------------------------------------------------------
def stmt(effect: str, action: Any = None, resource: Any = None, **extra: Any) -> dict[str, Any]:
    s: dict[str, Any] = {"Effect": effect}
    for key in ("Sid", "Principal", "NotPrincipal"):
        if key in extra:
            s[key] = extra.pop(key)
    if action is not None:
        s["Action"] = action
    if "NotAction" in extra:
        s["NotAction"] = extra.pop("NotAction")
    if resource is not None:
        s["Resource"] = resource
    if "NotResource" in extra:
        s["NotResource"] = extra.pop("NotResource")
    s.update(extra)
    return s


def allow(action: Any = None, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return stmt("Allow", action, resource, **extra)


def deny(action: Any = None, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return stmt("Deny", action, resource, **extra)


def doc(*statements: dict[str, Any], version: str | None = V12) -> dict[str, Any]:
    d: dict[str, Any] = {}
    if version is not None:
        d["Version"] = version
    d["Statement"] = list(statements)
    return d


def full_access() -> dict[str, Any]:
    """The shape of the FullAWSAccess SCP."""
    return doc(allow("*", "*"))


def rcp_full_access() -> dict[str, Any]:
    """The shape of the RCPFullAWSAccess RCP."""
    return doc(allow("*", "*", Principal="*"))


def req(
    action: str,
    resource: str,
    principal: dict[str, Any] | None = None,
    *,
    identity: list[Any] | None = None,
    resource_policy: Any = None,
    boundary: Any = None,
    session: list[Any] | None = None,
    scp: list[list[Any]] | None = None,
    rcp: list[list[Any]] | None = None,
    context: dict[str, Any] | None = None,
    resource_account: str | None = None,
) -> dict[str, Any]:
    principal = P_ALICE if principal is None else principal
    r: dict[str, Any] = {"action": action, "resource": resource, "principal": principal}
    if resource_account is not None:
        r["resource_account"] = resource_account
    ctx = dict(context or {})
    # AWS sets aws:PrincipalArn to the role ARN (path included) for role sessions.
    if principal.get("arn") == SESSION_ARN:
        ctx.setdefault("aws:PrincipalArn", ROLE)
    elif principal.get("arn") == AUDITOR_SESSION:
        ctx.setdefault("aws:PrincipalArn", AUDITOR)
    r["context"] = ctx
    policies: dict[str, Any] = {"identity": list(identity or [])}
    if resource_policy is not None:
        policies["resource"] = resource_policy
    if boundary is not None:
        policies["permissions_boundary"] = boundary
    if session is not None:
        policies["session"] = session
    if scp is not None:
        policies["scp"] = scp
    if rcp is not None:
        policies["rcp"] = rcp
    r["policies"] = policies
    return r


CASES: list[dict[str, Any]] = []


def case(
    cid: str,
    rule: str,
    description: str,
    request: dict[str, Any],
    decision: str,
    policy_type: str | None = None,
    level: int | None = None,
) -> None:
    expect: dict[str, Any] = {"decision": decision}
    if policy_type is not None:
        expect["policy_type"] = policy_type
    if level is not None:
        expect["level"] = level
    CASES.append({"id": cid, "rule": rule, "description": description,
                  "request": request, "expect": expect})


def error_case(cid: str, rule: str, description: str, request: dict[str, Any],
               code: str = "MalformedPolicyDocument") -> None:
    CASES.append({"id": cid, "rule": rule, "description": description,
                  "request": request, "expect": {"error": code}})


def cond(cid: str, rule: str, description: str, condition: dict[str, Any],
         context: dict[str, Any], match: bool, *, effect: str = "Allow",
         action: str = "s3:GetObject", resource: str = OBJ,
         principal: dict[str, Any] | None = None) -> None:
    """A condition test: with effect Allow the statement is the only allow, so a
    match means Allow and no match an implicit deny by the identity gate; with
    effect Deny another statement allows everything, so a match means an
    explicit deny and no match an Allow."""
    if effect == "Allow":
        identity = [doc(allow(action, resource, Condition=condition))]
        decision, ptype = ("Allow", "identity") if match else ("ImplicitDeny", "identity")
    else:
        identity = [doc(allow("*", "*"), deny(action, resource, Condition=condition))]
        decision, ptype = ("ExplicitDeny", "identity") if match else ("Allow", "identity")
    case(cid, rule, description,
         req(action, resource, principal, identity=identity, context=context),
         decision, ptype)


# ==============================================================================
# Policy evaluation logic: explicit deny, implicit deny, allow
# ==============================================================================
def evaluation_basics() -> None:
    case("eval-default-deny-no-policies", EVAL,
         "With no policy at all the request is implicitly denied; the identity gate has no allow.",
         req("s3:GetObject", OBJ), "ImplicitDeny", "identity")
    error_case("eval-empty-statement-list", "IAM JSON policy elements: Statement",
               "IAM rejects an empty Statement list (Syntax errors in policy.), so it is malformed, not a policy that allows nothing.",
               req("s3:GetObject", OBJ, identity=[doc()]))
    case("eval-identity-allow", EVAL,
         "One identity-based policy that allows the action and resource is enough within an account.",
         req("s3:GetObject", OBJ, identity=[doc(allow("s3:GetObject", OBJ))]), "Allow", "identity")
    case("eval-allow-from-any-one-policy", EVAL,
         "Among several identity policies, an allow in any one of them grants the request.",
         req("s3:PutObject", OBJ, identity=[doc(allow("sqs:SendMessage", QUEUE)),
                                            doc(allow("s3:GetObject", OBJ)),
                                            doc(allow("s3:PutObject", BUCKET + "/*"))]),
         "Allow", "identity")
    case("eval-nonmatching-statements", EVAL,
         "Statements that name other actions or resources do not apply, so the request is implicitly denied.",
         req("s3:DeleteObject", OBJ, identity=[doc(allow("s3:GetObject", OBJ),
                                                   allow("s3:DeleteObject", BUCKET + "/other/*"))]),
         "ImplicitDeny", "identity")
    case("eval-deny-same-policy", EVAL,
         "An explicit deny in the same identity policy overrides its allow.",
         req("s3:DeleteObject", OBJ, identity=[doc(allow("s3:*", "*"), deny("s3:DeleteObject", "*"))]),
         "ExplicitDeny", "identity")
    case("eval-deny-other-policy", EVAL,
         "An explicit deny in one identity policy overrides an allow in another.",
         req("s3:GetObject", OBJ, identity=[doc(allow("s3:*", "*")),
                                            doc(deny("s3:GetObject", BUCKET + "/reports/*"))]),
         "ExplicitDeny", "identity")
    case("eval-deny-without-allow", EVAL,
         "A deny statement alone yields an explicit deny, not an implicit one.",
         req("s3:GetObject", OBJ, identity=[doc(deny("s3:*", "*"))]), "ExplicitDeny", "identity")
    case("eval-deny-only-other-action", EVAL,
         "A deny for another action leaves the allow standing.",
         req("s3:GetObject", OBJ, identity=[doc(allow("s3:*", "*"), deny("s3:DeleteObject", "*"))]),
         "Allow", "identity")
    case("eval-deny-in-resource-policy", EVAL,
         "An explicit deny in the resource-based policy overrides an identity allow.",
         req("s3:GetObject", OBJ, identity=[doc(allow("s3:*", "*"))],
             resource_policy=doc(deny("s3:GetObject", BUCKET + "/*", Principal={"AWS": ALICE}))),
         "ExplicitDeny", "resource")
    case("eval-identity-deny-beats-resource-allow", EVAL,
         "An explicit deny in an identity policy overrides a resource-based policy that grants the user.",
         req("s3:GetObject", OBJ, identity=[doc(deny("s3:GetObject", "*"))],
             resource_policy=doc(allow("s3:GetObject", BUCKET + "/*", Principal={"AWS": ALICE}))),
         "ExplicitDeny", "identity")
    case("eval-deny-in-boundary", EVAL,
         "An explicit deny in the permissions boundary overrides allows elsewhere.",
         req("s3:GetObject", OBJ, identity=[doc(allow("s3:*", "*"))],
             boundary=doc(allow("*", "*"), deny("s3:GetObject", "*"))),
         "ExplicitDeny", "permissions_boundary")
    case("eval-deny-in-session", EVAL,
         "An explicit deny in a session policy overrides the role's identity allow.",
         req("s3:GetObject", OBJ, P_SESSION, identity=[doc(allow("s3:*", "*"))],
             session=[doc(allow("*", "*"), deny("s3:GetObject", "*"))]),
         "ExplicitDeny", "session")
    case("eval-deny-in-scp", EVAL,
         "An explicit deny in an SCP overrides an identity allow.",
         req("s3:GetObject", OBJ, identity=[doc(allow("s3:*", "*"))],
             scp=[[full_access()], [full_access(), doc(deny("s3:GetObject", "*"))]]),
         "ExplicitDeny", "scp", 1)
    case("eval-deny-in-rcp", EVAL,
         "An explicit deny in an RCP overrides an identity allow.",
         req("s3:GetObject", OBJ, identity=[doc(allow("s3:*", "*"))],
             rcp=[[rcp_full_access(), doc(deny("s3:GetObject", "*", Principal="*"))]]),
         "ExplicitDeny", "rcp", 0)
    case("eval-deny-overrides-resource-grant-to-session", EVAL,
         "Even a resource-based policy naming the session cannot overcome an explicit deny in the role's identity policy.",
         req("s3:GetObject", OBJ, P_SESSION, identity=[doc(deny("s3:*", "*"))],
             resource_policy=doc(allow("s3:GetObject", BUCKET + "/*", Principal={"AWS": SESSION_ARN}))),
         "ExplicitDeny", "identity")
    case("eval-deny-condition-false", EVAL,
         "A deny whose condition is false does not apply, so the allow stands.",
         req("s3:GetObject", OBJ, identity=[doc(allow("s3:*", "*"),
                                                deny("s3:*", "*", Condition={"Bool": {"aws:SecureTransport": "false"}}))],
             context={"aws:SecureTransport": "true"}),
         "Allow", "identity")
    # The "difference between explicit and implicit denies" example.
    interplay = doc(allow(["iam:Get*", "iam:List*"], "*", Sid="AllowGetList"),
                    deny("iam:*Report", "*", Sid="DenyReports"))
    case("eval-interplay-get-allowed", EVAL,
         "Doc example AllowGetList/DenyReports: iam:GetUser matches iam:Get* and is allowed.",
         req("iam:GetUser", ALICE, identity=[interplay]), "Allow", "identity")
    case("eval-interplay-createpolicy-implicit", EVAL,
         "Doc example AllowGetList/DenyReports: iam:CreatePolicy is not allowed, so implicitly denied.",
         req("iam:CreatePolicy", f"arn:aws:iam::{A}:policy/p", identity=[interplay]), "ImplicitDeny", "identity")
    case("eval-interplay-report-explicit", EVAL,
         "Doc example AllowGetList/DenyReports: iam:GetOrganizationsAccessReport matches iam:Get* and iam:*Report; the deny wins.",
         req("iam:GetOrganizationsAccessReport", "*", identity=[interplay]), "ExplicitDeny", "identity")
    case("eval-interplay-report-other-policy", EVAL,
         "Doc example: adding a policy that allows iam:GenerateCredentialReport does not help, the DenyReports statement still denies it.",
         req("iam:GenerateCredentialReport", "*",
             identity=[interplay, doc(allow("iam:GenerateCredentialReport", "*"))]),
         "ExplicitDeny", "identity")
    # The Carlos same-account example.
    carlos = f"arn:aws:iam::{A}:user/carlossalazar"
    carlos_policy = doc(
        allow(["s3:GetBucketLocation", "s3:GetAccountPublicAccessBlock", "s3:ListAccessPoints",
               "s3:ListAllMyBuckets"], "arn:aws:s3:::*", Sid="AllowS3ListRead"),
        allow("s3:*", ["arn:aws:s3:::carlossalazar/*", "arn:aws:s3:::carlossalazar"], Sid="AllowS3Self"),
        deny("s3:*", "arn:aws:s3:::*log*", Sid="DenyS3Logs"))
    carlos_bucket = doc(allow("s3:*", ["arn:aws:s3:::carlossalazar/*", "arn:aws:s3:::carlossalazar"],
                              Principal={"AWS": carlos}))
    case("eval-carlos-logs-bucket", EVAL,
         "Doc example: Carlos's DenyS3Logs statement explicitly denies any bucket with 'log' in its name.",
         req("s3:PutObject", "arn:aws:s3:::carlossalazar-logs/notes.txt", {"arn": carlos, "account": A},
             identity=[carlos_policy]),
         "ExplicitDeny", "identity")
    case("eval-carlos-own-bucket", EVAL,
         "Doc example: Carlos writing to his own bucket is allowed by both the identity and the bucket policy.",
         req("s3:PutObject", "arn:aws:s3:::carlossalazar/notes.txt", {"arn": carlos, "account": A},
             identity=[carlos_policy], resource_policy=carlos_bucket),
         "Allow")
    case("eval-carlos-bucket-policy-alone", EVAL,
         "Doc example variant: same account, the bucket policy alone grants Carlos even without his identity policy.",
         req("s3:PutObject", "arn:aws:s3:::carlossalazar/notes.txt", {"arn": carlos, "account": A},
             resource_policy=carlos_bucket),
         "Allow", "resource")
    case("eval-identity-alone-with-resource-policy", EVAL,
         "Same account: when the resource policy exists but does not grant, the identity allow is enough.",
         req("s3:GetObject", OBJ, identity=[doc(allow("s3:GetObject", "*"))],
             resource_policy=doc(allow("s3:GetObject", BUCKET + "/*", Principal={"AWS": DAVE}))),
         "Allow", "identity")
    case("eval-neither-allows-same-account", EVAL,
         "Same account: a resource policy for someone else and no identity allow gives an implicit deny at the identity step of the flowchart.",
         req("s3:GetObject", OBJ, resource_policy=doc(allow("s3:GetObject", BUCKET + "/*", Principal={"AWS": DAVE}))),
         "ImplicitDeny", "identity")
    case("eval-root-user-full-access", EVAL,
         "The account root user is the documented exception to the default deny: it has full access in its own account.",
         req("iam:CreateUser", f"arn:aws:iam::{A}:user/newhire", P_ROOT_A), "Allow")
    case("eval-root-user-resource-deny", EVAL,
         "An explicit deny in a resource-based policy applies to the root user too.",
         req("s3:DeleteBucket", BUCKET, P_ROOT_A,
             resource_policy=doc(deny("s3:DeleteBucket", BUCKET, Principal="*"))),
         "ExplicitDeny", "resource")
    case("eval-policy-as-json-string", EVAL,
         "A document may be given as a JSON string; it is parsed and evaluated like an object.",
         req("s3:GetObject", OBJ, identity=[json.dumps(doc(allow("s3:GetObject", OBJ)))]), "Allow", "identity")
    case("eval-statement-single-object", EVAL,
         "Statement may be a single object instead of a list.",
         req("s3:GetObject", OBJ, identity=[{"Version": V12, "Statement": allow("s3:GetObject", OBJ)}]),
         "Allow", "identity")
    case("eval-deny-overrides-three-allows", EVAL,
         "One deny overrides allows from identity, resource and boundary at once.",
         req("s3:GetObject", OBJ, identity=[doc(allow("s3:*", "*"))],
             resource_policy=doc(allow("s3:*", BUCKET + "/*", Principal={"AWS": ALICE})),
             boundary=doc(allow("s3:*", "*")),
             scp=[[full_access(), doc(deny("s3:GetObject", OBJ))]]),
         "ExplicitDeny", "scp", 0)


# ==============================================================================
# Action and NotAction
# ==============================================================================
def actions() -> None:
    def act(cid: str, description: str, pattern: Any, action: str, match: bool,
            resource: str = "*", rule: str = ACTION) -> None:
        case(cid, rule, description,
             req(action, resource, identity=[doc(allow(pattern, "*"))]),
             "Allow" if match else "ImplicitDeny", "identity")

    act("action-exact", "An exact action name matches.", "s3:GetObject", "s3:GetObject", True, OBJ)
    act("action-case-policy", "Action names are case-insensitive: S3:getobject in the policy matches s3:GetObject.",
        "S3:getobject", "s3:GetObject", True, OBJ)
    act("action-case-request", "Action names are case-insensitive on the request side too.",
        "s3:GetObject", "S3:GETOBJECT", True, OBJ)
    act("action-star-suffix", "s3:Get* matches s3:GetObjectAcl.", "s3:Get*", "s3:GetObjectAcl", True, OBJ)
    act("action-star-suffix-miss", "s3:Get* does not match s3:PutObject.", "s3:Get*", "s3:PutObject", False, OBJ)
    act("action-star-lowercase", "The wildcard prefix is case-insensitive: s3:get* matches s3:GetBucketPolicy.",
        "s3:get*", "s3:GetBucketPolicy", True, BUCKET)
    act("action-service-star", "s3:* matches every S3 action.", "s3:*", "s3:DeleteBucket", True, BUCKET)
    act("action-service-star-other-service", "s3:* does not match an SQS action.", "s3:*", "sqs:SendMessage", False, QUEUE)
    act("action-service-star-longer-prefix", "s3:* does not match the s3express service (the colon is literal).",
        "s3:*", "s3express:CreateSession", False)
    act("action-all", "Action * matches any action of any service.", "*", "iam:CreateUser", True)
    act("action-infix", "iam:*AccessKey* matches iam:CreateAccessKey.", "iam:*AccessKey*", "iam:CreateAccessKey", True)
    act("action-infix-plural", "iam:*AccessKey* matches iam:ListAccessKeys.", "iam:*AccessKey*", "iam:ListAccessKeys", True)
    act("action-infix-miss", "iam:*AccessKey* does not match iam:CreateUser.", "iam:*AccessKey*", "iam:CreateUser", False)
    act("action-question-mark", "? matches exactly one character: sqs:?endMessage matches sqs:SendMessage.",
        "sqs:?endMessage", "sqs:SendMessage", True, QUEUE)
    act("action-question-mark-needs-char", "? needs one character: s3:GetObject? does not match s3:GetObject.",
        "s3:GetObject?", "s3:GetObject", False, OBJ)
    act("action-question-mark-one-only", "? stands for one character and the pattern covers the whole name: s3:Get?bject does not match s3:GetObjectAcl.",
        "s3:Get?bject", "s3:GetObjectAcl", False, OBJ)
    act("action-list", "A list of actions matches any one of them.", ["s3:GetObject", "s3:PutObject"], "s3:PutObject", True, OBJ)
    act("action-list-miss", "A list of actions matches none outside it.", ["s3:GetObject", "s3:PutObject"],
        "s3:DeleteObject", False, OBJ)
    act("action-prefix-not-substring", "s3:List does not match s3:ListBucket (no implicit wildcard).",
        "s3:List", "s3:ListBucket", False, BUCKET)

    # NotAction
    na_allow = doc(allow(NotAction="iam:*", resource="*"))
    case("notaction-allow-other-service", NOTACTION,
         "Allow with NotAction iam:* allows actions of every other service.",
         req("s3:GetObject", OBJ, identity=[na_allow]), "Allow", "identity")
    case("notaction-allow-excluded", NOTACTION,
         "Allow with NotAction iam:* does not allow IAM actions; they are implicitly denied, not explicitly.",
         req("iam:CreateUser", f"arn:aws:iam::{A}:user/x", identity=[na_allow]), "ImplicitDeny", "identity")
    s3_not_delete = doc(allow(NotAction="s3:DeleteBucket", resource="arn:aws:s3:::*"))
    case("notaction-allow-scoped-by-resource", NOTACTION,
         "Doc example: Allow NotAction s3:DeleteBucket on arn:aws:s3:::* allows other S3 actions on S3 resources.",
         req("s3:PutObject", OBJ, identity=[s3_not_delete]), "Allow", "identity")
    case("notaction-allow-scoped-excluded", NOTACTION,
         "Doc example: the same policy does not allow s3:DeleteBucket.",
         req("s3:DeleteBucket", BUCKET, identity=[s3_not_delete]), "ImplicitDeny", "identity")
    case("notaction-allow-scoped-star-resource", NOTACTION,
         "Doc example: it does not allow s3:ListAllMyBuckets either, because that action needs the * resource.",
         req("s3:ListAllMyBuckets", "*", identity=[s3_not_delete]), "ImplicitDeny", "identity")
    case("notaction-allow-scoped-other-service", NOTACTION,
         "Doc example: actions of other services do not apply to S3 resources, so iam:ListUsers is not allowed.",
         req("iam:ListUsers", f"arn:aws:iam::{A}:user/*", identity=[s3_not_delete]), "ImplicitDeny", "identity")
    na_deny = [doc(allow("*", "*")), doc(deny(NotAction="iam:*", resource="*"))]
    case("notaction-deny-other-service", NOTACTION,
         "Deny with NotAction iam:* explicitly denies every non-IAM action.",
         req("s3:GetObject", OBJ, identity=na_deny), "ExplicitDeny", "identity")
    case("notaction-deny-excluded", NOTACTION,
         "Deny with NotAction iam:* does not deny IAM actions, which the other policy allows.",
         req("iam:ListUsers", "*", identity=na_deny), "Allow", "identity")
    case("notaction-case-insensitive", NOTACTION,
         "NotAction matching is case-insensitive like Action: NotAction S3:* excludes s3:GetObject.",
         req("s3:GetObject", OBJ, identity=[doc(allow(NotAction="S3:*", resource="*"))]),
         "ImplicitDeny", "identity")
    case("notaction-list", NOTACTION,
         "NotAction with a list excludes every listed action; others are allowed.",
         req("sqs:SendMessage", QUEUE, identity=[doc(allow(NotAction=["iam:*", "organizations:*"], resource="*"))]),
         "Allow", "identity")
    mfa_guard = [doc(allow("*", "*")),
                 doc(deny(NotAction=["iam:ListMFADevices", "iam:EnableMFADevice", "sts:GetSessionToken"],
                          resource="*", Sid="DenyAllExceptListedIfNoMFA",
                          Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}))]
    case("notaction-deny-no-mfa", NOTACTION,
         "Doc pattern DenyAllExceptListedIfNoMFA: without MFA (key absent), s3:GetObject is explicitly denied.",
         req("s3:GetObject", OBJ, identity=mfa_guard), "ExplicitDeny", "identity")
    case("notaction-deny-no-mfa-listed", NOTACTION,
         "Doc pattern DenyAllExceptListedIfNoMFA: the listed action sts:GetSessionToken is still allowed without MFA.",
         req("sts:GetSessionToken", "*", identity=mfa_guard), "Allow", "identity")
    case("notaction-deny-with-mfa", NOTACTION,
         "Doc pattern DenyAllExceptListedIfNoMFA: with MFA present and true the deny does not apply.",
         req("s3:GetObject", OBJ, identity=mfa_guard, context={"aws:MultiFactorAuthPresent": "true"}),
         "Allow", "identity")


# ==============================================================================
# Resource and NotResource
# ==============================================================================
def resources() -> None:
    def res(cid: str, description: str, pattern: Any, resource: str, match: bool,
            action: str = "s3:GetObject") -> None:
        case(cid, RESOURCE, description,
             req(action, resource, identity=[doc(allow(action, pattern))]),
             "Allow" if match else "ImplicitDeny", "identity")

    res("resource-exact", "An exact ARN matches.", OBJ, OBJ, True)
    res("resource-case-sensitive", "Resource matching is case-sensitive: MyBucket does not match amzn-s3-demo-bucket's sibling mybucket.",
        "arn:aws:s3:::MyBucket/*", "arn:aws:s3:::mybucket/a.txt", False)
    res("resource-iam-user-case", "In Resource the IAM user name is case-sensitive: user/Bob does not match user/bob.",
        f"arn:aws:iam::{A}:user/Bob", f"arn:aws:iam::{A}:user/bob", False, "iam:GetUser")
    res("resource-star-deep-key", "bucket/* matches a key with several slashes: * spans /.",
        BUCKET + "/*", BUCKET + "/a/b/c/d.txt", True)
    res("resource-bucket-star-not-bucket", "bucket/* does not match the bucket ARN itself.",
        BUCKET + "/*", BUCKET, False, "s3:ListBucket")
    res("resource-path", "user/accounting/* matches users under the /accounting/ path.",
        f"arn:aws:iam::{A}:user/accounting/*", f"arn:aws:iam::{A}:user/accounting/dave", True, "iam:GetUser")
    res("resource-path-miss", "user/accounting/* does not match a user under /sales/.",
        f"arn:aws:iam::{A}:user/accounting/*", f"arn:aws:iam::{A}:user/sales/erin", False, "iam:GetUser")
    res("resource-star-spans-colons", "A * ending a segment expands past colons: arn:aws:sqs:* matches a full queue ARN.",
        "arn:aws:sqs:*", QUEUE, True, "sqs:SendMessage")
    res("resource-star-account-segment", "arn:aws:iam::111122223333:* matches user/engineering/dave.",
        f"arn:aws:iam::{A}:*", DAVE, True, "iam:GetUser")
    res("resource-star-region-account", "Wildcards in the region and account segments match any value there.",
        "arn:aws:sqs:*:*:orders", QUEUE, True, "sqs:SendMessage")
    res("resource-star-account-miss", "A pattern naming another account does not match this account's ARN.",
        f"arn:aws:sqs:us-east-1:{B}:*", f"arn:aws:sqs:us-east-1:{A}:orders", False, "sqs:SendMessage")
    res("resource-question", "? matches one character: logs-202?/* matches logs-2024/x.",
        "arn:aws:s3:::logs-202?/*", "arn:aws:s3:::logs-2024/x", True)
    res("resource-question-miss", "? matches one character only: logs-202?/* does not match logs-20245/x.",
        "arn:aws:s3:::logs-202?/*", "arn:aws:s3:::logs-20245/x", False)
    res("resource-star-all", "Resource * matches any ARN.", "*", OBJ, True)
    res("resource-star-matches-star", "Resource * matches the * resource of actions without resource types.",
        "*", "*", True, "s3:ListAllMyBuckets")
    res("resource-s3-star-not-star", "arn:aws:s3:::* does not match the * resource (NotAction doc: ListAllMyBuckets needs *).",
        "arn:aws:s3:::*", "*", False, "s3:ListAllMyBuckets")
    res("resource-list", "A list of resources matches any one of them.",
        [f"arn:aws:dynamodb:us-east-2:{A}:table/books_table", f"arn:aws:dynamodb:us-east-2:{A}:table/magazines_table"],
        f"arn:aws:dynamodb:us-east-2:{A}:table/magazines_table", True, "dynamodb:GetItem")
    res("resource-list-miss", "A list of resources matches nothing outside it.",
        [f"arn:aws:dynamodb:us-east-2:{A}:table/books_table"],
        f"arn:aws:dynamodb:us-east-2:{A}:table/films_table", False, "dynamodb:GetItem")
    res("resource-infix", "arn:aws:s3:::*log* matches the bucket carlossalazar-logs.",
        "arn:aws:s3:::*log*", "arn:aws:s3:::carlossalazar-logs", True, "s3:ListBucket")
    res("resource-other-service", "An S3 pattern does not match an SQS ARN.", "arn:aws:s3:::*", QUEUE, False, "sqs:SendMessage")
    res("resource-no-implicit-prefix", "Without a wildcard the ARN must match whole: the bucket ARN does not match an object in it.",
        BUCKET, OBJ, False)

    # NotResource
    case("notresource-allow-other", NOTRESOURCE,
         "Allow with NotResource applies to every resource except the listed ones.",
         req("s3:GetObject", BUCKET + "/public/a.txt",
             identity=[doc(allow("s3:GetObject", None, NotResource=BUCKET + "/secret/*"))]),
         "Allow", "identity")
    case("notresource-allow-excluded", NOTRESOURCE,
         "Allow with NotResource does not apply to a listed resource.",
         req("s3:GetObject", BUCKET + "/secret/keys.txt",
             identity=[doc(allow("s3:GetObject", None, NotResource=BUCKET + "/secret/*"))]),
         "ImplicitDeny", "identity")
    nr_deny = [doc(allow("s3:*", "*")),
               doc(deny("s3:*", None, NotResource=["arn:aws:s3:::approved-bucket", "arn:aws:s3:::approved-bucket/*"]))]
    case("notresource-deny-other", NOTRESOURCE,
         "Deny with NotResource denies every resource outside the listed ones.",
         req("s3:GetObject", OBJ, identity=nr_deny), "ExplicitDeny", "identity")
    case("notresource-deny-excluded", NOTRESOURCE,
         "Deny with NotResource leaves the listed resources alone.",
         req("s3:GetObject", "arn:aws:s3:::approved-bucket/data.csv", identity=nr_deny), "Allow", "identity")
    hr = doc(allow("s3:*", None, NotResource=["arn:aws:s3:::HRBucket/Payroll", "arn:aws:s3:::HRBucket/Payroll/*"]))
    case("notresource-hr-payroll", NOTRESOURCE,
         "Doc example: Allow s3:* NotResource HRBucket/Payroll does not allow objects in the Payroll folder.",
         req("s3:GetObject", "arn:aws:s3:::HRBucket/Payroll/june.xlsx", identity=[hr]), "ImplicitDeny", "identity")
    case("notresource-hr-other-folder", NOTRESOURCE,
         "Doc example: the same policy allows other HRBucket objects.",
         req("s3:GetObject", "arn:aws:s3:::HRBucket/Handbook/intro.pdf", identity=[hr]), "Allow", "identity")
    case("notresource-other-service-matches", NOTRESOURCE,
         "NotResource matches any resource not listed, even of another service, when the action matches.",
         req("sqs:SendMessage", QUEUE, identity=[doc(allow("*", None, NotResource="arn:aws:s3:::*"))]),
         "Allow", "identity")
    case("notresource-star-matches-nothing", NOTRESOURCE,
         "NotResource * excludes every resource, so the statement never applies.",
         req("s3:GetObject", OBJ, identity=[doc(allow("s3:GetObject", None, NotResource="*"))]),
         "ImplicitDeny", "identity")
    case("notresource-case-sensitive", NOTRESOURCE,
         "NotResource matching is case-sensitive: Secret/* does not exclude secret/keys.txt.",
         req("s3:GetObject", BUCKET + "/secret/keys.txt",
             identity=[doc(allow("s3:GetObject", None, NotResource=BUCKET + "/Secret/*"))]),
         "Allow", "identity")


# ==============================================================================
# Condition operators
# ==============================================================================
def string_ops() -> None:
    tag = "aws:PrincipalTag/team"
    cond("str-equals-match", OPS, "StringEquals matches an identical value.",
         {"StringEquals": {tag: "blue"}}, {tag: "blue"}, True)
    cond("str-equals-case", OPS, "StringEquals is case-sensitive: Blue does not equal blue.",
         {"StringEquals": {tag: "blue"}}, {tag: "Blue"}, False)
    cond("str-equals-missing", OPS, "StringEquals with the key absent from the context does not match.",
         {"StringEquals": {tag: "blue"}}, {}, False)
    cond("str-equals-no-wildcard", OPS, "StringEquals treats * literally: home/* does not equal home/alice.",
         {"StringEquals": {"s3:prefix": "home/*"}}, {"s3:prefix": "home/alice"}, False,
         action="s3:ListBucket", resource=BUCKET)
    cond("str-equals-literal-star", OPS, "StringEquals with a literal * equals the same literal string.",
         {"StringEquals": {"s3:prefix": "home/*"}}, {"s3:prefix": "home/*"}, True,
         action="s3:ListBucket", resource=BUCKET)
    cond("str-equals-job-category", OPS, "Doc example: aws:PrincipalTag/job-category must equal iamuser-admin.",
         {"StringEquals": {"aws:PrincipalTag/job-category": "iamuser-admin"}},
         {"aws:PrincipalTag/job-category": "iamuser-admin"}, True, action="iam:CreateAccessKey", resource=DAVE)
    cond("str-equals-job-category-untagged", OPS, "Doc example: a user without the tag is implicitly denied by that statement.",
         {"StringEquals": {"aws:PrincipalTag/job-category": "iamuser-admin"}}, {},
         False, action="iam:CreateAccessKey", resource=DAVE)
    cond("str-not-equals-differs", OPS, "StringNotEquals matches a different value.",
         {"StringNotEquals": {tag: "red"}}, {tag: "blue"}, True)
    cond("str-not-equals-same", OPS, "StringNotEquals does not match the same value.",
         {"StringNotEquals": {tag: "blue"}}, {tag: "blue"}, False)
    cond("str-not-equals-missing", OPS, "Negated operator with the key absent: StringNotEquals evaluates true.",
         {"StringNotEquals": {tag: "blue"}}, {}, True)
    cond("str-not-equals-case", OPS, "StringNotEquals is case-sensitive: BLUE is not equal to blue, so it matches.",
         {"StringNotEquals": {tag: "blue"}}, {tag: "BLUE"}, True)
    cond("str-not-equals-ignorecase-same", OPS, "StringNotEqualsIgnoreCase does not match BLUE against blue.",
         {"StringNotEqualsIgnoreCase": {tag: "blue"}}, {tag: "BLUE"}, False)
    cond("str-not-equals-ignorecase-differs", OPS, "StringNotEqualsIgnoreCase matches a different value.",
         {"StringNotEqualsIgnoreCase": {tag: "blue"}}, {tag: "red"}, True)
    cond("str-not-equals-ignorecase-missing", OPS, "StringNotEqualsIgnoreCase with the key absent evaluates true.",
         {"StringNotEqualsIgnoreCase": {tag: "blue"}}, {}, True)
    cond("str-equals-ignorecase-match", OPS, "StringEqualsIgnoreCase matches BLUE against blue.",
         {"StringEqualsIgnoreCase": {tag: "blue"}}, {tag: "BLUE"}, True)
    cond("str-equals-ignorecase-miss", OPS, "StringEqualsIgnoreCase does not match a different word.",
         {"StringEqualsIgnoreCase": {tag: "blue"}}, {tag: "green"}, False)
    cond("str-equals-ignorecase-missing", OPS, "StringEqualsIgnoreCase with the key absent does not match.",
         {"StringEqualsIgnoreCase": {tag: "blue"}}, {}, False)
    cond("str-like-star", OPS, "StringLike home/alice/* matches home/alice/docs/a.txt.",
         {"StringLike": {"s3:prefix": "home/alice/*"}}, {"s3:prefix": "home/alice/docs/a.txt"}, True,
         action="s3:ListBucket", resource=BUCKET)
    cond("str-like-question", OPS, "StringLike v? matches v1.",
         {"StringLike": {"aws:RequestTag/version": "v?"}}, {"aws:RequestTag/version": "v1"}, True)
    cond("str-like-question-one-char", OPS, "StringLike v? does not match v10.",
         {"StringLike": {"aws:RequestTag/version": "v?"}}, {"aws:RequestTag/version": "v10"}, False)
    cond("str-like-case", OPS, "StringLike is case-sensitive: Home/* does not match home/x.",
         {"StringLike": {"s3:prefix": "Home/*"}}, {"s3:prefix": "home/x"}, False,
         action="s3:ListBucket", resource=BUCKET)
    cond("str-like-no-wildcard-exact", OPS, "StringLike without wildcards needs the whole string: home does not match home/x.",
         {"StringLike": {"s3:prefix": "home"}}, {"s3:prefix": "home/x"}, False,
         action="s3:ListBucket", resource=BUCKET)
    cond("str-like-empty-string", OPS, "StringLike with an empty policy value matches an empty s3:prefix (doc home-directory example).",
         {"StringLike": {"s3:prefix": ["", "home/"]}}, {"s3:prefix": ""}, True,
         action="s3:ListBucket", resource=BUCKET)
    cond("str-like-missing", OPS, "StringLike with the key absent does not match.",
         {"StringLike": {"s3:prefix": "*"}}, {}, False, action="s3:ListBucket", resource=BUCKET)
    cond("str-like-instance-type", OPS, "StringLike t2.* matches t2.micro (the . is literal, * is the wildcard).",
         {"StringLike": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}}, {"ec2:InstanceType": "t2.micro"}, True,
         action="ec2:RunInstances", resource="*")
    cond("str-not-like-differs", OPS, "StringNotLike test-* matches prod-1.",
         {"StringNotLike": {"aws:RequestTag/env": "test-*"}}, {"aws:RequestTag/env": "prod-1"}, True)
    cond("str-not-like-same", OPS, "StringNotLike test-* does not match test-1.",
         {"StringNotLike": {"aws:RequestTag/env": "test-*"}}, {"aws:RequestTag/env": "test-1"}, False)
    cond("str-not-like-missing", OPS, "StringNotLike with the key absent evaluates true.",
         {"StringNotLike": {"aws:RequestTag/env": "test-*"}}, {}, True)
    cond("str-not-like-deny", OPS, "Deny with StringNotLike: a value outside the pattern list is explicitly denied.",
         {"StringNotLike": {"aws:RequestTag/env": ["dev-*", "test-*"]}}, {"aws:RequestTag/env": "prod"}, True,
         effect="Deny")
    cond("str-not-like-deny-inside", OPS, "Deny with StringNotLike: a value matching one of the patterns is not denied.",
         {"StringNotLike": {"aws:RequestTag/env": ["dev-*", "test-*"]}}, {"aws:RequestTag/env": "test-7"}, False,
         effect="Deny")
    cond("str-equals-deny-missing", OPS, "Deny with StringEquals and the key absent: the deny does not apply.",
         {"StringEquals": {tag: "contractors"}}, {}, False, effect="Deny")
    cond("str-not-equals-deny-missing", OPS, "Deny with StringNotEquals and the key absent: the negated condition is true, so the request is denied.",
         {"StringNotEquals": {tag: "blue"}}, {}, True, effect="Deny")


def numeric_ops() -> None:
    k = "s3:max-keys"
    kw = {"action": "s3:ListBucket", "resource": BUCKET}
    cond("num-lte-doc-match", OPS, "Doc example: NumericLessThanEquals s3:max-keys 10 allows 10.",
         {"NumericLessThanEquals": {k: "10"}}, {k: "10"}, True, **kw)
    cond("num-lte-doc-miss", OPS, "Doc example: NumericLessThanEquals s3:max-keys 10 does not allow 11.",
         {"NumericLessThanEquals": {k: "10"}}, {k: "11"}, False, **kw)
    cond("num-lte-missing", OPS, "NumericLessThanEquals with the key absent does not match.",
         {"NumericLessThanEquals": {k: "10"}}, {}, False, **kw)
    cond("num-equals", OPS, "NumericEquals 10 matches 10.", {"NumericEquals": {k: "10"}}, {k: "10"}, True, **kw)
    cond("num-equals-decimal-form", OPS, "NumericEquals compares numbers, not strings: 10 equals 10.0.",
         {"NumericEquals": {k: "10"}}, {k: "10.0"}, True, **kw)
    cond("num-equals-miss", OPS, "NumericEquals 10 does not match 11.", {"NumericEquals": {k: "10"}}, {k: "11"}, False, **kw)
    cond("num-not-equals-differs", OPS, "NumericNotEquals 10 matches 11.", {"NumericNotEquals": {k: "10"}}, {k: "11"}, True, **kw)
    cond("num-not-equals-same", OPS, "NumericNotEquals 10 does not match 10.", {"NumericNotEquals": {k: "10"}}, {k: "10"}, False, **kw)
    cond("num-not-equals-missing", OPS, "NumericNotEquals with the key absent evaluates true.",
         {"NumericNotEquals": {k: "10"}}, {}, True, **kw)
    cond("num-not-equals-nor", MULTI, "NumericNotEquals with several values is a NOR: 20 equals one of [10, 20], so no match.",
         {"NumericNotEquals": {k: ["10", "20"]}}, {k: "20"}, False, **kw)
    cond("num-lt-match", OPS, "NumericLessThan 10 matches 5.", {"NumericLessThan": {k: "10"}}, {k: "5"}, True, **kw)
    cond("num-lt-equal", OPS, "NumericLessThan 10 does not match 10.", {"NumericLessThan": {k: "10"}}, {k: "10"}, False, **kw)
    cond("num-lt-decimal", OPS, "Numeric operators accept decimals: 2.5 is less than 3.", {"NumericLessThan": {k: "3"}}, {k: "2.5"}, True, **kw)
    cond("num-lt-negative", OPS, "Numeric operators accept negative numbers: -1 is less than 0.",
         {"NumericLessThan": {k: "0"}}, {k: "-1"}, True, **kw)
    cond("num-lt-not-a-number", OPS, "A context value that does not parse as a number does not match: NumericLessThan with abc.",
         {"NumericLessThan": {k: "10"}}, {k: "abc"}, False, **kw)
    cond("num-lt-not-lexical", OPS, "Comparison is numeric, not lexical: 9 is less than 10.",
         {"NumericLessThan": {k: "10"}}, {k: "9"}, True, **kw)
    cond("num-gt-match", OPS, "NumericGreaterThan 10 matches 11.", {"NumericGreaterThan": {k: "10"}}, {k: "11"}, True, **kw)
    cond("num-gt-equal", OPS, "NumericGreaterThan 10 does not match 10.", {"NumericGreaterThan": {k: "10"}}, {k: "10"}, False, **kw)
    cond("num-gte-equal", OPS, "NumericGreaterThanEquals 10 matches 10.", {"NumericGreaterThanEquals": {k: "10"}}, {k: "10"}, True, **kw)
    cond("num-gte-below", OPS, "NumericGreaterThanEquals 10 does not match 9.", {"NumericGreaterThanEquals": {k: "10"}}, {k: "9"}, False, **kw)
    cond("num-gt-not-a-number-deny", OPS, "Deny with NumericGreaterThan and an unparseable value: no match, so the deny does not apply.",
         {"NumericGreaterThan": {k: "100"}}, {k: "lots"}, False, effect="Deny", **kw)


def date_ops() -> None:
    t = "aws:CurrentTime"
    cond("date-gt-token-issue", OPS, "Doc example: DateGreaterThan aws:TokenIssueTime 2020-01-01T00:00:01Z matches credentials issued later.",
         {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}},
         {"aws:TokenIssueTime": "2020-06-01T12:00:00Z"}, True, action="iam:CreateAccessKey", resource=DAVE)
    cond("date-gt-token-issue-missing", OPS, "Doc example: requests with long-term keys have no aws:TokenIssueTime, so the condition is false.",
         {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}}, {}, False,
         action="iam:CreateAccessKey", resource=DAVE)
    cond("date-gt-earlier", OPS, "DateGreaterThan does not match an earlier time.",
         {"DateGreaterThan": {t: "2024-01-01T00:00:00Z"}}, {t: "2023-12-31T23:59:59Z"}, False)
    cond("date-lt-match", OPS, "DateLessThan matches an earlier time.",
         {"DateLessThan": {t: "2030-01-01T00:00:00Z"}}, {t: "2026-03-01T08:00:00Z"}, True)
    cond("date-lt-later", OPS, "DateLessThan does not match a later time.",
         {"DateLessThan": {t: "2030-01-01T00:00:00Z"}}, {t: "2031-01-01T00:00:00Z"}, False)
    cond("date-lt-equal", OPS, "DateLessThan does not match the same instant.",
         {"DateLessThan": {t: "2030-01-01T00:00:00Z"}}, {t: "2030-01-01T00:00:00Z"}, False)
    cond("date-lte-equal", OPS, "DateLessThanEquals matches the same instant.",
         {"DateLessThanEquals": {t: "2030-01-01T00:00:00Z"}}, {t: "2030-01-01T00:00:00Z"}, True)
    cond("date-gte-equal", OPS, "DateGreaterThanEquals matches the same instant.",
         {"DateGreaterThanEquals": {t: "2025-06-30T12:00:00Z"}}, {t: "2025-06-30T12:00:00Z"}, True)
    cond("date-gte-earlier", OPS, "DateGreaterThanEquals does not match an earlier time.",
         {"DateGreaterThanEquals": {t: "2025-06-30T12:00:00Z"}}, {t: "2025-06-30T11:59:59Z"}, False)
    cond("date-equals", OPS, "DateEquals matches the same instant.",
         {"DateEquals": {t: "2025-01-15T10:00:00Z"}}, {t: "2025-01-15T10:00:00Z"}, True)
    cond("date-equals-differs", OPS, "DateEquals does not match another instant.",
         {"DateEquals": {t: "2025-01-15T10:00:00Z"}}, {t: "2025-01-15T10:00:01Z"}, False)
    cond("date-not-equals-differs", OPS, "DateNotEquals matches another instant.",
         {"DateNotEquals": {t: "2025-01-15T10:00:00Z"}}, {t: "2025-01-16T10:00:00Z"}, True)
    cond("date-not-equals-same", OPS, "DateNotEquals does not match the same instant.",
         {"DateNotEquals": {t: "2025-01-15T10:00:00Z"}}, {t: "2025-01-15T10:00:00Z"}, False)
    cond("date-not-equals-missing", OPS, "DateNotEquals with the key absent evaluates true (negated operator).",
         {"DateNotEquals": {"aws:TokenIssueTime": "2025-01-15T10:00:00Z"}}, {}, True)
    cond("date-epoch-lt", OPS, "Dates may be epoch seconds: aws:EpochTime 1700000000 is before 1800000000.",
         {"DateLessThan": {"aws:EpochTime": "1800000000"}}, {"aws:EpochTime": "1700000000"}, True)
    cond("date-epoch-gt-miss", OPS, "Epoch seconds compare as instants: 1700000000 is not after 1800000000.",
         {"DateGreaterThan": {"aws:EpochTime": "1800000000"}}, {"aws:EpochTime": "1700000000"}, False)
    cond("date-epoch-vs-iso", OPS, "An epoch policy value and an ISO 8601 context value compare as instants: 1700000000 is 2023-11-14T22:13:20Z. Ambiguous: the docs allow either format but give no mixed example.",
         {"DateEquals": {t: "1700000000"}}, {t: "2023-11-14T22:13:20Z"}, True)
    cond("date-iso-offset", OPS, "ISO 8601 values with a UTC offset compare as instants: 01:00+01:00 equals 00:00Z.",
         {"DateEquals": {t: "2020-01-01T00:00:00Z"}}, {t: "2020-01-01T01:00:00+01:00"}, True)
    cond("date-iso-date-only", OPS, "A W3C date without a time (YYYY-MM-DD) is a valid date value, taken as midnight UTC.",
         {"DateGreaterThan": {t: "2020-01-01"}}, {t: "2020-01-02T00:00:00Z"}, True)
    cond("date-unparseable", OPS, "A context value that does not parse as a date does not match.",
         {"DateLessThan": {t: "2030-01-01T00:00:00Z"}}, {t: "yesterday"}, False)
    cond("date-deny-after", OPS, "Deny with DateGreaterThan: requests after the cut-off are explicitly denied.",
         {"DateGreaterThan": {t: "2025-12-31T23:59:59Z"}}, {t: "2026-02-01T00:00:00Z"}, True, effect="Deny")


def bool_binary_ip_arn_null() -> None:
    ssl_deny = [doc(allow("s3:*", "*")),
                doc(deny("s3:*", [BUCKET, BUCKET + "/*"], Sid="BooleanExample",
                         Condition={"Bool": {"aws:SecureTransport": "false"}}))]
    case("bool-securetransport-false", OPS,
         "Doc example BooleanExample: a request not over TLS (aws:SecureTransport false) is explicitly denied.",
         req("s3:GetObject", OBJ, identity=ssl_deny, context={"aws:SecureTransport": "false"}),
         "ExplicitDeny", "identity")
    case("bool-securetransport-true", OPS,
         "Doc example BooleanExample: over TLS the deny does not apply.",
         req("s3:GetObject", OBJ, identity=ssl_deny, context={"aws:SecureTransport": "true"}),
         "Allow", "identity")
    case("bool-securetransport-missing", OPS,
         "Bool with the key absent does not match, so the deny does not apply.",
         req("s3:GetObject", OBJ, identity=ssl_deny), "Allow", "identity")
    mfa = "aws:MultiFactorAuthPresent"
    cond("bool-mfa-true", OPS, "Bool true matches a context value true.", {"Bool": {mfa: "true"}}, {mfa: "true"}, True)
    cond("bool-mfa-false", OPS, "Bool true does not match false.", {"Bool": {mfa: "true"}}, {mfa: "false"}, False)
    cond("bool-mfa-missing", OPS, "Bool with the key absent (long-term keys) does not match.", {"Bool": {mfa: "true"}}, {}, False)
    cond("bool-ifexists-deny-missing", OPS,
         "Deny with BoolIfExists aws:MultiFactorAuthPresent false: the key is absent, so the condition is true and the request is denied.",
         {"BoolIfExists": {mfa: "false"}}, {}, True, effect="Deny")
    cond("bool-ifexists-deny-with-mfa", OPS,
         "Deny with BoolIfExists aws:MultiFactorAuthPresent false: with MFA true the deny does not apply.",
         {"BoolIfExists": {mfa: "false"}}, {mfa: "true"}, False, effect="Deny")
    cond("bool-deny-without-ifexists-missing", OPS,
         "Deny with Bool aws:MultiFactorAuthPresent false (no IfExists): the key is absent, the condition is false, no deny.",
         {"Bool": {mfa: "false"}}, {}, False, effect="Deny")

    bk = "ec2:ExampleBinaryKey"
    cond("binary-equals-match", OPS,
         "BinaryEquals compares base64-encoded bytes. Ambiguous: the contract does not say how binary context values are given; here the context carries the same base64 text.",
         {"BinaryEquals": {bk: "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}, {bk: "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}, True)
    cond("binary-equals-miss", OPS, "BinaryEquals does not match other bytes.",
         {"BinaryEquals": {bk: "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}, {bk: "T3RoZXJCeXRlcw=="}, False)
    cond("binary-equals-missing", OPS, "BinaryEquals with the key absent does not match.",
         {"BinaryEquals": {bk: "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}, {}, False)

    ip = "aws:SourceIp"
    cond("ip-v4-cidr-in", OPS, "Doc example: IpAddress 203.0.113.0/24 matches 203.0.113.10.",
         {"IpAddress": {ip: "203.0.113.0/24"}}, {ip: "203.0.113.10"}, True, action="iam:CreateAccessKey", resource=DAVE)
    cond("ip-v4-cidr-out", OPS, "IpAddress 203.0.113.0/24 does not match 198.51.100.7.",
         {"IpAddress": {ip: "203.0.113.0/24"}}, {ip: "198.51.100.7"}, False)
    cond("ip-v4-no-prefix", OPS, "An address without a prefix means /32: 203.0.113.5 matches itself.",
         {"IpAddress": {ip: "203.0.113.5"}}, {ip: "203.0.113.5"}, True)
    cond("ip-v4-no-prefix-neighbour", OPS, "An address without a prefix means /32: 203.0.113.5 does not match 203.0.113.6.",
         {"IpAddress": {ip: "203.0.113.5"}}, {ip: "203.0.113.6"}, False)
    cond("ip-v6-in", OPS, "IpAddress 2001:DB8:1234:5678::/64 matches 2001:db8:1234:5678:abcd::1 (IPv6, hex case-insensitive).",
         {"IpAddress": {ip: "2001:DB8:1234:5678::/64"}}, {ip: "2001:db8:1234:5678:abcd::1"}, True)
    cond("ip-v6-out", OPS, "IpAddress 2001:DB8:1234:5678::/64 does not match 2001:db8:1234:9999::1.",
         {"IpAddress": {ip: "2001:DB8:1234:5678::/64"}}, {ip: "2001:db8:1234:9999::1"}, False)
    cond("ip-mixed-list-v6", OPS, "Doc example: a list mixing IPv4 and IPv6 ranges matches an IPv6 source in the v6 range.",
         {"IpAddress": {ip: ["203.0.113.0/24", "2001:DB8:1234:5678::/64"]}}, {ip: "2001:db8:1234:5678::10"}, True)
    cond("ip-mixed-list-v4", OPS, "The same mixed list matches an IPv4 source in the v4 range.",
         {"IpAddress": {ip: ["203.0.113.0/24", "2001:DB8:1234:5678::/64"]}}, {ip: "203.0.113.200"}, True)
    cond("ip-v4-vs-v6-range", OPS, "An IPv4 source is not inside an IPv6 range.",
         {"IpAddress": {ip: "2001:DB8:1234:5678::/64"}}, {ip: "203.0.113.10"}, False)
    cond("ip-missing-vpce", OPS, "Doc: via a VPC endpoint aws:SourceIp is absent, so IpAddress is false.",
         {"IpAddress": {ip: "203.0.113.0/24"}}, {}, False)
    cond("ip-not-an-ip", OPS, "A context value that is not an IP address does not match IpAddress.",
         {"IpAddress": {ip: "203.0.113.0/24"}}, {ip: "not-an-ip"}, False)
    cond("ip-not-outside", OPS, "NotIpAddress 192.0.2.0/24 matches 203.0.113.1.",
         {"NotIpAddress": {ip: "192.0.2.0/24"}}, {ip: "203.0.113.1"}, True)
    cond("ip-not-inside", OPS, "NotIpAddress 192.0.2.0/24 does not match 192.0.2.44.",
         {"NotIpAddress": {ip: "192.0.2.0/24"}}, {ip: "192.0.2.44"}, False)
    cond("ip-not-missing", OPS, "NotIpAddress with the key absent evaluates true (negated operator).",
         {"NotIpAddress": {ip: "192.0.2.0/24"}}, {}, True)
    cond("ip-not-deny-outside", OPS, "Deny with NotIpAddress: a source outside the corporate ranges is explicitly denied.",
         {"NotIpAddress": {ip: ["192.0.2.0/24", "203.0.113.0/24"]}}, {ip: "198.51.100.9"}, True, effect="Deny")
    cond("ip-not-deny-inside", OPS, "Deny with NotIpAddress: a source inside one of the ranges is not denied (NOR of values).",
         {"NotIpAddress": {ip: ["192.0.2.0/24", "203.0.113.0/24"]}}, {ip: "203.0.113.9"}, False, effect="Deny")
    cond("ip-v4-slash16", OPS, "IpAddress 10.1.0.0/16 matches 10.1.254.3.",
         {"IpAddress": {ip: "10.1.0.0/16"}}, {ip: "10.1.254.3"}, True)

    src = "aws:SourceArn"
    cond("arn-equals-match", OPS, "ArnEquals matches the same ARN (doc SNS-to-SQS example's aws:SourceArn).",
         {"ArnEquals": {src: TOPIC}}, {src: TOPIC}, True, action="sqs:SendMessage", resource=QUEUE)
    cond("arn-equals-missing", OPS, "Doc: aws:SourceArn is absent when a user calls directly, so ArnEquals is false.",
         {"ArnEquals": {src: TOPIC}}, {}, False, action="sqs:SendMessage", resource=QUEUE)
    cond("arn-equals-differs", OPS, "ArnEquals does not match another topic.",
         {"ArnEquals": {src: TOPIC}}, {src: f"arn:aws:sns:us-east-1:{A}:billing"}, False,
         action="sqs:SendMessage", resource=QUEUE)
    cond("arn-equals-wildcard", OPS, "ArnEquals behaves like ArnLike: wildcards are honoured.",
         {"ArnEquals": {src: f"arn:aws:sns:*:{A}:alerts"}}, {src: TOPIC}, True,
         action="sqs:SendMessage", resource=QUEUE)
    cond("arn-like-region-wildcard", OPS, "ArnLike arn:aws:sns:*:111122223333:alerts matches the us-east-1 topic.",
         {"ArnLike": {src: f"arn:aws:sns:*:{A}:alerts"}}, {src: TOPIC}, True,
         action="sqs:SendMessage", resource=QUEUE)
    someservice = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"
    cond("arn-like-segmentwise", OPS,
         "Doc example: ArnLike arn:aws:someservice:*:111122223333:finance/* fails on a value whose extra colons shift the segments.",
         {"ArnLike": {src: "arn:aws:someservice:*:111122223333:finance/*"}}, {src: someservice}, False)
    cond("arn-string-like-same-value", OPS,
         "Doc example: StringLike with the same pattern succeeds, the first * matching us-east-2:999999999999:store/abc:.",
         {"StringLike": {src: "arn:aws:someservice:*:111122223333:finance/*"}}, {src: someservice}, True)
    cond("arn-like-case", OPS, "ArnLike is case-sensitive: user/Alice does not match user/alice.",
         {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{A}:user/Alice"}}, {"aws:PrincipalArn": ALICE}, False)
    cond("arn-like-not-an-arn", OPS, "A context value that is not an ARN does not match ArnLike.",
         {"ArnLike": {src: "arn:aws:sns:*:*:*"}}, {src: "not-an-arn"}, False)
    role_pat = f"arn:aws:iam::{A}:role/admin-*"
    cond("arn-not-like-differs", OPS, "ArnNotLike role/admin-* matches a principal that is role/dev.",
         {"ArnNotLike": {"aws:PrincipalArn": role_pat}}, {"aws:PrincipalArn": f"arn:aws:iam::{A}:role/dev"}, True)
    cond("arn-not-like-same", OPS, "ArnNotLike role/admin-* does not match role/admin-ops.",
         {"ArnNotLike": {"aws:PrincipalArn": role_pat}}, {"aws:PrincipalArn": f"arn:aws:iam::{A}:role/admin-ops"}, False)
    cond("arn-not-equals-missing", OPS, "ArnNotEquals with the key absent evaluates true (negated operator).",
         {"ArnNotEquals": {src: TOPIC}}, {}, True)
    cond("arn-not-equals-same", OPS, "ArnNotEquals does not match the same ARN.",
         {"ArnNotEquals": {src: TOPIC}}, {src: TOPIC}, False)
    cond("arn-not-equals-differs", OPS, "ArnNotEquals matches a different ARN.",
         {"ArnNotEquals": {src: TOPIC}}, {src: f"arn:aws:sns:us-east-1:{A}:billing"}, True)

    cond("null-true-missing", OPS, "Doc example: Null aws:TokenIssueTime true matches when the key is absent (long-term credentials).",
         {"Null": {"aws:TokenIssueTime": "true"}}, {}, True, action="ec2:DescribeInstances", resource="*")
    cond("null-true-present", OPS, "Null true does not match when the key is present (temporary credentials).",
         {"Null": {"aws:TokenIssueTime": "true"}}, {"aws:TokenIssueTime": "2025-05-01T00:00:00Z"}, False,
         action="ec2:DescribeInstances", resource="*")
    cond("null-false-present", OPS, "Null false matches when the key is present.",
         {"Null": {"aws:RequestTag/project": "false"}}, {"aws:RequestTag/project": "apollo"}, True)
    cond("null-false-missing", OPS, "Null false does not match when the key is absent.",
         {"Null": {"aws:RequestTag/project": "false"}}, {}, False)
    cond("null-deny-missing-tag", OPS, "Deny with Null true: creating without the required tag is explicitly denied.",
         {"Null": {"aws:RequestTag/cost-center": "true"}}, {}, True, effect="Deny",
         action="ec2:RunInstances", resource="*")


def ifexists_ops() -> None:
    it = "ec2:InstanceType"
    kw = {"action": "ec2:RunInstances", "resource": "*"}
    cond("ifexists-like-missing", OPS, "Doc example: StringLikeIfExists ec2:InstanceType with the key absent (image, key pair...) is true.",
         {"StringLikeIfExists": {it: ["t1.*", "t2.*", "m3.*"]}}, {}, True, **kw)
    cond("ifexists-like-match", OPS, "Doc example: StringLikeIfExists with t2.micro matches t2.*.",
         {"StringLikeIfExists": {it: ["t1.*", "t2.*", "m3.*"]}}, {it: "t2.micro"}, True, **kw)
    cond("ifexists-like-present-miss", OPS, "Doc example: StringLikeIfExists with m5.large present does not match.",
         {"StringLikeIfExists": {it: ["t1.*", "t2.*", "m3.*"]}}, {it: "m5.large"}, False, **kw)
    cond("ifexists-like-without-ifexists", OPS, "Doc example THISPOLICYDOESNOTWORK: plain StringLike with the key absent is false.",
         {"StringLike": {it: ["t1.*", "t2.*", "m3.*"]}}, {}, False, **kw)
    cond("ifexists-equals-present-miss", OPS, "StringEqualsIfExists with the key present and different does not match.",
         {"StringEqualsIfExists": {"aws:RequestedRegion": "eu-west-1"}}, {"aws:RequestedRegion": "us-east-1"}, False)
    cond("ifexists-numeric-missing", OPS, "NumericLessThanIfExists with the key absent is true.",
         {"NumericLessThanIfExists": {"s3:max-keys": "10"}}, {}, True, action="s3:ListBucket", resource=BUCKET)
    cond("ifexists-date-missing", OPS, "DateLessThanIfExists with the key absent is true.",
         {"DateLessThanIfExists": {"aws:TokenIssueTime": "2020-01-01T00:00:00Z"}}, {}, True)
    cond("ifexists-ip-missing", OPS, "IpAddressIfExists with aws:SourceIp absent is true.",
         {"IpAddressIfExists": {"aws:SourceIp": "203.0.113.0/24"}}, {}, True)
    cond("ifexists-arn-missing", OPS, "ArnLikeIfExists with the key absent is true.",
         {"ArnLikeIfExists": {"aws:SourceArn": f"arn:aws:sns:*:{A}:*"}}, {}, True)
    cond("ifexists-not-equals-deny-missing", OPS,
         "Doc: Deny with StringNotEqualsIfExists still denies when the tag is missing.",
         {"StringNotEqualsIfExists": {"aws:ResourceTag/env": "prod"}}, {}, True, effect="Deny")
    cond("ifexists-not-equals-deny-present-same", OPS,
         "Deny with StringNotEqualsIfExists does not deny when the tag is present and equal.",
         {"StringNotEqualsIfExists": {"aws:ResourceTag/env": "prod"}}, {"aws:ResourceTag/env": "prod"}, False,
         effect="Deny")


def multiple_keys_values() -> None:
    tag = "aws:PrincipalTag/department"
    cond("multi-values-or", MULTI, "Several values for one key are ORed: department hr matches [finance, hr].",
         {"StringEquals": {tag: ["finance", "hr"]}}, {tag: "hr"}, True)
    cond("multi-values-or-none", MULTI, "Several values for one key are ORed: legal matches neither.",
         {"StringEquals": {tag: ["finance", "hr"]}}, {tag: "legal"}, False)
    cond("multi-not-equals-nor", MULTI, "A negated operator's values are NORed: StringNotEquals [public, internal] does not match public.",
         {"StringNotEquals": {"aws:RequestTag/DataClass": ["public", "internal"]}},
         {"aws:RequestTag/DataClass": "public"}, False)
    cond("multi-not-equals-nor-match", MULTI, "A negated operator's values are NORed: StringNotEquals [public, internal] matches private.",
         {"StringNotEquals": {"aws:RequestTag/DataClass": ["public", "internal"]}},
         {"aws:RequestTag/DataClass": "private"}, True)
    cond("multi-keys-and-both", MULTI, "Several keys under one operator are ANDed: both tags match.",
         {"StringEquals": {tag: "finance", "aws:PrincipalTag/role": "audit"}},
         {tag: "finance", "aws:PrincipalTag/role": "audit"}, True)
    cond("multi-keys-and-one", MULTI, "Several keys under one operator are ANDed: one tag differs, no match.",
         {"StringEquals": {tag: "finance", "aws:PrincipalTag/role": "audit"}},
         {tag: "finance", "aws:PrincipalTag/role": "dev"}, False)
    cond("multi-keys-and-one-missing", MULTI, "Several keys are ANDed: one key absent, no match.",
         {"StringEquals": {tag: "finance", "aws:PrincipalTag/role": "audit"}}, {tag: "finance"}, False)
    two_ops = {"StringEquals": {tag: "finance"}, "IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}
    cond("multi-operators-and-both", MULTI, "Several operators are ANDed: tag and source address both match.",
         two_ops, {tag: "finance", "aws:SourceIp": "192.0.2.10"}, True)
    cond("multi-operators-and-one", MULTI, "Several operators are ANDed: the address is outside the range, no match.",
         two_ops, {tag: "finance", "aws:SourceIp": "198.51.100.10"}, False)
    cond("multi-doc-block", MULTI,
         "Doc block: StringEquals on two principal tags and ArnLike on aws:PrincipalArn must all hold.",
         {"StringEquals": {tag: "finance", "aws:PrincipalTag/role": ["audit", "security"]},
          "ArnLike": {"aws:PrincipalArn": [f"arn:aws:iam::{A}:user/*", f"arn:aws:iam::{A}:role/audit/*"]}},
         {tag: "finance", "aws:PrincipalTag/role": "security"}, True)
    cond("cond-key-case-insensitive", COND, "Condition key names are case-insensitive: AWS:SOURCEIP in the policy reads aws:SourceIp.",
         {"IpAddress": {"AWS:SOURCEIP": "192.0.2.0/24"}}, {"aws:SourceIp": "192.0.2.7"}, True)
    cond("cond-key-case-insensitive-context", COND, "Context key names are case-insensitive too: aws:securetransport in the context.",
         {"Bool": {"aws:SecureTransport": "true"}}, {"aws:securetransport": "true"}, True)
    cond("cond-key-case-insensitive-prefix", COND, "The prefix of a tag key is case-insensitive: AWS:PrincipalTag/team reads aws:PrincipalTag/team.",
         {"StringEquals": {"AWS:PrincipalTag/team": "blue"}}, {"aws:PrincipalTag/team": "blue"}, True)
    cond("cond-value-case-sensitive", COND, "Condition values keep their case: StringEquals Finance does not match finance.",
         {"StringEquals": {tag: "Finance"}}, {tag: "finance"}, False)
    cond("cond-value-number-json", COND, "A JSON number as a condition value is read as its text: NumericEquals 10 (number) matches 10.",
         {"NumericEquals": {"s3:max-keys": 10}}, {"s3:max-keys": "10"}, True, action="s3:ListBucket", resource=BUCKET)
    cond("cond-value-bool-json", COND, "A JSON boolean as a condition value is read as its text: Bool true (boolean) matches true.",
         {"Bool": {"aws:SecureTransport": True}}, {"aws:SecureTransport": "true"}, True)
    cond("cond-empty-block", COND, "An empty Condition block imposes nothing.", {}, {}, True)


def set_operators() -> None:
    tk = "aws:TagKeys"
    allowed_keys = ["environment", "cost-center"]
    cond("set-forall-subset", SETS, "ForAllValues:StringEquals: every request tag key is in the allowed list.",
         {"ForAllValues:StringEquals": {tk: allowed_keys}}, {tk: ["environment"]}, True)
    cond("set-forall-equal-set", SETS, "ForAllValues:StringEquals: request keys exactly the allowed list.",
         {"ForAllValues:StringEquals": {tk: allowed_keys}}, {tk: ["cost-center", "environment"]}, True)
    cond("set-forall-extra", SETS, "ForAllValues:StringEquals: one request key outside the list makes it false.",
         {"ForAllValues:StringEquals": {tk: allowed_keys}}, {tk: ["environment", "owner"]}, False)
    cond("set-forall-missing", SETS, "ForAllValues returns true when the key is absent from the request.",
         {"ForAllValues:StringEquals": {tk: allowed_keys}}, {}, True)
    cond("set-forall-empty-list", SETS, "ForAllValues returns true when the key resolves to an empty set.",
         {"ForAllValues:StringEquals": {tk: allowed_keys}}, {tk: []}, True)
    cond("set-forall-null-guard", SETS, "Doc advice: ForAllValues with a Null false guard is false when the key is absent.",
         {"ForAllValues:StringEquals": {tk: allowed_keys}, "Null": {tk: "false"}}, {}, False)
    cond("set-forall-null-guard-present", SETS, "ForAllValues with a Null false guard holds when the keys are present and allowed.",
         {"ForAllValues:StringEquals": {tk: allowed_keys}, "Null": {tk: "false"}}, {tk: ["environment"]}, True)
    cond("set-forany-one", SETS, "ForAnyValue:StringEquals: one request key in the list is enough.",
         {"ForAnyValue:StringEquals": {tk: allowed_keys}}, {tk: ["owner", "environment"]}, True)
    cond("set-forany-none", SETS, "ForAnyValue:StringEquals: no request key in the list, false.",
         {"ForAnyValue:StringEquals": {tk: allowed_keys}}, {tk: ["owner"]}, False)
    cond("set-forany-missing", SETS, "ForAnyValue returns false when the key is absent.",
         {"ForAnyValue:StringEquals": {tk: allowed_keys}}, {}, False)
    cond("set-forany-empty-list", SETS, "ForAnyValue returns false when the key resolves to an empty set.",
         {"ForAnyValue:StringEquals": {tk: allowed_keys}}, {tk: []}, False)
    cond("set-forall-like-deny", SETS, "Doc example DenyRestrictedTags: Deny ForAllValues:StringLike key1* denies when every key starts with key1.",
         {"ForAllValues:StringLike": {tk: "key1*"}}, {tk: ["key1-a", "key1-b"]}, True, effect="Deny",
         action="iam:TagUser", resource=DAVE)
    cond("set-forall-like-deny-mixed", SETS, "Doc example DenyRestrictedTags: a key not starting with key1 makes ForAllValues false, no deny.",
         {"ForAllValues:StringLike": {tk: "key1*"}}, {tk: ["key1-a", "key2"]}, False, effect="Deny",
         action="iam:TagUser", resource=DAVE)
    cond("set-forall-like-deny-missing", SETS, "Doc warning: Deny with ForAllValues and the key absent evaluates true, so it denies.",
         {"ForAllValues:StringLike": {tk: "key1*"}}, {}, True, effect="Deny", action="iam:TagUser", resource=DAVE)
    cond("set-forall-not-equals-none-listed", SETS, "ForAllValues:StringNotEquals: no request key is in the list, true.",
         {"ForAllValues:StringNotEquals": {tk: ["DataClass", "Owner"]}}, {tk: ["Dept", "SIC"]}, True)
    cond("set-forall-not-equals-one-listed", SETS, "ForAllValues:StringNotEquals: one request key is in the list, false.",
         {"ForAllValues:StringNotEquals": {tk: ["DataClass", "Owner"]}}, {tk: ["Dept", "DataClass"]}, False)
    cond("set-forall-not-equals-missing", SETS, "ForAllValues:StringNotEquals with the key absent is true.",
         {"ForAllValues:StringNotEquals": {tk: ["DataClass", "Owner"]}}, {}, True)
    cond("set-forany-not-equals-all-listed", SETS, "ForAnyValue:StringNotEquals: every request key is in the list, false.",
         {"ForAnyValue:StringNotEquals": {tk: ["DataClass", "Owner"]}}, {tk: ["DataClass", "Owner"]}, False)
    cond("set-forany-not-equals-one-outside", SETS, "ForAnyValue:StringNotEquals: one request key outside the list, true.",
         {"ForAnyValue:StringNotEquals": {tk: ["DataClass", "Owner"]}}, {tk: ["Dept", "DataClass"]}, True)
    cond("set-forany-not-equals-missing", SETS, "ForAnyValue:StringNotEquals with the key absent is false.",
         {"ForAnyValue:StringNotEquals": {tk: ["DataClass", "Owner"]}}, {}, False)
    cond("set-forany-ignorecase", SETS, "ForAnyValue:StringEqualsIgnoreCase: ENVIRONMENT matches environment.",
         {"ForAnyValue:StringEqualsIgnoreCase": {tk: "environment"}}, {tk: ["ENVIRONMENT"]}, True)
    cond("set-forany-like", SETS, "ForAnyValue:StringLike *temp* matches one key among several.",
         {"ForAnyValue:StringLike": {tk: "*temp*"}}, {tk: ["owner", "is-temporary"]}, True)
    cond("set-forall-like-case", SETS, "ForAllValues:StringLike is case-sensitive: Owner:* does not cover owner:Legal.",
         {"ForAllValues:StringLike": {tk: ["Owner:*", "State:??"]}}, {tk: ["Owner:Legal", "owner:Legal"]}, False)
    cond("set-forall-like-question", SETS, "ForAllValues:StringLike: State:?? covers State:NY and Owner:* covers Owner:Legal.",
         {"ForAllValues:StringLike": {tk: ["Owner:*", "State:??"]}}, {tk: ["Owner:Legal", "State:NY"]}, True)
    org_path = f"{ORG}/r-ab12/ou-ab12-11111111/*"
    cond("set-forany-org-paths", SETS, "ForAnyValue:StringLike on the multivalued aws:PrincipalOrgPaths matches one path.",
         {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": org_path}},
         {"aws:PrincipalOrgPaths": [f"{ORG}/r-ab12/ou-ab12-22222222/", f"{ORG}/r-ab12/ou-ab12-11111111/ou-ab12-33333333/"]}, True)
    cond("set-forany-single-value", SETS,
         "A set operator on a single string value treats it as a set of one. Ambiguous: the docs advise against set operators on single-valued keys but do not give the result.",
         {"ForAnyValue:StringEquals": {"aws:PrincipalTag/team": "blue"}}, {"aws:PrincipalTag/team": "blue"}, True)
    cond("set-forany-called-via", SETS, "ForAnyValue:StringEquals on aws:CalledVia matches when CloudFormation is in the chain.",
         {"ForAnyValue:StringEquals": {"aws:CalledVia": "cloudformation.amazonaws.com"}},
         {"aws:CalledVia": ["cloudformation.amazonaws.com", "dynamodb.amazonaws.com"]}, True)
    cond("set-forall-numeric", SETS, "Set operators work with other operator families: ForAllValues:NumericLessThan 100 over [5, 99].",
         {"ForAllValues:NumericLessThan": {"ec2:ExampleSizes": "100"}}, {"ec2:ExampleSizes": ["5", "99"]}, True)
    cond("set-forall-numeric-one-over", SETS, "ForAllValues:NumericLessThan 100 over [5, 150] is false.",
         {"ForAllValues:NumericLessThan": {"ec2:ExampleSizes": "100"}}, {"ec2:ExampleSizes": ["5", "150"]}, False)


# ==============================================================================
# Policy variables
# ==============================================================================
def variables() -> None:
    home = doc(allow("s3:ListBucket", "arn:aws:s3:::mybucket",
                     Condition={"StringLike": {"s3:prefix": ["${aws:username}/*"]}}),
               allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::mybucket/${aws:username}/*"))
    ctx = {"aws:username": "alice"}
    case("var-username-resource", VARS, "Doc example: ${aws:username} in Resource lets alice reach mybucket/alice/*.",
         req("s3:GetObject", "arn:aws:s3:::mybucket/alice/notes.txt", identity=[home], context=ctx), "Allow", "identity")
    case("var-username-resource-other", VARS, "Doc example: alice cannot reach another user's folder.",
         req("s3:GetObject", "arn:aws:s3:::mybucket/bob/notes.txt", identity=[home], context=ctx), "ImplicitDeny", "identity")
    case("var-username-condition", VARS, "Doc example: ${aws:username} in a StringLike s3:prefix condition.",
         req("s3:ListBucket", "arn:aws:s3:::mybucket", identity=[home], context={**ctx, "s3:prefix": "alice/photos/"}),
         "Allow", "identity")
    case("var-username-condition-other", VARS, "Doc example: listing another user's prefix is not allowed.",
         req("s3:ListBucket", "arn:aws:s3:::mybucket", identity=[home], context={**ctx, "s3:prefix": "bob/"}),
         "ImplicitDeny", "identity")
    case("var-username-missing", VARS,
         "A variable whose key is absent resolves to nothing, so the value does not match (a role session has no aws:username).",
         req("s3:GetObject", "arn:aws:s3:::mybucket/build-42/notes.txt", P_SESSION, identity=[home]),
         "ImplicitDeny", "identity")
    case("var-username-not-literal", VARS,
         "Under 2012-10-17 the variable is substituted, so the literal text ${aws:username} in the ARN is not matched.",
         req("s3:GetObject", "arn:aws:s3:::mybucket/${aws:username}/notes.txt", identity=[home], context=ctx),
         "ImplicitDeny", "identity")
    old = doc(allow("s3:GetObject", "arn:aws:s3:::mybucket/${aws:username}/*"), version=V08)
    case("var-version-2008-literal", VERSION,
         "Version 2008-10-17 does not support variables: ${aws:username} does not stand for alice.",
         req("s3:GetObject", "arn:aws:s3:::mybucket/alice/notes.txt", identity=[old], context=ctx), "ImplicitDeny", "identity")
    case("var-version-2008-literal-match", VERSION,
         "Version 2008-10-17: ${aws:username} is literal text and matches the same literal text in the ARN.",
         req("s3:GetObject", "arn:aws:s3:::mybucket/${aws:username}/notes.txt", identity=[old], context=ctx),
         "Allow", "identity")
    noversion = doc(allow("s3:GetObject", "arn:aws:s3:::mybucket/${aws:username}/*"), version=None)
    case("var-no-version-literal", VARS,
         "Doc: without a Version element variables are literal strings, so alice's folder is not matched.",
         req("s3:GetObject", "arn:aws:s3:::mybucket/alice/notes.txt", identity=[noversion], context=ctx),
         "ImplicitDeny", "identity")
    case("var-no-version-literal-match", VARS,
         "Without a Version element the literal ${aws:username} text matches itself.",
         req("s3:GetObject", "arn:aws:s3:::mybucket/${aws:username}/notes.txt", identity=[noversion], context=ctx),
         "Allow", "identity")
    case("var-version-2008-condition-literal", VERSION,
         "Version 2008-10-17: a variable in a condition value is literal too.",
         req("s3:GetObject", OBJ, identity=[doc(allow("s3:GetObject", "*",
                                                      Condition={"StringEquals": {"aws:PrincipalTag/owner": "${aws:username}"}}),
                                                version=V08)],
             context={**ctx, "aws:PrincipalTag/owner": "alice"}),
         "ImplicitDeny", "identity")
    case("var-userid", VARS, "${aws:userid} in Resource resolves to the caller's unique id.",
         req("s3:GetObject", "arn:aws:s3:::home-bucket/AIDAJQABLZS4A3QDU576Q/a.txt",
             identity=[doc(allow("s3:GetObject", "arn:aws:s3:::home-bucket/${aws:userid}/*"))],
             context={"aws:userid": "AIDAJQABLZS4A3QDU576Q"}),
         "Allow", "identity")
    case("var-userid-role-session", VARS, "For a role session aws:userid is role-id:session-name, and the variable carries the colon.",
         req("s3:GetObject", "arn:aws:s3:::home-bucket/AROAEXAMPLEID1234567:build-42/a.txt", P_SESSION,
             identity=[doc(allow("s3:GetObject", "arn:aws:s3:::home-bucket/${aws:userid}/*"))],
             context={"aws:userid": "AROAEXAMPLEID1234567:build-42"}),
         "Allow", "identity")
    team = doc(allow("s3:GetObject", "arn:aws:s3:::team-data/${aws:PrincipalTag/team}/*"))
    case("var-principal-tag", VARS, "Doc: ${aws:PrincipalTag/team} in Resource resolves to the caller's team tag.",
         req("s3:GetObject", "arn:aws:s3:::team-data/blue/plan.txt", identity=[team],
             context={"aws:PrincipalTag/team": "blue"}), "Allow", "identity")
    case("var-principal-tag-other", VARS, "${aws:PrincipalTag/team} does not reach another team's folder.",
         req("s3:GetObject", "arn:aws:s3:::team-data/red/plan.txt", identity=[team],
             context={"aws:PrincipalTag/team": "blue"}), "ImplicitDeny", "identity")
    case("var-principal-tag-missing", VARS, "An untagged caller: the variable cannot resolve and the resource value does not match.",
         req("s3:GetObject", "arn:aws:s3:::team-data/blue/plan.txt", identity=[team]), "ImplicitDeny", "identity")
    case("var-missing-other-value-still-matches", VARS,
         "Only the value holding the unresolved variable fails; another value in the same list still matches.",
         req("s3:GetObject", "arn:aws:s3:::team-data/shared/readme.txt",
             identity=[doc(allow("s3:GetObject", ["arn:aws:s3:::team-data/${aws:PrincipalTag/team}/*",
                                                  "arn:aws:s3:::team-data/shared/*"]))]),
         "Allow", "identity")
    abac = doc(allow("ec2:StartInstances", "*",
                     Condition={"StringEquals": {"aws:ResourceTag/project": "${aws:PrincipalTag/project}"}}))
    case("var-abac-match", VARS, "ABAC: aws:ResourceTag/project must equal ${aws:PrincipalTag/project}.",
         req("ec2:StartInstances", f"arn:aws:ec2:us-east-1:{A}:instance/i-0abcd1234efgh5678", identity=[abac],
             context={"aws:ResourceTag/project": "apollo", "aws:PrincipalTag/project": "apollo"}), "Allow", "identity")
    case("var-abac-mismatch", VARS, "ABAC: different project tags do not match.",
         req("ec2:StartInstances", f"arn:aws:ec2:us-east-1:{A}:instance/i-0abcd1234efgh5678", identity=[abac],
             context={"aws:ResourceTag/project": "apollo", "aws:PrincipalTag/project": "gemini"}), "ImplicitDeny", "identity")
    case("var-abac-principal-untagged", VARS, "ABAC: with the principal tag missing the variable does not resolve, no match.",
         req("ec2:StartInstances", f"arn:aws:ec2:us-east-1:{A}:instance/i-0abcd1234efgh5678", identity=[abac],
             context={"aws:ResourceTag/project": "apollo"}), "ImplicitDeny", "identity")
    srcip = doc(allow("s3:PutObject", "*",
                      Condition={"StringEquals": {"aws:RequestTag/origin-ip": "${aws:SourceIp}"}}))
    case("var-sourceip", VARS, "${aws:SourceIp} in a string condition resolves to the caller's address.",
         req("s3:PutObject", OBJ, identity=[srcip],
             context={"aws:SourceIp": "203.0.113.7", "aws:RequestTag/origin-ip": "203.0.113.7"}), "Allow", "identity")
    case("var-sourceip-differs", VARS, "${aws:SourceIp} resolves to another address than the tag holds: no match.",
         req("s3:PutObject", OBJ, identity=[srcip],
             context={"aws:SourceIp": "203.0.113.8", "aws:RequestTag/origin-ip": "203.0.113.7"}), "ImplicitDeny", "identity")
    case("var-principal-account-default", VARS,
         "${aws:PrincipalAccount} resolves from the principal when the context does not give it (contract default).",
         req("s3:GetObject", f"arn:aws:s3:::logs-{A}/app/1.log",
             identity=[doc(allow("s3:GetObject", "arn:aws:s3:::logs-${aws:PrincipalAccount}/*"))]),
         "Allow", "identity")
    case("var-any-context-key", VARS, "Any single-valued context key can be a variable: ${aws:RequestedRegion} in Resource.",
         req("sqs:SendMessage", f"arn:aws:sqs:eu-west-1:{A}:jobs-eu-west-1",
             identity=[doc(allow("sqs:SendMessage", f"arn:aws:sqs:*:{A}:jobs-${{aws:RequestedRegion}}"))],
             context={"aws:RequestedRegion": "eu-west-1"}),
         "Allow", "identity")
    case("var-with-wildcard", VARS, "A variable combines with wildcards in StringLike: ${aws:username}-* matches alice-dev.",
         req("s3:GetObject", OBJ, identity=[doc(allow("s3:GetObject", "*",
                                                      Condition={"StringLike": {"aws:ResourceTag/owner": "${aws:username}-*"}}))],
             context={**ctx, "aws:ResourceTag/owner": "alice-dev"}),
         "Allow", "identity")
    case("var-name-case-insensitive", VARS, "Key names inside ${} are case-insensitive: ${AWS:UserName} reads aws:username.",
         req("s3:GetObject", "arn:aws:s3:::mybucket/alice/notes.txt",
             identity=[doc(allow("s3:GetObject", "arn:aws:s3:::mybucket/${AWS:UserName}/*"))], context=ctx),
         "Allow", "identity")
    case("var-arn-operator", VARS, "Variables work in ARN operators: ArnLike aws:PrincipalArn arn:aws:iam::*:user/${aws:username}.",
         req("s3:GetObject", OBJ, identity=[doc(allow("s3:GetObject", "*",
                                                      Condition={"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/${aws:username}"}}))],
             context=ctx),
         "Allow", "identity")
    case("var-value-no-wildcard-injection", VARS,
         "A substituted value is matched literally: a user named a* does not gain a wildcard.",
         req("s3:GetObject", "arn:aws:s3:::mybucket/alpha/x.txt",
             identity=[doc(allow("s3:GetObject", "arn:aws:s3:::mybucket/${aws:username}/*"))],
             context={"aws:username": "a*"}),
         "ImplicitDeny", "identity")
    star = doc(allow("s3:GetObject", "arn:aws:s3:::mybucket/${*}/file.txt"))
    case("var-escape-star-literal", VARS, "${*} stands for a literal asterisk: it matches a key named * exactly.",
         req("s3:GetObject", "arn:aws:s3:::mybucket/*/file.txt", identity=[star]), "Allow", "identity")
    case("var-escape-star-not-wildcard", VARS, "${*} is not a wildcard: it does not match folder x.",
         req("s3:GetObject", "arn:aws:s3:::mybucket/x/file.txt", identity=[star]), "ImplicitDeny", "identity")
    qm = doc(allow("s3:GetObject", "arn:aws:s3:::mybucket/report${?}.csv"))
    case("var-escape-question-literal", VARS, "${?} stands for a literal question mark.",
         req("s3:GetObject", "arn:aws:s3:::mybucket/report?.csv", identity=[qm]), "Allow", "identity")
    case("var-escape-question-not-wildcard", VARS, "${?} is not a single-character wildcard.",
         req("s3:GetObject", "arn:aws:s3:::mybucket/report1.csv", identity=[qm]), "ImplicitDeny", "identity")
    case("var-escape-dollar", VARS, "${$} stands for a literal dollar sign in a condition value.",
         req("s3:GetObject", OBJ, identity=[doc(allow("s3:GetObject", "*",
                                                      Condition={"StringEquals": {"aws:ResourceTag/price": "5${$}"}}))],
             context={"aws:ResourceTag/price": "5$"}),
         "Allow", "identity")
    case("var-escape-star-in-stringlike", VARS, "${*} inside StringLike is literal while a bare * stays a wildcard.",
         req("s3:GetObject", OBJ, identity=[doc(allow("s3:GetObject", "*",
                                                      Condition={"StringLike": {"aws:ResourceTag/label": "${*}*"}}))],
             context={"aws:ResourceTag/label": "plain"}),
         "ImplicitDeny", "identity")
    sns = doc(allow("sns:*", "*", Principal={"AWS": A},
                    Condition={"StringLike": {"sns:endpoint": "https://example.com/${aws:username}/"},
                               "StringEquals": {"sns:Protocol": "https"}}))
    case("var-sns-doc-example", VARS,
         "Doc SNS example: the endpoint must be https://example.com/<user name>/ and the protocol https; account principal plus identity allow.",
         req("sns:Subscribe", TOPIC, identity=[doc(allow("sns:Subscribe", TOPIC))], resource_policy=sns,
             context={**ctx, "sns:endpoint": "https://example.com/alice/", "sns:Protocol": "https"}),
         "Allow")


# ==============================================================================
# Version
# ==============================================================================
def versions() -> None:
    case("version-2012", VERSION, "Version 2012-10-17 is the current language version.",
         req("s3:GetObject", OBJ, identity=[doc(allow("s3:GetObject", OBJ))]), "Allow", "identity")
    case("version-2008", VERSION, "Version 2008-10-17 still evaluates statements without variables.",
         req("s3:GetObject", OBJ, identity=[doc(allow("s3:GetObject", OBJ), version=V08)]), "Allow", "identity")
    case("version-absent", VERSION, "Without a Version element the policy is evaluated (as 2008-10-17).",
         req("s3:GetObject", OBJ, identity=[doc(allow("s3:GetObject", OBJ), version=None)]), "Allow", "identity")
    case("version-2008-escape-literal", VERSION, "Version 2008-10-17 has no variables, so ${*} is not an escape for a literal asterisk.",
         req("s3:GetObject", "arn:aws:s3:::mybucket/*/file.txt",
             identity=[doc(allow("s3:GetObject", "arn:aws:s3:::mybucket/${*}/file.txt"), version=V08)]),
         "ImplicitDeny", "identity")
    error_case("version-invalid", VERSION, "A Version value other than 2012-10-17 or 2008-10-17 is a malformed policy.",
               req("s3:GetObject", OBJ, identity=[doc(allow("s3:GetObject", OBJ), version="2012-10-18")]))


# ==============================================================================
# Principal and NotPrincipal in resource-based policies
# ==============================================================================
def principals() -> None:
    def rp(principal: Any) -> dict[str, Any]:
        return doc(allow("s3:GetObject", BUCKET + "/*", Principal=principal))

    case("principal-star", PRINCIPAL, "Principal * grants everyone; same account the resource policy alone allows.",
         req("s3:GetObject", OBJ, resource_policy=rp("*")), "Allow", "resource")
    case("principal-aws-star", PRINCIPAL, "Principal {AWS: *} grants every AWS principal.",
         req("s3:GetObject", OBJ, resource_policy=rp({"AWS": "*"})), "Allow", "resource")
    case("principal-user-arn", PRINCIPAL, "Principal naming the caller's user ARN grants it.",
         req("s3:GetObject", OBJ, resource_policy=rp({"AWS": ALICE})), "Allow", "resource")
    case("principal-user-arn-path", PRINCIPAL, "A user ARN with a path matches the caller whose ARN has that path.",
         req("s3:GetObject", OBJ, P_DAVE, resource_policy=rp({"AWS": DAVE})), "Allow", "resource")
    case("principal-other-user", PRINCIPAL, "Principal naming another user does not grant the caller.",
         req("s3:GetObject", OBJ, resource_policy=rp({"AWS": DAVE})), "ImplicitDeny", "identity")
    case("principal-list", PRINCIPAL, "A list of principals grants any one of them.",
         req("s3:GetObject", OBJ, resource_policy=rp({"AWS": [DAVE, ALICE]})), "Allow", "resource")
    case("principal-account-id-same-account", PRINCIPAL,
         "Principal by account id delegates to the account: same account, the caller still needs an identity allow.",
         req("s3:GetObject", OBJ, resource_policy=rp({"AWS": A})), "ImplicitDeny", "identity")
    case("principal-account-id-with-identity", PRINCIPAL,
         "Principal by account id plus an identity allow: allowed.",
         req("s3:GetObject", OBJ, identity=[doc(allow("s3:GetObject", "*"))], resource_policy=rp({"AWS": A})), "Allow")
    case("principal-root-arn-same-account", PRINCIPAL,
         "Principal by account root ARN is the same as the account id: it does not grant a user alone.",
         req("s3:GetObject", OBJ, resource_policy=rp({"AWS": ROOT_A})), "ImplicitDeny", "identity")
    case("principal-root-arn-with-identity", PRINCIPAL, "Account root ARN principal plus an identity allow: allowed.",
         req("s3:GetObject", OBJ, identity=[doc(allow("s3:GetObject", "*"))], resource_policy=rp({"AWS": ROOT_A})), "Allow")
    case("principal-role-arn", PRINCIPAL,
         "Principal naming a role ARN (with its path) grants its sessions; aws:PrincipalArn is the role ARN.",
         req("s3:GetObject", OBJ, P_SESSION, resource_policy=rp({"AWS": ROLE})), "Allow", "resource")
    case("principal-role-arn-other-role", PRINCIPAL, "Principal naming another role does not grant this role's session.",
         req("s3:GetObject", OBJ, P_SESSION, resource_policy=rp({"AWS": f"arn:aws:iam::{A}:role/Writer"})),
         "ImplicitDeny", "identity")
    case("principal-session-arn", PRINCIPAL, "Principal naming the assumed-role session ARN grants that session.",
         req("s3:GetObject", OBJ, P_SESSION, resource_policy=rp({"AWS": SESSION_ARN})), "Allow", "resource")
    case("principal-session-arn-other-session", PRINCIPAL, "A session ARN principal does not grant another session of the same role.",
         req("s3:GetObject", OBJ, P_SESSION, resource_policy=rp({"AWS": OTHER_SESSION})), "ImplicitDeny", "identity")
    case("principal-federated-user-arn", PRINCIPAL, "Principal naming a federated user session ARN grants that session.",
         req("s3:GetObject", OBJ, P_FED, resource_policy=rp({"AWS": FED_USER})), "Allow", "resource")
    trust_ec2 = doc(allow("sts:AssumeRole", None, Principal={"Service": "ec2.amazonaws.com"}))
    role_res = f"arn:aws:iam::{A}:role/ec2-app"
    case("principal-service", PRINCIPAL,
         "Trust policy Principal Service ec2.amazonaws.com lets EC2 assume the role (caller given by principal.service).",
         req("sts:AssumeRole", role_res, {"service": "ec2.amazonaws.com"}, resource_policy=trust_ec2,
             resource_account=A), "Allow", "resource")
    case("principal-service-other", PRINCIPAL, "Another service is not named by the trust policy.",
         req("sts:AssumeRole", role_res, {"service": "lambda.amazonaws.com"}, resource_policy=trust_ec2,
             resource_account=A), "ImplicitDeny")
    case("principal-service-list", PRINCIPAL, "Service principals may be a list.",
         req("sts:AssumeRole", role_res, {"service": "lambda.amazonaws.com"},
             resource_policy=doc(allow("sts:AssumeRole", None,
                                       Principal={"Service": ["ec2.amazonaws.com", "lambda.amazonaws.com"]})),
             resource_account=A), "Allow", "resource")
    google = doc(allow("sts:AssumeRoleWithWebIdentity", None, Principal={"Federated": "accounts.google.com"},
                       Condition={"StringEquals": {"accounts.google.com:aud": "66677788899.apps.googleusercontent.com"}}))
    case("principal-federated-web-identity", PRINCIPAL,
         "Trust policy Principal Federated accounts.google.com with the audience condition lets the web identity assume the role.",
         req("sts:AssumeRoleWithWebIdentity", f"arn:aws:iam::{A}:role/web-app", {"federated": "accounts.google.com"},
             resource_policy=google, resource_account=A,
             context={"accounts.google.com:aud": "66677788899.apps.googleusercontent.com"}),
         "Allow", "resource")
    case("principal-federated-wrong-aud", PRINCIPAL, "The same trust policy with another audience does not allow.",
         req("sts:AssumeRoleWithWebIdentity", f"arn:aws:iam::{A}:role/web-app", {"federated": "accounts.google.com"},
             resource_policy=google, resource_account=A,
             context={"accounts.google.com:aud": "12345.apps.googleusercontent.com"}),
         "ImplicitDeny")
    oidc = f"arn:aws:iam::{A}:oidc-provider/token.actions.githubusercontent.com"
    case("principal-federated-oidc-arn", PRINCIPAL, "Principal Federated may name an OIDC provider ARN.",
         req("sts:AssumeRoleWithWebIdentity", f"arn:aws:iam::{A}:role/deploy", {"federated": oidc},
             resource_policy=doc(allow("sts:AssumeRoleWithWebIdentity", None, Principal={"Federated": oidc})),
             resource_account=A),
         "Allow", "resource")
    case("principal-federated-other-provider", PRINCIPAL, "A Federated principal does not match another provider.",
         req("sts:AssumeRoleWithWebIdentity", f"arn:aws:iam::{A}:role/deploy", {"federated": "accounts.google.com"},
             resource_policy=doc(allow("sts:AssumeRoleWithWebIdentity", None, Principal={"Federated": oidc})),
             resource_account=A),
         "ImplicitDeny")
    case("principal-trust-policy-must-allow", EVAL,
         "Doc: role trust policies are an exception; they must allow the principal, so an identity allow for sts:AssumeRole is not enough even in the same account.",
         req("sts:AssumeRole", f"arn:aws:iam::{A}:role/Admin", identity=[doc(allow("sts:AssumeRole", "*"))],
             resource_policy=doc(allow("sts:AssumeRole", None, Principal={"AWS": DAVE}))),
         "ImplicitDeny", "resource")
    case("principal-deny-star", PRINCIPAL, "Deny with Principal * applies to every caller.",
         req("s3:GetObject", OBJ, identity=[doc(allow("s3:*", "*"))],
             resource_policy=doc(deny("s3:GetObject", BUCKET + "/*", Principal="*"))),
         "ExplicitDeny", "resource")
    case("principal-deny-other-user", PRINCIPAL, "A deny naming another user does not touch the caller.",
         req("s3:GetObject", OBJ, identity=[doc(allow("s3:*", "*"))],
             resource_policy=doc(deny("s3:GetObject", BUCKET + "/*", Principal={"AWS": DAVE}))),
         "Allow", "identity")
    case("principal-deny-role-applies-to-session", PRINCIPAL, "A deny naming the role ARN applies to its sessions.",
         req("s3:GetObject", OBJ, P_SESSION, identity=[doc(allow("s3:*", "*"))],
             resource_policy=doc(deny("s3:GetObject", BUCKET + "/*", Principal={"AWS": ROLE}))),
         "ExplicitDeny", "resource")

    # NotPrincipal with Deny
    np_bob = doc(deny("s3:*", [BUCKET, BUCKET + "/*"], NotPrincipal={"AWS": [BOB, ROOT_B]}),
                 allow("s3:GetObject", BUCKET + "/*", Principal={"AWS": [BOB, ALICE]}))
    case("notprincipal-deny-others", NOTPRINCIPAL,
         "Doc example: Deny with NotPrincipal [Bob, Bob's account] explicitly denies everyone else, here alice.",
         req("s3:GetObject", OBJ, identity=[doc(allow("s3:*", "*"))], resource_policy=np_bob),
         "ExplicitDeny", "resource")
    case("notprincipal-excluded-cross-account", NOTPRINCIPAL,
         "Doc example: Bob is exempt from the deny; with his identity allow and the allow statement he gets access.",
         req("s3:GetObject", OBJ, P_BOB, identity=[doc(allow("s3:GetObject", "*"))], resource_policy=np_bob,
             resource_account=A),
         "Allow")
    np_role = doc(deny("s3:*", [BUCKET, BUCKET + "/*"],
                       NotPrincipal={"AWS": [AUDITOR_SESSION, AUDITOR, ROOT_B]}),
                  allow("s3:GetObject", BUCKET + "/*", Principal={"AWS": AUDITOR_SESSION}))
    case("notprincipal-role-session-excluded", NOTPRINCIPAL,
         "Doc example: NotPrincipal listing the session, its role and its account exempts that session.",
         req("s3:GetObject", OBJ, P_AUDITOR, identity=[doc(allow("s3:GetObject", "*"))], resource_policy=np_role,
             resource_account=A),
         "Allow")
    case("notprincipal-role-other-session", NOTPRINCIPAL,
         "Another session of the same role is denied: the docs say AWS may check the account, then the role, then the session, and each must be listed. Ambiguous ('might'); read as: exempt only when every level of the caller is listed.",
         req("s3:GetObject", OBJ, {"arn": f"arn:aws:sts::{B}:assumed-role/Auditor/other", "account": B},
             identity=[doc(allow("s3:GetObject", "*"))], resource_policy=np_role, resource_account=A,
             context={"aws:PrincipalArn": AUDITOR}),
         "ExplicitDeny", "resource")
    case("notprincipal-user-without-account", NOTPRINCIPAL,
         "NotPrincipal naming only Bob's user ARN, not his account: the docs warn the deny might then hit Bob's whole account. Ambiguous ('might'); read as the account level not being exempt, so Bob is denied.",
         req("s3:GetObject", OBJ, P_BOB, identity=[doc(allow("s3:GetObject", "*"))],
             resource_policy=doc(deny("s3:*", [BUCKET, BUCKET + "/*"], NotPrincipal={"AWS": BOB}),
                                 allow("s3:GetObject", BUCKET + "/*", Principal={"AWS": BOB})),
             resource_account=A),
         "ExplicitDeny", "resource")
    case("notprincipal-with-boundary", BOUNDARY,
         "Doc warning: a Deny with NotPrincipal always denies a principal that has a permissions boundary, whatever NotPrincipal lists.",
         req("s3:GetObject", OBJ, P_BOB, identity=[doc(allow("s3:GetObject", "*"))], boundary=doc(allow("s3:*", "*")),
             resource_policy=np_bob, resource_account=A),
         "ExplicitDeny", "resource")


# ==============================================================================
# Same-account resource-based policies and implicit denies elsewhere
# ==============================================================================
def same_account_resource_rules() -> None:
    s3_only_bucket = doc(allow("s3:GetObject", BUCKET + "/*", Principal={"AWS": ALICE}))
    case("same-user-grant-no-identity", EVAL,
         "Same account: a resource policy granting the user ARN allows without any identity policy.",
         req("s3:GetObject", OBJ, resource_policy=s3_only_bucket), "Allow", "resource")
    case("same-user-grant-identity-implicit", EVAL,
         "Same account: a grant to the user ARN is not limited by identity policies that do not allow the action.",
         req("s3:GetObject", OBJ, identity=[doc(allow("ec2:*", "*"))], resource_policy=s3_only_bucket),
         "Allow", "resource")
    case("same-user-grant-boundary-implicit", EVAL,
         "Same account: a grant to the user ARN is not limited by an implicit deny in the user's permissions boundary.",
         req("s3:GetObject", OBJ, boundary=doc(allow("ec2:*", "*")), resource_policy=s3_only_bucket),
         "Allow", "resource")
    case("same-user-grant-boundary-explicit", EVAL,
         "Same account: an explicit deny in the boundary still beats the grant to the user ARN.",
         req("s3:GetObject", OBJ, boundary=doc(allow("*", "*"), deny("s3:*", "*")), resource_policy=s3_only_bucket),
         "ExplicitDeny", "permissions_boundary")
    case("same-user-grant-scp-implicit", EVAL,
         "SCPs are evaluated before resource-based policies: a grant to the user ARN does not get past an SCP with no allow.",
         req("s3:GetObject", OBJ, resource_policy=s3_only_bucket, scp=[[full_access()], [doc(allow("ec2:*", "*"))]]),
         "ImplicitDeny", "scp", 1)
    case("same-user-grant-wrong-action", EVAL,
         "The grant covers s3:GetObject only; s3:PutObject without identity allow is implicitly denied.",
         req("s3:PutObject", OBJ, resource_policy=s3_only_bucket), "ImplicitDeny", "identity")
    acct = doc(allow("s3:GetObject", BUCKET + "/*", Principal={"AWS": ROOT_A}))
    case("same-account-grant-needs-identity", EVAL,
         "Same account: a grant to the account root ARN needs an identity allow too.",
         req("s3:GetObject", OBJ, resource_policy=acct), "ImplicitDeny", "identity")
    case("same-account-grant-with-identity", EVAL,
         "Same account: grant to the account plus an identity allow is allowed.",
         req("s3:GetObject", OBJ, identity=[doc(allow("s3:GetObject", OBJ))], resource_policy=acct), "Allow")
    case("same-account-grant-with-identity-boundary", EVAL,
         "Same account: a grant to the account goes through the identity path, so a boundary without the action limits it.",
         req("s3:GetObject", OBJ, identity=[doc(allow("s3:GetObject", OBJ))], boundary=doc(allow("ec2:*", "*")),
             resource_policy=acct),
         "ImplicitDeny", "permissions_boundary")
    role_grant = doc(allow("s3:GetObject", BUCKET + "/*", Principal={"AWS": ROLE}))
    case("same-role-grant-no-identity", EVAL,
         "Same account: a grant to the role ARN allows the role's session without an identity policy.",
         req("s3:GetObject", OBJ, P_SESSION, resource_policy=role_grant), "Allow", "resource")
    case("same-role-grant-boundary-implicit", EVAL,
         "Same account: a grant to the role ARN is limited by an implicit deny in the role's permissions boundary.",
         req("s3:GetObject", OBJ, P_SESSION, boundary=doc(allow("ec2:*", "*")), resource_policy=role_grant),
         "ImplicitDeny", "permissions_boundary")
    case("same-role-grant-session-implicit", EVAL,
         "Same account: a grant to the role ARN is limited by an implicit deny in a session policy.",
         req("s3:GetObject", OBJ, P_SESSION, session=[doc(allow("ec2:*", "*"))], resource_policy=role_grant),
         "ImplicitDeny", "session")
    case("same-role-grant-boundary-and-session-allow", EVAL,
         "Same account: grant to the role ARN with a boundary and a session policy that both allow: allowed.",
         req("s3:GetObject", OBJ, P_SESSION, boundary=doc(allow("s3:*", "*")), session=[doc(allow("s3:GetObject", "*"))],
             resource_policy=role_grant),
         "Allow", "resource")
    sess_grant = doc(allow("s3:GetObject", BUCKET + "/*", Principal={"AWS": SESSION_ARN}))
    case("same-session-grant-no-identity", EVAL,
         "Same account: a grant to the assumed-role session ARN allows without an identity policy.",
         req("s3:GetObject", OBJ, P_SESSION, resource_policy=sess_grant), "Allow", "resource")
    case("same-session-grant-boundary-implicit", EVAL,
         "Same account: a grant to the session ARN is not limited by an implicit deny in the permissions boundary.",
         req("s3:GetObject", OBJ, P_SESSION, boundary=doc(allow("ec2:*", "*")), resource_policy=sess_grant),
         "Allow", "resource")
    case("same-session-grant-session-implicit", EVAL,
         "Same account: a grant to the session ARN is not limited by an implicit deny in the session policy.",
         req("s3:GetObject", OBJ, P_SESSION, session=[doc(allow("ec2:*", "*"))], resource_policy=sess_grant),
         "Allow", "resource")
    case("same-session-grant-all-implicit", EVAL,
         "Same account: grant to the session ARN with identity, boundary and session policies none of which allow: still allowed.",
         req("s3:GetObject", OBJ, P_SESSION, identity=[doc(allow("ec2:*", "*"))], boundary=doc(allow("ec2:*", "*")),
             session=[doc(allow("ec2:*", "*"))], resource_policy=sess_grant),
         "Allow", "resource")
    case("same-session-grant-session-explicit", EVAL,
         "Same account: an explicit deny in the session policy still beats a grant to the session ARN.",
         req("s3:GetObject", OBJ, P_SESSION, session=[doc(deny("s3:GetObject", "*"))], resource_policy=sess_grant),
         "ExplicitDeny", "session")
    fed_grant = doc(allow("s3:GetObject", BUCKET + "/*", Principal={"AWS": FED_USER}))
    case("same-federated-grant-session-implicit", EVAL,
         "Same account: a grant to the federated user session ARN is not limited by an implicit deny in its session policy.",
         req("s3:GetObject", OBJ, P_FED, identity=[doc(allow("s3:*", "*"))], session=[doc(allow("ec2:*", "*"))],
             resource_policy=fed_grant),
         "Allow", "resource")
    case("same-role-identity-only", EVAL,
         "A role session with only an identity allow and no session policy is allowed.",
         req("s3:GetObject", OBJ, P_SESSION, identity=[doc(allow("s3:GetObject", "*"))]), "Allow", "identity")


# ==============================================================================
# Cross-account
# ==============================================================================
def cross_account() -> None:
    b_grant_bob = doc(allow("s3:GetObject", BUCKET + "/*", Principal={"AWS": BOB}))
    idp = doc(allow("s3:GetObject", "*"))
    case("cross-both-allow", CROSS, "Cross-account: identity policy in B and resource policy in A both allow.",
         req("s3:GetObject", OBJ, P_BOB, identity=[idp], resource_policy=b_grant_bob, resource_account=A), "Allow")
    case("cross-no-resource-policy", CROSS,
         "Cross-account: identity allows but the resource has no resource-based policy: implicit deny by the resource gate.",
         req("s3:GetObject", OBJ, P_BOB, identity=[idp], resource_account=A), "ImplicitDeny", "resource")
    case("cross-no-identity", CROSS,
         "Cross-account: the resource policy names the user but no identity policy allows: implicit deny by the identity gate.",
         req("s3:GetObject", OBJ, P_BOB, resource_policy=b_grant_bob, resource_account=A), "ImplicitDeny", "identity")
    case("cross-neither", CROSS,
         "Cross-account with nothing allowing: the resource gate comes first in the flowchart. Ambiguous: both gates fail; the first in flowchart order is reported.",
         req("s3:GetObject", OBJ, P_BOB, resource_account=A), "ImplicitDeny", "resource")
    case("cross-resource-names-other-principal", CROSS,
         "Cross-account: a resource policy naming someone else does not help.",
         req("s3:GetObject", OBJ, P_BOB, identity=[idp], resource_policy=doc(allow("s3:GetObject", BUCKET + "/*", Principal={"AWS": ALICE})),
             resource_account=A),
         "ImplicitDeny", "resource")
    case("cross-resource-names-account-id", CROSS, "Cross-account: a resource policy naming the caller's account id plus identity allow.",
         req("s3:GetObject", OBJ, P_BOB, identity=[idp], resource_policy=doc(allow("s3:GetObject", BUCKET + "/*", Principal={"AWS": B})),
             resource_account=A), "Allow")
    case("cross-resource-names-account-root", CROSS, "Cross-account: a resource policy naming the caller's account root ARN plus identity allow.",
         req("s3:GetObject", OBJ, P_BOB, identity=[idp], resource_policy=doc(allow("s3:GetObject", BUCKET + "/*", Principal={"AWS": ROOT_B})),
             resource_account=A), "Allow")
    case("cross-resource-names-account-no-identity", CROSS, "Cross-account: naming the caller's account without an identity allow.",
         req("s3:GetObject", OBJ, P_BOB, resource_policy=doc(allow("s3:GetObject", BUCKET + "/*", Principal={"AWS": B})),
             resource_account=A), "ImplicitDeny", "identity")
    case("cross-resource-names-own-account", CROSS,
         "Cross-account: a resource policy naming its own account does not grant a caller from another account.",
         req("s3:GetObject", OBJ, P_BOB, identity=[idp], resource_policy=doc(allow("s3:GetObject", BUCKET + "/*", Principal={"AWS": A})),
             resource_account=A), "ImplicitDeny", "resource")
    case("cross-resource-deny", CROSS, "Cross-account: an explicit deny in the resource policy.",
         req("s3:GetObject", OBJ, P_BOB, identity=[idp],
             resource_policy=doc(b_grant_bob["Statement"][0], deny("s3:GetObject", BUCKET + "/*", Principal={"AWS": BOB})),
             resource_account=A), "ExplicitDeny", "resource")
    case("cross-identity-deny", CROSS, "Cross-account: an explicit deny in the caller's identity policy.",
         req("s3:GetObject", OBJ, P_BOB, identity=[idp, doc(deny("s3:*", BUCKET + "/*"))], resource_policy=b_grant_bob,
             resource_account=A), "ExplicitDeny", "identity")
    case("cross-principal-star", CROSS, "Cross-account: Principal * in the resource policy plus identity allow.",
         req("s3:GetObject", OBJ, P_BOB, identity=[idp], resource_policy=doc(allow("s3:GetObject", BUCKET + "/*", Principal="*")),
             resource_account=A), "Allow")
    case("cross-principal-star-no-identity", CROSS, "Cross-account: even Principal * needs the caller's identity allow.",
         req("s3:GetObject", OBJ, P_BOB, resource_policy=doc(allow("s3:GetObject", BUCKET + "/*", Principal="*")),
             resource_account=A), "ImplicitDeny", "identity")
    role_grant = doc(allow("s3:GetObject", BUCKET + "/*", Principal={"AWS": AUDITOR}))
    case("cross-role-both", CROSS, "Cross-account: a role session, resource policy naming the role, role policy allowing.",
         req("s3:GetObject", OBJ, P_AUDITOR, identity=[idp], resource_policy=role_grant, resource_account=A), "Allow")
    case("cross-role-boundary", CROSS, "Cross-account: the caller's permissions boundary still limits the identity side.",
         req("s3:GetObject", OBJ, P_AUDITOR, identity=[idp], boundary=doc(allow("ec2:*", "*")),
             resource_policy=role_grant, resource_account=A), "ImplicitDeny", "permissions_boundary")
    case("cross-role-session-policy", CROSS, "Cross-account: the caller's session policy still limits the identity side.",
         req("s3:GetObject", OBJ, P_AUDITOR, identity=[idp], session=[doc(allow("ec2:*", "*"))],
             resource_policy=role_grant, resource_account=A), "ImplicitDeny", "session")
    case("cross-session-grant-needs-identity", CROSS,
         "Cross-account: even a grant to the exact session ARN needs an identity allow in the caller's account.",
         req("s3:GetObject", OBJ, P_AUDITOR,
             resource_policy=doc(allow("s3:GetObject", BUCKET + "/*", Principal={"AWS": AUDITOR_SESSION})),
             resource_account=A), "ImplicitDeny", "identity")
    case("cross-scp-of-caller", CROSS, "Cross-account: the caller's SCPs apply to its request.",
         req("s3:GetObject", OBJ, P_BOB, identity=[idp], resource_policy=b_grant_bob, resource_account=A,
             scp=[[full_access(), doc(deny("s3:*", "*"))]]), "ExplicitDeny", "scp", 0)
    case("cross-account-from-arn", CROSS,
         "The resource account defaults from the resource ARN: a queue in B is cross-account for alice and has no resource policy.",
         req("sqs:SendMessage", f"arn:aws:sqs:us-east-1:{B}:inbox", identity=[doc(allow("sqs:SendMessage", "*"))]),
         "ImplicitDeny", "resource")
    case("cross-account-from-arn-allowed", CROSS,
         "The resource account defaults from the resource ARN; the queue policy names alice and her identity allows.",
         req("sqs:SendMessage", f"arn:aws:sqs:us-east-1:{B}:inbox", identity=[doc(allow("sqs:SendMessage", "*"))],
             resource_policy=doc(allow("sqs:SendMessage", f"arn:aws:sqs:us-east-1:{B}:inbox", Principal={"AWS": ALICE}))),
         "Allow")
    case("cross-same-account-default", CROSS,
         "An S3 ARN has no account: without resource_account the resource is in the caller's account, so identity alone allows.",
         req("s3:GetObject", OBJ, P_BOB, identity=[idp]), "Allow", "identity")
    carlos = f"arn:aws:iam::{B}:user/carlossalazar"
    carlos_policy = doc(allow("s3:ListAllMyBuckets", "*", Sid="AllowS3ListRead"),
                        allow("s3:*Object*", "arn:aws:s3:::Production/*", Sid="AllowS3ProductionObjectActions"),
                        deny("s3:*", ["arn:aws:s3:::*log*", "arn:aws:s3:::*log*/*"], Sid="DenyS3Logs"))
    prod_bucket = doc(allow(["s3:GetObject*", "s3:PutObject*", "s3:ReplicateObject", "s3:RestoreObject"],
                            "arn:aws:s3:::Production/*", Principal={"AWS": carlos}))
    case("cross-carlos-logs", CROSS,
         "Doc example: Carlos saving to Production-logs in another account is explicitly denied by his DenyS3Logs statement.",
         req("s3:PutObject", "arn:aws:s3:::Production-logs/today.log", {"arn": carlos, "account": B},
             identity=[carlos_policy], resource_account=A), "ExplicitDeny", "identity")
    case("cross-carlos-production", CROSS,
         "Doc example: Carlos saving to the Production bucket is allowed by both accounts.",
         req("s3:PutObject", "arn:aws:s3:::Production/today.txt", {"arn": carlos, "account": B},
             identity=[carlos_policy], resource_policy=prod_bucket, resource_account=A), "Allow")
    case("cross-carlos-delete", CROSS,
         "Doc example: the bucket policy lets Carlos create and edit but not delete objects.",
         req("s3:DeleteObject", "arn:aws:s3:::Production/today.txt", {"arn": carlos, "account": B},
             identity=[carlos_policy], resource_policy=prod_bucket, resource_account=A), "ImplicitDeny", "resource")


# ==============================================================================
# Permissions boundaries
# ==============================================================================
def boundaries() -> None:
    shirley = doc(allow(["s3:*", "cloudwatch:*", "ec2:*"], "*"))
    case("boundary-doc-outside", BOUNDARY,
         "Doc example: boundary allows S3, CloudWatch and EC2; identity allows iam:CreateUser; the boundary blocks it.",
         req("iam:CreateUser", f"arn:aws:iam::{A}:user/newhire", identity=[doc(allow("iam:CreateUser", "*"))], boundary=shirley),
         "ImplicitDeny", "permissions_boundary")
    case("boundary-doc-inside", BOUNDARY, "Doc example: s3:GetObject is allowed by identity and boundary.",
         req("s3:GetObject", OBJ, identity=[doc(allow("s3:*", "*"))], boundary=shirley), "Allow", "identity")
    case("boundary-does-not-grant", BOUNDARY, "A boundary alone grants nothing: no identity allow, implicit deny by the identity gate.",
         req("s3:GetObject", OBJ, boundary=shirley), "ImplicitDeny", "identity")
    case("boundary-explicit-deny", BOUNDARY, "A deny in the boundary is an explicit deny.",
         req("ec2:TerminateInstances", "*", identity=[doc(allow("ec2:*", "*"))],
             boundary=doc(allow("ec2:*", "*"), deny("ec2:TerminateInstances", "*"))),
         "ExplicitDeny", "permissions_boundary")
    case("boundary-condition", BOUNDARY, "Boundary statements can have conditions: allowed only from the corporate range.",
         req("s3:GetObject", OBJ, identity=[doc(allow("s3:*", "*"))],
             boundary=doc(allow("s3:*", "*", Condition={"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}})),
             context={"aws:SourceIp": "198.51.100.1"}),
         "ImplicitDeny", "permissions_boundary")
    case("boundary-resource-scope", BOUNDARY, "A boundary scoped to one bucket blocks other buckets.",
         req("s3:GetObject", "arn:aws:s3:::other-bucket/x", identity=[doc(allow("s3:*", "*"))],
             boundary=doc(allow("s3:*", [BUCKET, BUCKET + "/*"]))),
         "ImplicitDeny", "permissions_boundary")
    case("boundary-role-session", BOUNDARY, "A role's boundary limits its sessions' identity permissions.",
         req("sqs:SendMessage", QUEUE, P_SESSION, identity=[doc(allow("*", "*"))], boundary=doc(allow("s3:*", "*"))),
         "ImplicitDeny", "permissions_boundary")
    case("boundary-deny-only", BOUNDARY, "A boundary holding only a deny for another action allows nothing.",
         req("s3:GetObject", OBJ, identity=[doc(allow("s3:*", "*"))], boundary=doc(deny("s3:DeleteBucket", "*"))),
         "ImplicitDeny", "permissions_boundary")
    case("boundary-notaction", BOUNDARY, "A boundary may use NotAction: everything but IAM.",
         req("iam:CreateRole", "*", identity=[doc(allow("*", "*"))], boundary=doc(allow(NotAction="iam:*", resource="*"))),
         "ImplicitDeny", "permissions_boundary")
    case("boundary-before-session", BOUNDARY,
         "Boundary and session policy both lack the action: the boundary gate comes first in the flowchart.",
         req("sqs:SendMessage", QUEUE, P_SESSION, identity=[doc(allow("*", "*"))], boundary=doc(allow("s3:*", "*")),
             session=[doc(allow("s3:*", "*"))]),
         "ImplicitDeny", "permissions_boundary")
    case("boundary-identity-first", BOUNDARY,
         "Neither identity nor boundary allows: the identity gate comes before the boundary gate.",
         req("sqs:SendMessage", QUEUE, identity=[doc(allow("s3:*", "*"))], boundary=doc(allow("s3:*", "*"))),
         "ImplicitDeny", "identity")
    case("boundary-with-scp", BOUNDARY,
         "Boundary, SCP and identity policy must all allow: here all do.",
         req("s3:GetObject", OBJ, identity=[doc(allow("s3:*", "*"))], boundary=shirley, scp=[[full_access()]]),
         "Allow", "identity")


# ==============================================================================
# Session policies
# ==============================================================================
def sessions() -> None:
    idp = doc(allow("s3:*", "*"))
    case("session-intersection-inside", SESSION, "Role session: identity s3:*, session policy s3:GetObject: GetObject allowed.",
         req("s3:GetObject", OBJ, P_SESSION, identity=[idp], session=[doc(allow("s3:GetObject", "*"))]), "Allow", "identity")
    case("session-intersection-outside", SESSION, "Role session: s3:PutObject is outside the session policy.",
         req("s3:PutObject", OBJ, P_SESSION, identity=[idp], session=[doc(allow("s3:GetObject", "*"))]),
         "ImplicitDeny", "session")
    case("session-does-not-grant", SESSION, "A session policy alone grants nothing: the role's identity policies must allow too.",
         req("sqs:SendMessage", QUEUE, P_SESSION, identity=[idp], session=[doc(allow("*", "*"))]),
         "ImplicitDeny", "identity")
    case("session-union-of-docs", SESSION,
         "Several session policy documents (inline and managed) combine as a union: the second one allows PutObject.",
         req("s3:PutObject", OBJ, P_SESSION, identity=[idp],
             session=[doc(allow("s3:GetObject", "*")), doc(allow("s3:PutObject", "*"))]), "Allow", "identity")
    case("session-union-none", SESSION, "Several session documents, none allowing the action.",
         req("s3:DeleteObject", OBJ, P_SESSION, identity=[idp],
             session=[doc(allow("s3:GetObject", "*")), doc(allow("s3:PutObject", "*"))]), "ImplicitDeny", "session")
    case("session-deny-in-one-doc", SESSION, "A deny in any session document is an explicit deny.",
         req("s3:GetObject", OBJ, P_SESSION, identity=[idp],
             session=[doc(allow("s3:*", "*")), doc(deny("s3:GetObject", "*"))]), "ExplicitDeny", "session")
    case("session-none-role", SESSION, "Role session without a session policy: identity permissions apply whole.",
         req("s3:PutObject", OBJ, P_SESSION, identity=[idp]), "Allow", "identity")
    case("session-empty-list", SESSION, "An empty session list is the same as no session policy.",
         req("s3:PutObject", OBJ, P_SESSION, identity=[idp], session=[]), "Allow", "identity")
    case("session-federated-with-policy", SESSION,
         "GetFederationToken session: the IAM user's policies and the session policy both allow.",
         req("s3:GetObject", OBJ, P_FED, identity=[idp], session=[doc(allow("s3:GetObject", "*"))]), "Allow", "identity")
    case("session-federated-no-policy", SESSION,
         "GetFederationToken session without a session policy has no permissions (STS API reference and 'Permissions for GetFederationToken'; the flowchart denies a non-role session with no session policy).",
         req("s3:GetObject", OBJ, P_FED, identity=[idp]), "ImplicitDeny", "session")
    case("session-resource-role-grant", SESSION,
         "Doc: a resource policy naming the role ARN is limited by the session policy.",
         req("s3:GetObject", OBJ, P_SESSION, session=[doc(allow("s3:PutObject", "*"))],
             resource_policy=doc(allow("s3:GetObject", BUCKET + "/*", Principal={"AWS": ROLE}))),
         "ImplicitDeny", "session")
    case("session-resource-session-grant", SESSION,
         "Doc: a resource policy naming the session ARN is not limited by the session policy.",
         req("s3:GetObject", OBJ, P_SESSION, session=[doc(allow("s3:PutObject", "*"))],
             resource_policy=doc(allow("s3:GetObject", BUCKET + "/*", Principal={"AWS": SESSION_ARN}))),
         "Allow", "resource")
    case("session-condition", SESSION, "Session policies can carry conditions like any other policy.",
         req("s3:GetObject", OBJ, P_SESSION, identity=[idp],
             session=[doc(allow("s3:GetObject", "*", Condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}))],
             context={"aws:RequestedRegion": "us-east-1"}),
         "ImplicitDeny", "session")
    case("session-with-boundary-all-allow", SESSION, "Identity, boundary and session policy all allow: allowed.",
         req("s3:GetObject", OBJ, P_SESSION, identity=[idp], boundary=doc(allow("s3:*", "*")),
             session=[doc(allow("s3:GetObject", "*"))]), "Allow", "identity")


# ==============================================================================
# SCPs and RCPs
# ==============================================================================
def scps() -> None:
    idp = doc(allow("*", "*"))
    three_full = [[full_access()], [full_access()], [full_access()]]
    case("scp-full-access-all-levels", SCP, "FullAWSAccess at root, OU and account plus an identity allow.",
         req("s3:GetObject", OBJ, identity=[idp], scp=three_full), "Allow", "identity")
    case("scp-does-not-grant", SCP, "SCPs grant nothing: FullAWSAccess everywhere but no identity allow.",
         req("s3:GetObject", OBJ, scp=three_full), "ImplicitDeny", "identity")
    case("scp-deny-list-strategy", SCP, "FullAWSAccess plus a deny-only SCP at the OU: the denied action is explicitly denied.",
         req("ec2:TerminateInstances", "*", identity=[idp],
             scp=[[full_access()], [full_access(), doc(deny("ec2:TerminateInstances", "*"))], [full_access()]]),
         "ExplicitDeny", "scp", 1)
    case("scp-deny-list-other-action", SCP, "The deny-only SCP leaves other actions allowed.",
         req("ec2:StartInstances", "*", identity=[idp],
             scp=[[full_access()], [full_access(), doc(deny("ec2:TerminateInstances", "*"))], [full_access()]]),
         "Allow", "identity")
    case("scp-deny-only-no-allow", SCP,
         "A level holding only a deny SCP (FullAWSAccess detached) allows nothing: implicit deny at that level.",
         req("ec2:StartInstances", "*", identity=[idp],
             scp=[[full_access()], [doc(deny("ec2:TerminateInstances", "*"))], [full_access()]]),
         "ImplicitDeny", "scp", 1)
    case("scp-allow-list-level2", SCP, "An allow-list SCP at the account level allows only S3: EC2 is implicitly denied at level 2.",
         req("ec2:RunInstances", "*", identity=[idp],
             scp=[[full_access()], [full_access()], [doc(allow("s3:*", "*"))]]), "ImplicitDeny", "scp", 2)
    case("scp-allow-list-level2-inside", SCP, "The allow-list SCP allows S3 at every level.",
         req("s3:GetObject", OBJ, identity=[idp],
             scp=[[full_access()], [full_access()], [doc(allow("s3:*", "*"))]]), "Allow", "identity")
    case("scp-every-level-must-allow", SCP,
         "An allow at the account level does not make up for an OU level that does not allow the action.",
         req("dynamodb:GetItem", f"arn:aws:dynamodb:us-east-1:{A}:table/t", identity=[idp],
             scp=[[full_access()], [doc(allow("s3:*", "*"))], [full_access()]]), "ImplicitDeny", "scp", 1)
    case("scp-empty-level", SCP, "A level with no documents has no allow: implicit deny at that level.",
         req("s3:GetObject", OBJ, identity=[idp], scp=[[full_access()], []]), "ImplicitDeny", "scp", 1)
    case("scp-first-failing-level", SCP,
         "Levels 0 and 2 both lack an allow: the root level is reported. Ambiguous: AWS does not say which level its message names; root-first order is taken.",
         req("ec2:RunInstances", "*", identity=[idp],
             scp=[[doc(allow("s3:*", "*"))], [full_access()], [doc(allow("s3:*", "*"))]]), "ImplicitDeny", "scp", 0)
    case("scp-union-within-level", SCP, "Within one level any document's allow is enough.",
         req("ec2:RunInstances", "*", identity=[idp],
             scp=[[full_access()], [doc(allow("s3:*", "*")), doc(allow("ec2:*", "*"))]]), "Allow", "identity")
    case("scp-region-deny", SCP, "A region-restriction SCP denies requests outside the approved regions.",
         req("ec2:RunInstances", "*", identity=[idp],
             scp=[[full_access(), doc(deny(NotAction=["iam:*", "sts:*", "organizations:*"], resource="*",
                                           Condition={"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}}))]],
             context={"aws:RequestedRegion": "us-east-1"}), "ExplicitDeny", "scp", 0)
    case("scp-region-allowed", SCP, "The same region SCP lets eu-west-1 requests through.",
         req("ec2:RunInstances", "*", identity=[idp],
             scp=[[full_access(), doc(deny(NotAction=["iam:*", "sts:*", "organizations:*"], resource="*",
                                           Condition={"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}}))]],
             context={"aws:RequestedRegion": "eu-west-1"}), "Allow", "identity")
    case("scp-root-user-deny", SCP, "SCPs apply to the member account's root user: an SCP deny blocks it.",
         req("s3:DeleteBucket", BUCKET, P_ROOT_A, scp=[[full_access(), doc(deny("s3:DeleteBucket", "*"))]]),
         "ExplicitDeny", "scp", 0)
    case("scp-root-user-no-allow", SCP, "The root user's full access is capped by SCPs: no SCP allow, implicit deny.",
         req("ec2:RunInstances", "*", P_ROOT_A, scp=[[doc(allow("s3:*", "*"))]]), "ImplicitDeny", "scp", 0)
    case("scp-root-user-allowed", SCP, "Root user with FullAWSAccess SCPs keeps full access.",
         req("ec2:RunInstances", "*", P_ROOT_A, scp=[[full_access()], [full_access()]]), "Allow")
    case("scp-before-identity", SCP, "SCP and identity both lack an allow: the SCP gate comes first.",
         req("ec2:RunInstances", "*", identity=[doc(allow("s3:*", "*"))], scp=[[doc(allow("s3:*", "*"))]]),
         "ImplicitDeny", "scp", 0)
    case("scp-before-boundary", SCP, "SCP and boundary both lack an allow: the SCP gate comes first.",
         req("ec2:RunInstances", "*", identity=[idp], boundary=doc(allow("s3:*", "*")), scp=[[doc(allow("s3:*", "*"))]]),
         "ImplicitDeny", "scp", 0)
    case("scp-role-session", SCP, "SCPs limit role sessions in the account too.",
         req("ec2:RunInstances", "*", P_SESSION, identity=[idp], scp=[[full_access()], [doc(allow("s3:*", "*"))]]),
         "ImplicitDeny", "scp", 1)
    case("scp-condition-allow", SCP, "An SCP allow can carry a condition: here the principal tag does not satisfy it.",
         req("s3:GetObject", OBJ, identity=[idp],
             scp=[[doc(allow("*", "*", Condition={"StringEquals": {"aws:PrincipalTag/tier": "prod"}}))]],
             context={"aws:PrincipalTag/tier": "dev"}), "ImplicitDeny", "scp", 0)


def rcps() -> None:
    idp = doc(allow("*", "*"))
    case("rcp-full-access", RCP, "RCPFullAWSAccess at every level plus an identity allow.",
         req("s3:GetObject", OBJ, identity=[idp], rcp=[[rcp_full_access()], [rcp_full_access()]]), "Allow", "identity")
    case("rcp-does-not-grant", RCP, "RCPs grant nothing: RCPFullAWSAccess but no identity or resource allow.",
         req("s3:GetObject", OBJ, rcp=[[rcp_full_access()]]), "ImplicitDeny", "identity")
    perimeter = doc(deny("s3:*", "*", Principal="*", Sid="EnforceOrgIdentities",
                         Condition={"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG},
                                    "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}))
    bucket_all = doc(allow("s3:GetObject", BUCKET + "/*", Principal="*"))
    case("rcp-perimeter-external", RCP,
         "Data perimeter RCP: a caller from outside the organization is explicitly denied even though the bucket policy allows everyone.",
         req("s3:GetObject", OBJ, P_BOB, identity=[doc(allow("s3:GetObject", "*"))], resource_policy=bucket_all,
             resource_account=A, rcp=[[rcp_full_access(), perimeter]],
             context={"aws:PrincipalOrgID": "o-zzzzzzzzzz", "aws:PrincipalIsAWSService": "false"}),
         "ExplicitDeny", "rcp", 0)
    case("rcp-perimeter-internal", RCP, "Data perimeter RCP: a caller from the same organization passes.",
         req("s3:GetObject", OBJ, P_BOB, identity=[doc(allow("s3:GetObject", "*"))], resource_policy=bucket_all,
             resource_account=A, rcp=[[rcp_full_access(), perimeter]],
             context={"aws:PrincipalOrgID": ORG, "aws:PrincipalIsAWSService": "false"}),
         "Allow")
    case("rcp-deny-same-account", RCP, "An RCP deny applies to requests from inside the resource's own account too.",
         req("s3:DeleteObject", OBJ, identity=[idp],
             rcp=[[rcp_full_access()], [rcp_full_access(), doc(deny("s3:DeleteObject", "*", Principal="*"))]]),
         "ExplicitDeny", "rcp", 1)
    case("rcp-level-no-allow", RCP, "A level without an RCP allow blocks the request: implicit deny at that level.",
         req("s3:GetObject", OBJ, identity=[idp],
             rcp=[[rcp_full_access()], [doc(deny("s3:DeleteObject", "*", Principal="*"))]]),
         "ImplicitDeny", "rcp", 1)
    case("rcp-before-scp", RCP, "RCP and SCP both lack an allow: the RCP gate comes before the SCP gate in the flowchart.",
         req("s3:GetObject", OBJ, identity=[idp], rcp=[[]], scp=[[doc(allow("ec2:*", "*"))]]),
         "ImplicitDeny", "rcp", 0)
    case("rcp-scp-deny-vs-rcp-implicit", RCP,
         "An explicit deny anywhere (here an SCP) is reported before any implicit deny (here an RCP).",
         req("s3:GetObject", OBJ, identity=[idp], rcp=[[]], scp=[[full_access(), doc(deny("s3:*", "*"))]]),
         "ExplicitDeny", "scp", 0)
    case("rcp-limits-resource-grant", RCP, "RCPs cap resource-based policies: a bucket grant to the user cannot pass an RCP deny.",
         req("s3:GetObject", OBJ, resource_policy=doc(allow("s3:GetObject", BUCKET + "/*", Principal={"AWS": ALICE})),
             rcp=[[rcp_full_access(), doc(deny("s3:GetObject", BUCKET + "/*", Principal="*"))]]),
         "ExplicitDeny", "rcp", 0)
    case("rcp-deny-condition-false", RCP, "An RCP deny whose condition is false does not apply.",
         req("s3:GetObject", OBJ, identity=[idp],
             rcp=[[rcp_full_access(), doc(deny("s3:*", "*", Principal="*",
                                               Condition={"Bool": {"aws:SecureTransport": "false"}}))]],
             context={"aws:SecureTransport": "true"}),
         "Allow", "identity")
    case("rcp-deny-condition-true", RCP, "An RCP requiring TLS denies a plain-HTTP request.",
         req("s3:GetObject", OBJ, identity=[idp],
             rcp=[[rcp_full_access(), doc(deny("s3:*", "*", Principal="*",
                                               Condition={"Bool": {"aws:SecureTransport": "false"}}))]],
             context={"aws:SecureTransport": "false"}),
         "ExplicitDeny", "rcp", 0)


# ==============================================================================
# Global condition keys
# ==============================================================================
def global_keys() -> None:
    cond("global-principal-account-default", GLOBAL,
         "aws:PrincipalAccount defaults from the principal when the context does not give it.",
         {"StringEquals": {"aws:PrincipalAccount": A}}, {}, True)
    cond("global-principal-arn-default", GLOBAL, "aws:PrincipalArn defaults from the principal ARN for an IAM user.",
         {"ArnEquals": {"aws:PrincipalArn": ALICE}}, {}, True)
    cond("global-principal-arn-role", GLOBAL, "For a role session aws:PrincipalArn is the role ARN, path included.",
         {"ArnEquals": {"aws:PrincipalArn": ROLE}}, {}, True, principal=P_SESSION)
    cond("global-principal-arn-not-session", GLOBAL, "For a role session aws:PrincipalArn is not the assumed-role session ARN.",
         {"ArnEquals": {"aws:PrincipalArn": SESSION_ARN}}, {}, False, principal=P_SESSION)
    cond("global-principal-arn-like-role-path", GLOBAL, "ArnLike on aws:PrincipalArn with the role path wildcarded.",
         {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{A}:role/service/*"}}, {}, True, principal=P_SESSION)
    cond("global-requested-region", GLOBAL, "aws:RequestedRegion restricts by region.",
         {"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}}, {"aws:RequestedRegion": "eu-central-1"}, True)
    cond("global-principal-org-id", GLOBAL, "aws:PrincipalOrgID equals the organization id.",
         {"StringEquals": {"aws:PrincipalOrgID": ORG}}, {"aws:PrincipalOrgID": ORG}, True)
    cond("global-principal-org-id-missing", GLOBAL, "aws:PrincipalOrgID is absent for a principal outside any organization.",
         {"StringEquals": {"aws:PrincipalOrgID": ORG}}, {}, False)
    cond("global-principal-type", GLOBAL, "aws:PrincipalType distinguishes role sessions (AssumedRole).",
         {"StringEquals": {"aws:PrincipalType": "AssumedRole"}}, {"aws:PrincipalType": "AssumedRole"}, True,
         principal=P_SESSION)
    cond("global-via-aws-service", GLOBAL, "aws:ViaAWSService is a Bool key.",
         {"Bool": {"aws:ViaAWSService": "true"}}, {"aws:ViaAWSService": "false"}, False)
    cond("global-resource-tag", GLOBAL, "aws:ResourceTag/<key> compares the resource's tag.",
         {"StringEquals": {"aws:ResourceTag/env": "dev"}}, {"aws:ResourceTag/env": "dev"}, True,
         action="ec2:StopInstances", resource=f"arn:aws:ec2:us-east-1:{A}:instance/i-0123456789abcdef0")
    cond("global-request-tag-deny", GLOBAL, "Deny creating resources tagged env=prod via aws:RequestTag.",
         {"StringEquals": {"aws:RequestTag/env": "prod"}}, {"aws:RequestTag/env": "prod"}, True, effect="Deny",
         action="ec2:CreateTags", resource="*")
    cond("global-source-vpce", GLOBAL, "aws:SourceVpce restricts to a VPC endpoint; a request from another endpoint does not match.",
         {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}, {"aws:SourceVpce": "vpce-9f8e7d6c"}, False)
    cond("global-current-time-window", GLOBAL, "aws:CurrentTime within a window: two date operators ANDed.",
         {"DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"},
          "DateLessThan": {"aws:CurrentTime": "2026-12-31T23:59:59Z"}},
         {"aws:CurrentTime": "2026-07-04T12:00:00Z"}, True)
    cond("global-principal-account-other", GLOBAL, "alice's aws:PrincipalAccount is 111122223333, so a condition naming another account does not match.",
         {"StringEquals": {"aws:PrincipalAccount": B}}, {}, False)


# ==============================================================================
# Malformed documents
# ==============================================================================
def malformed() -> None:
    error_case("malformed-not-json", EVAL, "A document string that is not JSON is a malformed policy.",
               req("s3:GetObject", OBJ, identity=['{"Version": "2012-10-17", "Statement": [']))
    error_case("malformed-missing-effect", EVAL, "A statement without Effect is a malformed policy.",
               req("s3:GetObject", OBJ, identity=[{"Version": V12, "Statement": [{"Action": "s3:GetObject", "Resource": "*"}]}]))
    error_case("malformed-bad-effect", EVAL, "Effect must be Allow or Deny.",
               req("s3:GetObject", OBJ, identity=[doc(stmt("Permit", "s3:GetObject", "*"))]))
    error_case("malformed-action-and-notaction", NOTACTION, "A statement may not have both Action and NotAction.",
               req("s3:GetObject", OBJ, identity=[doc(allow("s3:GetObject", "*", NotAction="iam:*"))]))
    error_case("malformed-no-resource", RESOURCE, "An identity policy statement must have Resource or NotResource.",
               req("s3:GetObject", OBJ, identity=[doc(allow("s3:GetObject", None))]))
    error_case("malformed-unknown-operator", OPS, "An unknown condition operator is a malformed policy.",
               req("s3:GetObject", OBJ, identity=[doc(allow("s3:GetObject", "*",
                                                            Condition={"StringEqualz": {"aws:PrincipalTag/team": "blue"}}))]))


def build() -> list[dict[str, Any]]:
    CASES.clear()
    for section in (evaluation_basics, actions, resources, string_ops, numeric_ops, date_ops,
                    bool_binary_ip_arn_null, ifexists_ops, multiple_keys_values, set_operators,
                    variables, versions, principals, same_account_resource_rules, cross_account,
                    boundaries, sessions, scps, rcps, global_keys, malformed):
        section()
    ids = [c["id"] for c in CASES]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise SystemExit(f"duplicate case ids: {sorted(duplicates)}")
    return list(CASES)


def main() -> None:
    cases = build()
    with OUT.open("w", encoding="utf-8") as fh:
        for c in cases:
            fh.write(json.dumps(c, ensure_ascii=False) + "\n")
    print(f"wrote {len(cases)} cases to {OUT.name}")


if __name__ == "__main__":
    main()
