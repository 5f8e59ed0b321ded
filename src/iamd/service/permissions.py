"""The policies that apply to a caller, gathered from the store and compiled.

For an IAM user: its inline policies, the managed policies attached to it,
and the inline and attached policies of each of its groups; its permissions
boundary. For a role session: the role's inline and attached policies, its
boundary, and the session policies the credential carries. The root user has
none: it may do everything in its own account. In a member account of an
organization, the SCPs and RCPs attached at every level from the root down
to the account too (the management account and service-linked roles are
exempt, as AWS exempts them). Compiled sets are cached per principal and
authorization generation: an organization's change moves the generation
like any other write, so the next request on every node sees it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

from iamd.model.entities import Group, PrincipalKind
from iamd.policy import PolicyDocument, PolicyKind, PolicySet, parse_policy
from iamd.service.context import ASSUMED_ROLE, FEDERATED_USER, GENERATION_KEY, IAM_USER, Caller
from iamd.service.organizations.state import RCP, SCP, parsed_organization
from iamd.service.runtime import PermissionKey, Runtime
from iamd.store.interface import Transaction


def generation(tx: Transaction) -> str:
    return tx.settings.get(GENERATION_KEY) or "0"


def bump_generation(tx: Transaction) -> None:
    # Atomic: with a read-then-write, two concurrent writers on PostgreSQL
    # could both move the generation to the same value, and a node that read
    # it between their commits would cache permissions missing the second.
    tx.settings.increment(GENERATION_KEY)


@lru_cache(maxsize=4096)
def _parsed(document: str, kind: PolicyKind) -> PolicyDocument:
    # Stored documents were validated when written; AWS managed ones may be
    # larger than a customer policy may be, so size is not checked again here.
    # Parsed once per text: a PolicyDocument is immutable, and the same
    # documents come back after every write moves the generation on.
    return parse_policy(document, kind)


def managed_document(tx: Transaction, policy_arn: str, account_id: str) -> str | None:
    """The default version's text of a managed policy, None if there is none.

    `account_id` is the reader's account; any account's policy is readable by ARN."""
    return tx.policies.default_document(policy_arn)


@dataclass(frozen=True, slots=True)
class PrincipalPolicy:
    """One identity policy of a user, group or role, as authorization reads it.

    `policy_arn` is set for a managed policy (its default version's text is
    `document`) and None for an inline one, whose name is `name`.
    """

    name: str
    document: str
    policy_arn: str | None = None


def principal_policies(tx: Transaction, kind: PrincipalKind, principal_id: str,
                       account_id: str) -> list[PrincipalPolicy]:
    """The inline policies, then the attached managed ones, in the order
    authorization compiles them (the policy simulator names them one by one)."""
    policies = [PrincipalPolicy(p.name, p.document) for p in tx.inline_policies.all(kind, principal_id)]
    for attached in tx.attachments.all_for_principal(kind, principal_id):
        document = managed_document(tx, attached.arn, account_id)
        if document is not None:
            policies.append(PrincipalPolicy(attached.name, document, attached.arn))
    return policies


def _principal_documents(tx: Transaction, kind: PrincipalKind, principal_id: str,
                         account_id: str) -> list[tuple[str, str]]:
    return [(p.name, p.document) for p in principal_policies(tx, kind, principal_id, account_id)]


def policies_for(runtime: Runtime, tx: Transaction, caller: Caller,
                 current_generation: str | None = None) -> PolicySet:
    """The caller's compiled policy set, as of `tx`.

    The set is cached under the authorization generation, read before
    anything else it depends on; everything it depends on is then read in
    `tx`, never taken from the `Caller` (authentication read that in an
    earlier transaction: a boundary changed between the two would otherwise
    be cached as current). A session's policies travel in its credential and
    cannot change, so they key the cache themselves: two sessions of one
    principal with the same session policies share one set, and two with
    different ones (two console sessions, say) never do."""
    current_generation = current_generation or generation(tx)
    session_policies = caller.session.policies if caller.session is not None else ()
    principal_id = caller.role.id if caller.role is not None else (
        caller.user.id if caller.user is not None else caller.account_id)
    key: PermissionKey = (caller.kind, principal_id, session_policies, current_generation)
    cached = runtime.cached_permissions(key)
    if cached is not None:
        return cached
    identity: list[tuple[str, str]] = []
    boundary_arn = None
    if caller.kind in (IAM_USER, FEDERATED_USER) and caller.user is not None:
        user = tx.users.get(caller.user.id)
        if user is not None:
            identity += _principal_documents(tx, PrincipalKind.USER, user.id, caller.account_id)
            for group in _all_groups(tx, user.id):
                identity += _principal_documents(tx, PrincipalKind.GROUP, group, caller.account_id)
            boundary_arn = user.permissions_boundary_arn
    elif caller.kind == ASSUMED_ROLE and caller.role is not None:
        role = tx.roles.get(caller.role.id)
        if role is not None:
            identity += _principal_documents(tx, PrincipalKind.ROLE, role.id, caller.account_id)
            boundary_arn = role.permissions_boundary_arn
    boundary_document = managed_document(tx, boundary_arn, caller.account_id) if boundary_arn else None
    scp, rcp = organization_levels(tx, caller)
    # What the set is compiled from, exactly: the same documents read again
    # under a newer generation (any write anywhere moves it) reuse the set.
    content = (tuple(identity), boundary_document, session_policies, scp, rcp)
    compiled = runtime.compiled_sets.get(content)
    if compiled is None:
        boundary = (_parsed(boundary_document, PolicyKind.ROLE_INLINE)
                    if boundary_document else None)
        compiled = PolicySet.compile(
            identity=[(name, _parsed(doc, PolicyKind.ROLE_INLINE)) for name, doc in identity],
            permissions_boundary=boundary,
            session=[_parsed(d, PolicyKind.ROLE_INLINE) for d in session_policies],
            scp=[[(name, _parsed(doc, PolicyKind.SCP)) for name, doc in level] for level in scp],
            rcp=[[(name, _parsed(doc, PolicyKind.RCP)) for name, doc in level] for level in rcp])
        runtime.remember_compiled(content, compiled)
    runtime.remember_permissions(key, compiled)
    return compiled


Levels = tuple[tuple[tuple[str, str], ...], ...]

# Service-linked roles live under this path; no SCP or RCP limits them.
SERVICE_LINKED_PATH = "/aws-service-role/"


def organization_levels(tx: Transaction, caller: Caller) -> tuple[Levels, Levels]:
    """The SCPs and the RCPs that apply to the caller's account, a tuple of
    (policy id, document) per level from the root down to the account; none
    outside an organization, for its management account, or for a
    service-linked role. (An account's RCPs govern its own resources: iamd's
    calls act on the caller's account, and the resources of a cross-account
    call bring their own, see `resource_controls`.)"""
    if not caller.account_id or _service_linked(caller):
        return (), ()
    return account_levels(tx, caller.account_id)


def _service_linked(caller: Caller) -> bool:
    return caller.role is not None and caller.role.path.startswith(SERVICE_LINKED_PATH)


def account_levels(tx: Transaction, account_id: str) -> tuple[Levels, Levels]:
    """The SCP and RCP levels of an account (none for a management account or
    an account outside any organization); the principal's exemptions are
    the caller's to apply."""
    organization_id = tx.organizations.of_account(account_id)
    if organization_id is None:
        return (), ()
    stored = tx.organizations.get(organization_id)
    if stored is None or stored.management_account_id == account_id:
        return (), ()
    organization = parsed_organization(stored.document)

    def levels(policy_type: str) -> Levels:
        return tuple(tuple((p.id, p.content) for p in level)
                     for level in organization.levels(account_id, policy_type))
    return levels(SCP), levels(RCP)


def resource_controls(tx: Transaction, policies: PolicySet, resource_account: str,
                      caller: Caller) -> PolicySet:
    """`policies` (the caller's set) with the RCPs of `resource_account`, the
    account whose resource a cross-account request acts on, in place of the
    caller's own."""
    if resource_account == caller.account_id:
        return policies
    rcp = () if _service_linked(caller) else account_levels(tx, resource_account)[1]
    if not rcp and not policies.gates.rcp:
        return policies
    controls = _rcp_only(rcp)
    return PolicySet(replace(policies.gates, rcp=controls.gates.rcp),
                     policies.reads_resource_tags or controls.reads_resource_tags,
                     policies.reads_context or controls.reads_context)


@lru_cache(maxsize=256)
def _rcp_only(levels: Levels) -> PolicySet:
    return PolicySet.compile(rcp=[[(name, _parsed(doc, PolicyKind.RCP)) for name, doc in level]
                                  for level in levels])


def user_groups(tx: Transaction, user_id: str) -> list[Group]:
    """Every group of a user, in the order authorization reads their policies."""
    return list(tx.memberships.all_groups(user_id))


def _all_groups(tx: Transaction, user_id: str) -> list[str]:
    return [g.id for g in user_groups(tx, user_id)]
