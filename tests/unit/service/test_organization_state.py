"""The organization document: its JSON round trip, ARNs, and the levels of
policies above an account that enforcement reads."""

from __future__ import annotations

from iamd.service.organizations.state import (
    FULL_ACCESS,
    RCP,
    SCP,
    Member,
    Organization,
    OrgPolicy,
    Unit,
)

MANAGEMENT, MEMBER = "111111111111", "222222222222"


def organization() -> Organization:
    found = Organization(id="o-abcdefghij", management_account_id=MANAGEMENT, root_id="r-ab12",
                         policy_types=[SCP])
    found.units["ou-ab12-11111111"] = Unit("ou-ab12-11111111", "Prod", "r-ab12")
    found.units["ou-ab12-22222222"] = Unit("ou-ab12-22222222", "Web", "ou-ab12-11111111")
    found.members[MANAGEMENT] = Member(MANAGEMENT, "r-ab12", "CREATED", 0.0)
    found.members[MEMBER] = Member(MEMBER, "ou-ab12-22222222", "INVITED", 1.5)
    for policy_type in (SCP, RCP):
        found.policies[FULL_ACCESS[policy_type]] = OrgPolicy(
            FULL_ACCESS[policy_type], policy_type, "Full", "", "{}", aws_managed=True)
    found.policies["p-deny0001"] = OrgPolicy("p-deny0001", SCP, "Deny", "", '{"x": 1}')
    found.policies["p-rcp00001"] = OrgPolicy("p-rcp00001", RCP, "Guard", "", '{"y": 1}')
    for target in ("r-ab12", "ou-ab12-11111111", "ou-ab12-22222222", MEMBER):
        found.attachments[target] = [FULL_ACCESS[SCP]]
    found.attachments["ou-ab12-11111111"].append("p-deny0001")
    found.attachments[MEMBER].append("p-rcp00001")
    return found


def test_the_document_round_trips() -> None:
    found = organization()
    assert Organization.from_json(found.to_json()) == found


def test_the_levels_run_from_the_root_to_the_account() -> None:
    found = organization()
    assert found.path_to(MEMBER) == ["r-ab12", "ou-ab12-11111111", "ou-ab12-22222222", MEMBER]
    levels = [[p.id for p in level] for level in found.levels(MEMBER, SCP)]
    assert levels == [["p-FullAWSAccess"], ["p-FullAWSAccess", "p-deny0001"],
                      ["p-FullAWSAccess"], ["p-FullAWSAccess"]]
    # A type that is not enabled applies nowhere, whatever is attached.
    assert found.levels(MEMBER, RCP) == []
    assert found.levels("333333333333", SCP) == []


def test_arns_have_aws_shapes() -> None:
    found = organization()
    prefix = f"arn:aws:organizations::{MANAGEMENT}"
    assert found.arn_of("r-ab12") == f"{prefix}:root/o-abcdefghij/r-ab12"
    assert found.arn_of("ou-ab12-22222222") == f"{prefix}:ou/o-abcdefghij/ou-ab12-22222222"
    assert found.arn_of(MEMBER) == f"{prefix}:account/o-abcdefghij/{MEMBER}"
    assert found.arn_of("p-deny0001") == (
        f"{prefix}:policy/o-abcdefghij/service_control_policy/p-deny0001")
    assert found.arn_of("p-FullAWSAccess") == (
        "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess")
    assert found.arn_of("ou-zzzz-zzzzzzzz") is None
