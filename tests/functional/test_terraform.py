"""Terraform's AWS provider against a real `iamd serve`: init, apply, a plan
that finds no drift, the objects checked with boto3, destroy, and nothing left.

The provider is configured as for any AWS-compatible endpoint and validates
its credentials and finds the account through sts:GetCallerIdentity on iamd.
Nothing is downloaded: the provider comes from a filesystem mirror found at
test time (IAMD_TF_PLUGIN_MIRROR, else a few well-known places); without
terraform or the mirror the test skips and says why.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from iamd.testing import IamdServer

CONFIGS = Path(__file__).parent / "terraform"
PROVIDER = "registry.terraform.io/hashicorp/aws"
PROVIDER_VERSION = "5.100.0"  # the version main.tf pins
MIRROR_ENV = "IAMD_TF_PLUGIN_MIRROR"
TIMEOUT = 600


def mirror_candidates() -> list[Path]:
    home = Path.home()
    return [Path("/opt/tf-plugins"), home / ".terraform.d" / "plugins",
            home / ".local" / "share" / "terraform" / "plugins",
            Path("/usr/local/share/terraform/plugins"), Path("/usr/share/terraform/plugins")]


def holds_provider(mirror: Path) -> bool:
    """Either layout of a filesystem mirror: unpacked (VERSION/OS_ARCH/) or packed (zip)."""
    base = mirror / PROVIDER
    return (base / PROVIDER_VERSION).is_dir() or any(
        base.glob(f"terraform-provider-aws_{PROVIDER_VERSION}_*.zip"))


def find_mirror() -> Path:
    configured = os.environ.get(MIRROR_ENV)
    if configured:
        if not holds_provider(Path(configured)):
            pytest.skip(f"{MIRROR_ENV}={configured} holds no {PROVIDER} {PROVIDER_VERSION}")
        return Path(configured)
    for candidate in mirror_candidates():
        if holds_provider(candidate):
            return candidate
    pytest.skip(f"no filesystem mirror with {PROVIDER} {PROVIDER_VERSION}: set {MIRROR_ENV} "
                "to the folder that holds registry.terraform.io/")


def find_terraform() -> str:
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("terraform is not on the PATH")
    return terraform


class Terraform:
    """terraform in one working directory, isolated from the user's own configuration."""

    def __init__(self, binary: str, workdir: Path, env: dict[str, str]) -> None:
        self.binary, self.workdir, self.env = binary, workdir, env

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([self.binary, *args, "-no-color"],
                              cwd=self.workdir, env=self.env, capture_output=True, text=True,
                              timeout=TIMEOUT)

    def ok(self, *args: str) -> subprocess.CompletedProcess[str]:
        result = self.run(*args)
        assert result.returncode == 0, describe(args, result)
        return result

    def outputs(self) -> dict[str, Any]:
        raw = json.loads(self.ok("output", "-json").stdout)
        return {name: value["value"] for name, value in raw.items()}


def describe(args: tuple[str, ...], result: subprocess.CompletedProcess[str]) -> str:
    return (f"terraform {' '.join(args)} exited {result.returncode}\n"
            f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}")


def terraform_env(server: IamdServer, tmp_path: Path, mirror: Path, prefix: str) -> dict[str, str]:
    cli_config = tmp_path / "terraform.tfrc"
    cli_config.write_text(f"""provider_installation {{
  filesystem_mirror {{
    path    = {json.dumps(str(mirror))}
    include = ["{PROVIDER}"]
  }}
  direct {{
    exclude = ["{PROVIDER}"]
  }}
}}
""")
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("AWS_", "TF_")) or key == "AWS_CA_BUNDLE"}
    env.update({
        "TF_CLI_CONFIG_FILE": str(cli_config),
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",  # no call home for a version check
        "AWS_ACCESS_KEY_ID": server.access_key_id,
        "AWS_SECRET_ACCESS_KEY": server.secret_access_key,
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "TF_VAR_endpoint": server.endpoint,
        "TF_VAR_prefix": prefix,
    })
    return env


def instance_profiles_supported(iam: Any, unique: Any) -> bool:
    name = unique("probe")
    try:
        iam.create_instance_profile(InstanceProfileName=name)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "NotImplemented":
            return False
        raise
    iam.delete_instance_profile(InstanceProfileName=name)
    return True


def missing(call: Any, **kwargs: Any) -> bool:
    try:
        call(**kwargs)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "NoSuchEntity":
            return True
        raise
    return False


def test_apply_plan_without_drift_and_destroy(iamd_server: IamdServer, iam: Any, unique: Any,
                                              tmp_path: Path) -> None:
    terraform_binary, mirror = find_terraform(), find_mirror()
    with_instance_profile = instance_profiles_supported(iam, unique)
    prefix = unique("tf")
    workdir = tmp_path / "config"
    workdir.mkdir()
    shutil.copy(CONFIGS / "main.tf", workdir)
    if with_instance_profile:
        shutil.copy(CONFIGS / "instance_profile.tf", workdir)
    tf = Terraform(terraform_binary, workdir, terraform_env(iamd_server, tmp_path, mirror, prefix))

    tf.ok("init")
    tf.ok("apply", "-auto-approve")
    plan = tf.run("plan", "-detailed-exitcode")
    assert plan.returncode == 0, "drift after apply: " + describe(("plan",), plan)

    out = tf.outputs()
    identity = iamd_server.client("sts").get_caller_identity()
    assert out["account_id"] == identity["Account"]
    assert out["caller_arn"] == identity["Arn"]
    account, path = identity["Account"], f"/{prefix}/"
    user_name, group_name, role_name = f"{prefix}-developer", f"{prefix}-developers", f"{prefix}-deploy"

    user = iam.get_user(UserName=user_name)["User"]
    assert user["Arn"] == out["user_arn"] == f"arn:aws:iam::{account}:user{path}{user_name}"
    assert user["Path"] == path
    assert sorted(user["Tags"], key=lambda tag: tag["Key"]) == [
        {"Key": "cost-center", "Value": "1234"}, {"Key": "team", "Value": "platform"}]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=user_name)["Groups"]] == [group_name]
    assert iam.get_group(GroupName=group_name)["Group"]["Path"] == path

    policy = iam.get_policy(PolicyArn=out["policy_arn"])["Policy"]
    assert out["policy_arn"] == f"arn:aws:iam::{account}:policy{path}{prefix}-read-own-keys"
    assert policy["Description"] == "Lets a developer read their own user and access keys"
    assert policy["Tags"] == [{"Key": "owner", "Value": "security"}]
    document = iam.get_policy_version(PolicyArn=out["policy_arn"], VersionId=policy["DefaultVersionId"])
    statement = document["PolicyVersion"]["Document"]["Statement"][0]
    assert statement["Sid"] == "ReadOwnKeys"
    assert statement["Resource"] == f"arn:aws:iam::{account}:user/${{aws:username}}"
    assert [p["PolicyArn"] for p in iam.list_attached_group_policies(
        GroupName=group_name)["AttachedPolicies"]] == [out["policy_arn"]]

    inline = iam.get_user_policy(UserName=user_name, PolicyName="list-roles")["PolicyDocument"]
    assert inline["Statement"][0]["Action"] == ["iam:ListRoles"]
    keys = iam.list_access_keys(UserName=user_name)["AccessKeyMetadata"]
    assert [(k["AccessKeyId"], k["Status"]) for k in keys] == [(out["access_key_id"], "Active")]

    role = iam.get_role(RoleName=role_name)["Role"]
    assert role["Arn"] == out["role_arn"] == f"arn:aws:iam::{account}:role{path}{role_name}"
    assert role["MaxSessionDuration"] == 7200
    assert role["Description"] == "Assumed by the account's developers to deploy"
    assert role["Tags"] == [{"Key": "purpose", "Value": "deploy"}]
    assert role["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "Policy",
        "PermissionsBoundaryArn": f"arn:aws:iam::{account}:policy/{prefix}-boundary"}
    assert role["AssumeRolePolicyDocument"]["Statement"] == [{
        "Sid": "AccountMayAssume", "Effect": "Allow", "Action": "sts:AssumeRole",
        "Principal": {"AWS": f"arn:aws:iam::{account}:root"}}]
    assert iam.list_role_policies(RoleName=role_name)["PolicyNames"] == ["write-artifacts"]
    assert [p["PolicyArn"] for p in iam.list_attached_role_policies(
        RoleName=role_name)["AttachedPolicies"]] == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    if with_instance_profile:
        profile = iam.get_instance_profile(InstanceProfileName=role_name)["InstanceProfile"]
        assert profile["Arn"] == out["instance_profile_arn"]
        assert [r["RoleName"] for r in profile["Roles"]] == [role_name]

    destroy = tf.run("destroy", "-auto-approve")
    if (destroy.returncode != 0 and not with_instance_profile
            and "ListInstanceProfilesForRole" in destroy.stdout + destroy.stderr):
        # The provider removes a role from its instance profiles before deleting it
        # (ListInstanceProfilesForRole), which iamd answers NotImplemented until
        # instance profiles land: clean up by hand, check the rest, then skip.
        iam.delete_role(RoleName=role_name)
        iam.delete_policy(PolicyArn=f"arn:aws:iam::{account}:policy/{prefix}-boundary")
        role_destroy_blocked = True
    else:
        assert destroy.returncode == 0, describe(("destroy",), destroy)
        role_destroy_blocked = False

    assert missing(iam.get_user, UserName=user_name)
    assert missing(iam.get_group, GroupName=group_name)
    assert missing(iam.get_role, RoleName=role_name)
    assert missing(iam.get_policy, PolicyArn=out["policy_arn"])
    assert missing(iam.get_policy, PolicyArn=f"arn:aws:iam::{account}:policy/{prefix}-boundary")
    if with_instance_profile:
        assert missing(iam.get_instance_profile, InstanceProfileName=role_name)
    assert iam.list_users(PathPrefix=path)["Users"] == []
    if role_destroy_blocked:
        pytest.skip("terraform destroy of aws_iam_role calls iam:ListInstanceProfilesForRole, "
                    "which iamd answers NotImplemented (instance profiles not implemented yet); "
                    "the role was deleted with boto3 instead")
