"""Terraform's aws_organizations_* resources against a real `iamd serve`:
apply, a plan without drift, the objects checked with boto3, destroy, and
nothing left. The server is the test's own: its account becomes a
management account. Skips as test_terraform.py does without terraform or
the provider mirror.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from botocore.exceptions import ClientError
from test_terraform import Terraform, find_mirror, find_terraform, terraform_env

from iamd.testing import IamdServer

CONFIG = Path(__file__).parent / "terraform_organizations"


def test_organizations_apply_plan_destroy(tmp_path: Path) -> None:
    terraform, mirror = find_terraform(), find_mirror()
    with IamdServer.start(tmp_path / "iamd") as server:
        workdir = tmp_path / "config"
        shutil.copytree(CONFIG, workdir)
        tf = Terraform(terraform, workdir, terraform_env(server, tmp_path, mirror, "tforg"))
        tf.ok("init", "-input=false")
        tf.ok("apply", "-auto-approve", "-input=false")
        out = tf.outputs()
        plan = tf.run("plan", "-detailed-exitcode", "-input=false")
        assert plan.returncode == 0, f"drift after apply:\n{plan.stdout}\n{plan.stderr}"

        orgs = server.client("organizations")
        organization = orgs.describe_organization()["Organization"]
        assert organization["Id"] == out["organization_id"]
        root = orgs.list_roots()["Roots"][0]
        assert root["Id"] == out["root_id"]
        assert {t["Type"] for t in root["PolicyTypes"]} == {"SERVICE_CONTROL_POLICY",
                                                           "RESOURCE_CONTROL_POLICY"}
        assert orgs.list_parents(ChildId=out["account_id"])["Parents"][0]["Id"] == out["unit_id"]
        account = orgs.describe_account(AccountId=out["account_id"])["Account"]
        assert (account["Name"], account["Email"]) == ("tforg-dev", "tforg-dev@example.com")
        assert orgs.list_tags_for_resource(ResourceId=out["account_id"])["Tags"] == [
            {"Key": "stage", "Value": "dev"}]
        assert orgs.list_tags_for_resource(ResourceId=out["unit_id"])["Tags"] == [
            {"Key": "team", "Value": "platform"}]
        targets = orgs.list_targets_for_policy(PolicyId=out["policy_id"])["Targets"]
        assert [t["TargetId"] for t in targets] == [out["unit_id"]]

        tf.ok("destroy", "-auto-approve", "-input=false")
        try:
            orgs.describe_organization()
            raise AssertionError("the organization outlived terraform destroy")
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "AWSOrganizationsNotInUseException"
