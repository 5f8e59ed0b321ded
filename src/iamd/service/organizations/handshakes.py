"""Invitations of accounts that exist: InviteAccountToOrganization,
AcceptHandshake, DeclineHandshake, CancelHandshake, DescribeHandshake,
ListHandshakesForAccount and ListHandshakesForOrganization; and
EnableAllFeatures, the handshake that moves an organization from
consolidated billing to all features.

The management account invites an account by id or by its root user's
email address; the invited account accepts (it joins the root, JoinedMethod
INVITED) or declines; the management account may cancel. An invitation is
open for 15 days, as AWS keeps it. EnableAllFeatures asks every member to
approve (an APPROVE_ALL_FEATURES handshake each); once all have, the
management account accepts its ENABLE_ALL_FEATURES handshake and the
organization has all features. A member that declines cancels the request. The invited account is outside the
organization until it accepts, so its calls find the invitation among every
organization's (a store holds a handful).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from iamd.model.organizations_errors import (
    DuplicateHandshake,
    HandshakeAlreadyInState,
    HandshakeConstraintViolation,
    HandshakeNotFound,
    InvalidHandshakeTransition,
    InvalidInput,
)
from iamd.service.context import OperationContext
from iamd.service.organizations.accounts import join
from iamd.service.organizations.common import (
    check_tags,
    epoch,
    find_organization,
    managed_organization,
    moment,
    org_operation,
    page,
    save,
)
from iamd.service.organizations.state import Handshake, Organization, new_handshake_id
from iamd.service.registry import Params

OPEN_FOR = timedelta(days=15)


def _state(handshake: Handshake, now: float) -> str:
    return "EXPIRED" if handshake.state == "OPEN" and now > handshake.expires else handshake.state


def _shape(ctx: OperationContext, found: Organization, handshake: Handshake) -> dict[str, Any]:
    management = ctx.tx.accounts.get(found.management_account_id)
    organization_details = [
        {"Value": management.email if management is not None else "", "Type": "MASTER_EMAIL"},
        {"Value": management.name if management is not None else "", "Type": "MASTER_NAME"},
        {"Value": found.feature_set, "Type": "ORGANIZATION_FEATURE_SET"}]
    resources = [{"Value": found.id, "Type": "ORGANIZATION", "Resources": organization_details},
                 {"Value": handshake.target_account_id, "Type": "ACCOUNT"}]
    if handshake.notes:
        resources.append({"Value": handshake.notes, "Type": "NOTES"})
    if handshake.parent_id:
        resources.append({"Value": handshake.parent_id, "Type": "PARENT_HANDSHAKE"})
    return {
        "Id": handshake.id, "Arn": found.handshake_arn(handshake),
        "Parties": [{"Id": found.id.removeprefix("o-"), "Type": "ORGANIZATION"},
                    {"Id": handshake.target_account_id, "Type": "ACCOUNT"}],
        "State": _state(handshake, epoch(ctx.info.now)),
        "RequestedTimestamp": moment(handshake.requested),
        "ExpirationTimestamp": moment(handshake.expires),
        "Action": handshake.action, "Resources": resources,
    }


def _invited_account(ctx: OperationContext, target: dict[str, str]) -> str:
    kind, value = target["Type"], target["Id"]
    account = (ctx.tx.accounts.get(value) if kind == "ACCOUNT"
               else ctx.tx.accounts.get_by_email(value) if kind == "EMAIL" else None)
    if account is None:
        raise InvalidInput("You provided a value that does not match the required pattern.",
                           reason="INVALID_PARTY_TYPE_TARGET")
    return account.account_id


@org_operation("InviteAccountToOrganization")
def invite_account(ctx: OperationContext, params: Params) -> dict[str, Any]:
    found = managed_organization(ctx)
    account_id = _invited_account(ctx, params["Target"])
    if ctx.tx.organizations.of_account(account_id) is not None:
        raise HandshakeConstraintViolation(
            "The account is already a member of an organization.",
            reason="ALREADY_IN_AN_ORGANIZATION")
    now = epoch(ctx.info.now)
    if any(h.target_account_id == account_id and _state(h, now) == "OPEN"
           for h in found.handshakes.values()):
        raise DuplicateHandshake()
    check_tags(params.get("Tags") or [])
    handshake = Handshake(new_handshake_id(), "INVITE", account_id, "OPEN", now,
                          now + OPEN_FOR.total_seconds(), params.get("Notes"))
    found.handshakes[handshake.id] = handshake
    save(ctx, found)
    return {"Handshake": _shape(ctx, found, handshake)}


def _find(ctx: OperationContext, handshake_id: str) -> tuple[Organization, Handshake]:
    """The handshake, seen by its organization's management account or by
    the account it invites."""
    own = find_organization(ctx)
    if own is not None and own.management_account_id == ctx.account_id \
            and handshake_id in own.handshakes:
        return own, own.handshakes[handshake_id]
    for stored in ctx.tx.organizations.all():
        if f'"{handshake_id}"' not in stored.document:
            continue
        found = Organization.from_json(stored.document)
        handshake = found.handshakes.get(handshake_id)
        if handshake is not None and handshake.target_account_id == ctx.account_id:
            return found, handshake
    raise HandshakeNotFound()


def _move(ctx: OperationContext, params: Params, to: str, *, invitee: bool) -> dict[str, Any]:
    found, handshake = _find(ctx, params["HandshakeId"])
    # The account a handshake is sent to accepts or declines it; the
    # management account that sent it cancels it.
    answering = (handshake.target_account_id if invitee else found.management_account_id)
    if answering != ctx.account_id:
        raise HandshakeNotFound()
    if invitee:
        # Found outside the invitee's own organization, so not yet locked:
        # the organization's row is read again, locked, before anything is checked.
        stored = ctx.tx.organizations.get(found.id, for_update=True)
        if stored is None:
            raise HandshakeNotFound()
        found = Organization.from_json(stored.document)
        handshake = found.handshakes[handshake.id]
    state = _state(handshake, epoch(ctx.info.now))
    if state == to:
        raise HandshakeAlreadyInState()
    if state != "OPEN":
        raise InvalidHandshakeTransition()
    if to == "ACCEPTED" and handshake.action == "INVITE":
        if ctx.tx.organizations.of_account(ctx.account_id) is not None:
            raise HandshakeConstraintViolation(
                "The account is already a member of an organization.",
                reason="ALREADY_IN_AN_ORGANIZATION")
        join(ctx, found, ctx.account_id, "INVITED")
    if to == "ACCEPTED" and handshake.action == "ENABLE_ALL_FEATURES":
        if any(child.parent_id == handshake.id and child.state != "ACCEPTED"
               for child in found.handshakes.values()):
            raise InvalidHandshakeTransition(
                "Every member account must approve all features before the request is accepted.")
        found.feature_set = "ALL"
    if to == "DECLINED" and handshake.parent_id is not None:
        found.handshakes[handshake.parent_id].state = "CANCELED"
    handshake.state = to
    ctx.tx.organizations.save(found.id, found.to_json())
    return {"Handshake": _shape(ctx, found, handshake)}


@org_operation("AcceptHandshake")
def accept_handshake(ctx: OperationContext, params: Params) -> dict[str, Any]:
    return _move(ctx, params, "ACCEPTED", invitee=True)


@org_operation("DeclineHandshake")
def decline_handshake(ctx: OperationContext, params: Params) -> dict[str, Any]:
    return _move(ctx, params, "DECLINED", invitee=True)


@org_operation("CancelHandshake")
def cancel_handshake(ctx: OperationContext, params: Params) -> dict[str, Any]:
    return _move(ctx, params, "CANCELED", invitee=False)


@org_operation("DescribeHandshake", read_only=True)
def describe_handshake(ctx: OperationContext, params: Params) -> dict[str, Any]:
    found, handshake = _find(ctx, params["HandshakeId"])
    return {"Handshake": _shape(ctx, found, handshake)}


def _filtered(params: Params, handshakes: list[Handshake]) -> list[Handshake]:
    wanted = params.get("Filter") or {}
    action, parent = wanted.get("ActionType"), wanted.get("ParentHandshakeId")
    return [h for h in handshakes if (action is None or h.action == action)
            and (parent is None or h.parent_id == parent)]


@org_operation("EnableAllFeatures")
def enable_all_features(ctx: OperationContext, params: Params) -> dict[str, Any]:
    found = managed_organization(ctx)
    if found.feature_set == "ALL":
        raise HandshakeConstraintViolation("The organization already has all features enabled.",
                                           reason="ORGANIZATION_ALREADY_HAS_ALL_FEATURES")
    now = epoch(ctx.info.now)
    if any(h.action == "ENABLE_ALL_FEATURES" and _state(h, now) == "OPEN"
           for h in found.handshakes.values()):
        raise HandshakeConstraintViolation(
            "The organization is already waiting for its members to approve all features.",
            reason="ORGANIZATION_IS_ALREADY_PENDING_ALL_FEATURES_MIGRATION")
    expires = now + OPEN_FOR.total_seconds()
    parent = Handshake(new_handshake_id(), "ENABLE_ALL_FEATURES", found.management_account_id,
                       "OPEN", now, expires)
    found.handshakes[parent.id] = parent
    for account_id in found.members:
        if account_id != found.management_account_id:
            child = Handshake(new_handshake_id(), "APPROVE_ALL_FEATURES", account_id, "OPEN",
                              now, expires, parent_id=parent.id)
            found.handshakes[child.id] = child
    save(ctx, found)
    return {"Handshake": _shape(ctx, found, parent)}


@org_operation("ListHandshakesForAccount", read_only=True)
def list_handshakes_for_account(ctx: OperationContext, params: Params) -> dict[str, Any]:
    shapes = []
    for stored in ctx.tx.organizations.all():
        if f'"{ctx.account_id}"' not in stored.document:
            continue
        found = Organization.from_json(stored.document)
        mine = [h for h in found.handshakes.values() if h.target_account_id == ctx.account_id]
        shapes += [_shape(ctx, found, h) for h in _filtered(params, mine)]
    return page(shapes, params, "Handshakes")


@org_operation("ListHandshakesForOrganization", read_only=True)
def list_handshakes_for_organization(ctx: OperationContext, params: Params) -> dict[str, Any]:
    found = managed_organization(ctx)
    handshakes = _filtered(params, list(found.handshakes.values()))
    return page([_shape(ctx, found, h) for h in handshakes], params, "Handshakes")
