"""AWS Organizations end to end with boto3: the organization, its OUs and
accounts, SCPs and RCPs, and their enforcement on the requests of member
accounts.

Each backend gets a server of its own for this module: the organization it
builds makes the server's first account a management account, which no
other test expects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from conftest import database_for
from iamd.testing import IamdServer

NOT_IN_USE = "Your account is not a member of an organization."


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[IamdServer]:
    database = database_for(request.param)
    data_dir: Path = tmp_path_factory.mktemp(f"iamd-orgs-{request.param}")
    with IamdServer.start(data_dir, database=database) as started:
        yield started


def failure(call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as exc:
        call()
    error = exc.value.response["Error"]
    return str(error["Code"]), str(error["Message"])


def test_the_organization_tree(server: IamdServer) -> None:
    orgs = server.client("organizations")
    management = server.client("sts").get_caller_identity()["Account"]
    assert failure(orgs.describe_organization) == ("AWSOrganizationsNotInUseException", NOT_IN_USE)
    created = orgs.create_organization(FeatureSet="ALL")["Organization"]
    assert created["Id"].startswith("o-") and created["MasterAccountId"] == management
    assert created["Arn"] == f"arn:aws:organizations::{management}:organization/{created['Id']}"
    assert orgs.describe_organization()["Organization"]["Id"] == created["Id"]
    assert failure(orgs.create_organization)[0] == "AlreadyInOrganizationException"

    root = orgs.list_roots()["Roots"][0]
    assert root["Id"].startswith("r-") and root["Name"] == "Root" and root["PolicyTypes"] == []
    unit = orgs.create_organizational_unit(ParentId=root["Id"], Name="Workloads")["OrganizationalUnit"]
    assert unit["Id"].startswith(f"ou-{root['Id'][2:]}-")
    assert failure(lambda: orgs.create_organizational_unit(ParentId=root["Id"], Name="Workloads")
                   )[0] == "DuplicateOrganizationalUnitException"
    assert failure(lambda: orgs.create_organizational_unit(ParentId="r-zzzz", Name="X")
                   )[0] == "ParentNotFoundException"
    nested = orgs.create_organizational_unit(ParentId=unit["Id"], Name="Prod")["OrganizationalUnit"]
    orgs.update_organizational_unit(OrganizationalUnitId=nested["Id"], Name="Production")
    described = orgs.describe_organizational_unit(OrganizationalUnitId=nested["Id"])
    assert described["OrganizationalUnit"]["Name"] == "Production"
    listed = orgs.list_organizational_units_for_parent(ParentId=unit["Id"])["OrganizationalUnits"]
    assert [u["Id"] for u in listed] == [nested["Id"]]

    status = orgs.create_account(Email="dev@example.com", AccountName="dev")["CreateAccountStatus"]
    assert status["State"] == "SUCCEEDED"
    account_id = status["AccountId"]
    again = orgs.describe_create_account_status(CreateAccountRequestId=status["Id"])
    assert again["CreateAccountStatus"]["AccountId"] == account_id
    duplicate = orgs.create_account(Email="DEV@example.com", AccountName="dev2")["CreateAccountStatus"]
    assert (duplicate["State"], duplicate["FailureReason"]) == ("FAILED", "EMAIL_ALREADY_EXISTS")
    assert {a["Id"] for a in orgs.list_accounts()["Accounts"]} == {management, account_id}
    account = orgs.describe_account(AccountId=account_id)["Account"]
    assert (account["Name"], account["Email"], account["JoinedMethod"]) == ("dev", "dev@example.com",
                                                                          "CREATED")

    orgs.move_account(AccountId=account_id, SourceParentId=root["Id"],
                      DestinationParentId=nested["Id"])
    assert orgs.list_parents(ChildId=account_id)["Parents"] == [
        {"Id": nested["Id"], "Type": "ORGANIZATIONAL_UNIT"}]
    children = orgs.list_children(ParentId=nested["Id"], ChildType="ACCOUNT")["Children"]
    assert children == [{"Id": account_id, "Type": "ACCOUNT"}]
    in_parent = orgs.list_accounts_for_parent(ParentId=nested["Id"])["Accounts"]
    assert [a["Id"] for a in in_parent] == [account_id]
    assert failure(lambda: orgs.move_account(AccountId=account_id, SourceParentId=root["Id"],
                                             DestinationParentId=unit["Id"])
                   )[0] == "SourceParentNotFoundException"
    assert failure(lambda: orgs.delete_organizational_unit(OrganizationalUnitId=nested["Id"])
                   )[0] == "OrganizationalUnitNotEmptyException"
    assert failure(orgs.delete_organization)[0] == "OrganizationNotEmptyException"

    # The management account reaches the new account through the role AWS makes there.
    sts = server.client("sts")
    assumed = sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole",
                              RoleSessionName="admin")["Credentials"]
    member_sts = server.client("sts", assumed["AccessKeyId"], assumed["SecretAccessKey"],
                               assumed["SessionToken"])
    assert member_sts.get_caller_identity()["Account"] == account_id
    member_orgs = server.client("organizations", assumed["AccessKeyId"],
                                assumed["SecretAccessKey"], assumed["SessionToken"])
    assert member_orgs.describe_organization()["Organization"]["Id"] == created["Id"]
    assert failure(member_orgs.list_accounts) == (
        "AccessDeniedException", "You don't have permissions to access this resource.")

    orgs.remove_account_from_organization(AccountId=account_id)
    assert failure(member_orgs.describe_organization)[0] == "AWSOrganizationsNotInUseException"
    orgs.delete_organizational_unit(OrganizationalUnitId=nested["Id"])
    orgs.delete_organizational_unit(OrganizationalUnitId=unit["Id"])
    orgs.delete_organization()
    assert failure(orgs.describe_organization)[0] == "AWSOrganizationsNotInUseException"
