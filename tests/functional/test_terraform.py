"""Terraform's AWS provider against a real `iamd serve`: init, apply, a plan
that finds no drift, the objects checked with boto3, destroy, and nothing left.

The provider is configured as for any AWS-compatible endpoint and validates
its credentials and finds the account through sts:GetCallerIdentity on iamd.
Nothing is downloaded: the provider comes from a filesystem mirror found at
test time (IAMD_TF_PLUGIN_MIRROR, else a few well-known places); without
terraform or the mirror the test skips and says why.

One configuration covers the common IAM resources and data sources: main.tf
(users, groups, policies, roles and their attachments), instance_profile.tf,
account_and_credentials.tf (federation providers, account settings, a
service-linked role, every kind of user credential, server certificates) and
federated_roles_and_lookups.tf (federated roles, the *_exclusive resources,
the data sources). Keys, certificates and SAML metadata are made here at test
time. The time goes mostly to starting the provider (seconds each, several
times a command), not to iamd, so one apply/plan/destroy of everything is far
cheaper than one per file.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

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


def self_signed(common_name: str) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=365))
            .sign(key, hashes.SHA256()))
    return cert, key


def saml_metadata(entity_id: str, cert: x509.Certificate) -> str:
    der = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
    xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{entity_id}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>{der}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
        Location="{entity_id}/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
"""


def credential_material(prefix: str) -> dict[str, str]:
    """The keys, certificates and IdP metadata account_and_credentials.tf takes as variables."""
    def pem(cert: x509.Certificate) -> str:
        return cert.public_bytes(serialization.Encoding.PEM).decode()

    signing, _ = self_signed(f"{prefix}-contractor")
    server, server_key = self_signed(f"{prefix}.example.com")
    idp, _ = self_signed(f"{prefix}-idp.example.com")
    ssh_key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    return {
        "ssh_public_key": ssh_key.public_bytes(serialization.Encoding.OpenSSH,
                                               serialization.PublicFormat.OpenSSH).decode(),
        "signing_certificate": pem(signing),
        "server_certificate": pem(server),
        "server_private_key": server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption()).decode(),
        "saml_metadata": saml_metadata(f"https://{prefix}-idp.example.com/saml", idp),
    }


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


@pytest.fixture
def account_settings(iam: Any) -> Iterator[None]:
    """The account's alias, password policy and STS token version belong to the session's whole server:
    whatever they were before the test, they are again after it."""
    aliases = iam.list_account_aliases()["AccountAliases"]
    try:
        password_policy = iam.get_account_password_policy()["PasswordPolicy"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "NoSuchEntity":
            raise
        password_policy = None
    token_version = iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"]
    yield
    iam.set_security_token_service_preferences(GlobalEndpointTokenVersion=f"v{token_version}Token")
    current = iam.list_account_aliases()["AccountAliases"]
    if current != aliases:
        for alias in current:
            iam.delete_account_alias(AccountAlias=alias)
        for alias in aliases:
            iam.create_account_alias(AccountAlias=alias)
    if password_policy is None:
        if not missing(iam.get_account_password_policy):
            iam.delete_account_password_policy()
    else:
        iam.update_account_password_policy(**{
            key: value for key, value in password_policy.items()
            if key not in ("ExpirePasswords",)})


def check_account_and_credentials(iam: Any, out: dict[str, Any], account: str, prefix: str,
                                  material: dict[str, str]) -> None:
    """What account_and_credentials.tf made, as boto3 reads it back."""
    path, contractor = f"/{prefix}/", f"{prefix}-contractor"
    assert iam.list_account_aliases()["AccountAliases"] == [prefix]
    password_policy = iam.get_account_password_policy()["PasswordPolicy"]
    assert password_policy | {"HardExpiry": password_policy.get("HardExpiry", False)} == {
        "MinimumPasswordLength": 14, "RequireSymbols": True, "RequireNumbers": True,
        "RequireUppercaseCharacters": True, "RequireLowercaseCharacters": True,
        "AllowUsersToChangePassword": True, "MaxPasswordAge": 90, "PasswordReusePrevention": 5,
        "ExpirePasswords": True, "HardExpiry": False}  # iamd leaves HardExpiry out when false

    oidc = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=out["oidc_provider_arn"])
    assert out["oidc_provider_arn"] == f"arn:aws:iam::{account}:oidc-provider/{prefix}.oidc.example.com"
    assert oidc["Url"] == f"{prefix}.oidc.example.com"
    assert sorted(oidc["ClientIDList"]) == sorted(["sts.amazonaws.com", f"{prefix}-client"])
    assert sorted(oidc["ThumbprintList"]) == ["9e99a48a9960b14926bb7f3b02e22da2b0ab7280",
                                              "a031c46782e6e6c662c2c87c76da9aa62ccabd8e"]
    assert oidc["Tags"] == [{"Key": "issuer", "Value": "ci"}]
    saml = iam.get_saml_provider(SAMLProviderArn=out["saml_provider_arn"])
    assert out["saml_provider_arn"] == f"arn:aws:iam::{account}:saml-provider/{prefix}-corporate"
    assert saml["SAMLMetadataDocument"] == material["saml_metadata"]
    assert saml["Tags"] == [{"Key": "idp", "Value": "corporate"}]

    linked = iam.get_role(RoleName=out["service_linked_role_name"])["Role"]
    assert linked["RoleName"] == f"AWSServiceRoleForAutoScaling_{prefix}"
    assert linked["Path"] == "/aws-service-role/autoscaling.amazonaws.com/"
    assert linked["Description"] == f"Lets Auto Scaling act for the {prefix} groups"
    assert linked["Tags"] == [{"Key": "service", "Value": "autoscaling"}]

    user = iam.get_user(UserName=contractor)["User"]
    assert user["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "Policy",
        "PermissionsBoundaryArn": f"arn:aws:iam::{account}:policy{path}{prefix}-contractor-boundary"}
    assert iam.get_login_profile(UserName=contractor)["LoginProfile"]["PasswordResetRequired"] is True
    password = out["contractor_password"]
    assert len(password) == 20 and not password.isalnum()  # the provider's default generator
    assert [(k["SSHPublicKeyId"], k["Status"]) for k in iam.list_ssh_public_keys(
        UserName=contractor)["SSHPublicKeys"]] == [(out["ssh_key_id"], "Active")]
    ssh_key = iam.get_ssh_public_key(UserName=contractor, SSHPublicKeyId=out["ssh_key_id"],
                                     Encoding="SSH")["SSHPublicKey"]
    assert ssh_key["SSHPublicKeyBody"].split()[:2] == material["ssh_public_key"].split()[:2]
    certificates = iam.list_signing_certificates(UserName=contractor)["Certificates"]
    assert [(c["CertificateId"], c["Status"]) for c in certificates] == [
        (out["signing_certificate_id"], "Active")]
    assert certificates[0]["CertificateBody"].strip() == material["signing_certificate"].strip()
    credentials = iam.list_service_specific_credentials(UserName=contractor)["ServiceSpecificCredentials"]
    assert [(c["ServiceSpecificCredentialId"], c["ServiceName"], c["Status"]) for c in credentials] == [
        (out["service_credential_id"], "codecommit.amazonaws.com", "Active")]
    assert out["mfa_device_arn"] == f"arn:aws:iam::{account}:mfa{path}{prefix}-contractor"
    assert out["mfa_device_arn"] in virtual_mfa_devices(iam, "Unassigned")
    assert sorted(p["PolicyArn"] for p in iam.list_attached_user_policies(
        UserName=contractor)["AttachedPolicies"]) == sorted(
        ["arn:aws:iam::aws:policy/IAMUserChangePassword", out["audit_policy_arn"]])

    server = iam.get_server_certificate(ServerCertificateName=f"{prefix}-web")["ServerCertificate"]
    assert server["ServerCertificateMetadata"]["Arn"] == out["server_certificate_arn"]
    assert server["ServerCertificateMetadata"]["Path"] == f"/cloudfront/{prefix}/"
    assert server["CertificateBody"].strip() == material["server_certificate"].strip()
    assert server["Tags"] == [{"Key": "site", "Value": "web"}]

    auditors = iam.get_group(GroupName=f"{prefix}-auditors")
    assert sorted(u["UserName"] for u in auditors["Users"]) == [f"{prefix}-contractor", f"{prefix}-developer"]
    assert iam.list_group_policies(GroupName=f"{prefix}-auditors")["PolicyNames"] == [
        "read-credential-reports"]
    audit = iam.get_policy(PolicyArn=out["audit_policy_arn"])["Policy"]
    assert out["audit_policy_arn"] == f"arn:aws:iam::{account}:policy{path}audit/{prefix}-audit-logs"
    assert sorted((t["Key"], t["Value"]) for t in audit["Tags"]) == [("data", "audit"), ("owner", "security")]
    entities = iam.list_entities_for_policy(PolicyArn=out["audit_policy_arn"])
    assert [u["UserName"] for u in entities["PolicyUsers"]] == [contractor]
    assert [g["GroupName"] for g in entities["PolicyGroups"]] == [f"{prefix}-auditors"]
    assert [r["RoleName"] for r in entities["PolicyRoles"]] == [f"{prefix}-deploy"]


def virtual_mfa_devices(iam: Any, status: str = "Any") -> list[str]:
    pages = iam.get_paginator("list_virtual_mfa_devices").paginate(AssignmentStatus=status)
    return [device["SerialNumber"] for page in pages for device in page["VirtualMFADevices"]]


def check_federated_roles_and_lookups(iam: Any, out: dict[str, Any], account: str, prefix: str) -> None:
    """What federated_roles_and_lookups.tf made, and what its data sources read."""
    path, ci_role, sso_role = f"/{prefix}/", f"{prefix}-ci", f"{prefix}-sso-admin"
    issuer = f"{prefix}.oidc.example.com"
    assert iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 2
    role = iam.get_role(RoleName=ci_role)["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [{
        "Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
        "Principal": {"Federated": out["oidc_provider_arn"]},
        "Condition": {"StringEquals": {f"{issuer}:aud": "sts.amazonaws.com"},
                      "StringLike": {f"{issuer}:sub": ["repo:example/*:ref:refs/heads/main"]}}}]
    assert role["MaxSessionDuration"] == 3600
    assert role["Description"] == "Assumed by the CI system's OIDC tokens for main (café, naïve: Latin-1 survives)"
    assert iam.list_role_policies(RoleName=ci_role)["PolicyNames"] == ["push+images=tags,v1@ci"]
    inline = iam.get_role_policy(RoleName=ci_role, PolicyName="push+images=tags,v1@ci")["PolicyDocument"]
    assert inline["Statement"][0]["Condition"] == {
        "StringLike": {"aws:RequestTag/team": ["platform+ops", "a&b=c", "50% off", "café"]}}
    sso = iam.get_role(RoleName=sso_role)["Role"]
    assert sso["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Federated": out["saml_provider_arn"]}
    assert [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=sso_role)[
        "AttachedPolicies"]] == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]

    ssh_key = iam.get_ssh_public_key(UserName=f"{prefix}-contractor", SSHPublicKeyId=out["ssh_key_id"],
                                     Encoding="SSH")["SSHPublicKey"]
    audit = iam.get_policy(PolicyArn=out["audit_policy_arn"])["Policy"]
    audit_document = iam.get_policy_version(PolicyArn=out["audit_policy_arn"],
                                            VersionId=audit["DefaultVersionId"])["PolicyVersion"]["Document"]
    assert out["lookups"] == {
        "account_alias": prefix,
        "contractor_boundary": f"arn:aws:iam::{account}:policy{path}{prefix}-contractor-boundary",
        "contractor_tags": {"employment": "contract"},
        "users_under_prefix": [f"{prefix}-contractor", f"{prefix}-developer"],
        "auditors": [f"{prefix}-contractor", f"{prefix}-developer"],
        "ci_role_arn": role["Arn"],
        "ci_role_tags": {"Federation": "oidc", "branch": "main",
                         "ci:scope/owner": "build + release = team@example.com"},
        "ci_role_session": 3600,
        "federated_roles": [ci_role, sso_role],
        "audit_policy_arn": out["audit_policy_arn"],
        "audit_policy_document": audit_document,
        "oidc_client_ids": sorted(["sts.amazonaws.com", f"{prefix}-client"]),
        "oidc_tags": {"issuer": "ci"},
        "saml_provider_name": f"{prefix}-corporate",
        "server_certificate": out["server_certificate_arn"],
        "ssh_key_fingerprint": ssh_key["Fingerprint"],
        "developer_keys": [out["access_key_id"]],
        "session_issuer": role["Arn"],
        "session_name": "build-42",
        "deploy_may_write": True,
        "contractor_decisions": {"iam:CreateUser": "implicitDeny",
                                 "iam:GetAccountPasswordPolicy": "allowed"},
    }


def check_account_and_credentials_gone(iam: Any, out: dict[str, Any], account: str, prefix: str) -> None:
    assert iam.list_account_aliases()["AccountAliases"] == []
    assert missing(iam.get_account_password_policy)
    assert missing(iam.get_open_id_connect_provider, OpenIDConnectProviderArn=out["oidc_provider_arn"])
    assert missing(iam.get_saml_provider, SAMLProviderArn=out["saml_provider_arn"])
    assert missing(iam.get_role, RoleName=out["service_linked_role_name"])
    assert missing(iam.get_user, UserName=f"{prefix}-contractor")
    assert missing(iam.get_group, GroupName=f"{prefix}-auditors")
    assert missing(iam.get_server_certificate, ServerCertificateName=f"{prefix}-web")
    assert missing(iam.get_policy, PolicyArn=out["audit_policy_arn"])
    assert missing(iam.get_policy,
                   PolicyArn=f"arn:aws:iam::{account}:policy/{prefix}/{prefix}-contractor-boundary")
    assert out["mfa_device_arn"] not in virtual_mfa_devices(iam)
    assert missing(iam.get_role, RoleName=f"{prefix}-ci")
    assert missing(iam.get_role, RoleName=f"{prefix}-sso-admin")


def test_apply_plan_without_drift_and_destroy(iamd_server: IamdServer, iam: Any, unique: Any,
                                              tmp_path: Path, account_settings: None) -> None:
    terraform_binary, mirror = find_terraform(), find_mirror()
    with_instance_profile = instance_profiles_supported(iam, unique)
    prefix = unique("tf")
    workdir = tmp_path / "config"
    workdir.mkdir()
    for config in ("main.tf", "account_and_credentials.tf", "federated_roles_and_lookups.tf"):
        shutil.copy(CONFIGS / config, workdir)
    if with_instance_profile:
        shutil.copy(CONFIGS / "instance_profile.tf", workdir)
    material = credential_material(prefix)
    (workdir / "terraform.tfvars.json").write_text(json.dumps(material))
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
    # developers through aws_iam_user_group_membership, auditors through aws_iam_group_membership
    assert sorted(g["GroupName"] for g in iam.list_groups_for_user(UserName=user_name)["Groups"]) == [
        f"{prefix}-auditors", group_name]
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
    assert sorted(p["PolicyArn"] for p in iam.list_attached_role_policies(
        RoleName=role_name)["AttachedPolicies"]) == sorted(  # audit-logs: aws_iam_policy_attachment
        ["arn:aws:iam::aws:policy/ReadOnlyAccess", out["audit_policy_arn"]])
    if with_instance_profile:
        profile = iam.get_instance_profile(InstanceProfileName=role_name)["InstanceProfile"]
        assert profile["Arn"] == out["instance_profile_arn"]
        assert [r["RoleName"] for r in profile["Roles"]] == [role_name]
    check_account_and_credentials(iam, out, account, prefix, material)
    check_federated_roles_and_lookups(iam, out, account, prefix)
    # Something terraform does not know of: force_destroy must remove it with the user.
    iam.create_access_key(UserName=f"{prefix}-contractor")

    # The plan above just read every object back, so the destroy need not refresh
    # them again first (a whole provider start and a read of each object fewer).
    destroy = tf.run("destroy", "-auto-approve", "-refresh=false")
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
    check_account_and_credentials_gone(iam, out, account, prefix)
    if role_destroy_blocked:
        pytest.skip("terraform destroy of aws_iam_role calls iam:ListInstanceProfilesForRole, "
                    "which iamd answers NotImplemented (instance profiles not implemented yet); "
                    "the role was deleted with boto3 instead")
