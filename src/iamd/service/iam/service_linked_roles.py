"""Service-linked roles: CreateServiceLinkedRole, DeleteServiceLinkedRole and
GetServiceLinkedRoleDeletionStatus.

A service-linked role belongs to an AWS service: its name is the one the
service chose (AWSServiceRoleFor..., plus "_" and the caller's suffix where
the service allows one), its path is /aws-service-role/<service principal>/,
and its trust policy lets only that service principal assume it. iamd knows
the names of the common services; any other service name is InvalidInput, as
AWS answers for a service it does not know. The role is otherwise AWS's:
roles.py and attachments.py refuse to change it (UnmodifiableEntity).

Deleting one is a task in AWS, polled by its id; in iamd the task runs
inside the DeleteServiceLinkedRole call and its outcome is kept (per
account, in the settings table), so the first poll already reads SUCCEEDED.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from iamd.model.entities import PrincipalKind, Role
from iamd.model.errors import InvalidInput, LimitExceeded, NoSuchEntity
from iamd.service import arns, ids
from iamd.service.context import OperationContext
from iamd.service.iam.roles import MAX_ROLES, role_shape
from iamd.service.lookup import ROLE, find
from iamd.service.registry import Params, operation
from iamd.store.errors import Conflict

SERVICE_ROLE_PATH = "/aws-service-role/"

# The role name each service gives its service-linked role (IAM User Guide,
# "AWS services that work with IAM", and each service's guide).
ROLE_NAMES: dict[str, str] = {
    "autoscaling.amazonaws.com": "AWSServiceRoleForAutoScaling",
    "elasticloadbalancing.amazonaws.com": "AWSServiceRoleForElasticLoadBalancing",
    "ecs.amazonaws.com": "AWSServiceRoleForECS",
    "eks.amazonaws.com": "AWSServiceRoleForAmazonEKS",
    "eks-nodegroup.amazonaws.com": "AWSServiceRoleForAmazonEKSNodegroup",
    "eks-fargate.amazonaws.com": "AWSServiceRoleForAmazonEKSForFargate",
    "spot.amazonaws.com": "AWSServiceRoleForEC2Spot",
    "spotfleet.amazonaws.com": "AWSServiceRoleForEC2SpotFleet",
    "ec2scheduled.amazonaws.com": "AWSServiceRoleForEC2Scheduled",
    "rds.amazonaws.com": "AWSServiceRoleForRDS",
    "redshift.amazonaws.com": "AWSServiceRoleForRedshift",
    "elasticache.amazonaws.com": "AWSServiceRoleForElastiCache",
    "es.amazonaws.com": "AWSServiceRoleForAmazonElasticsearchService",
    "opensearchservice.amazonaws.com": "AWSServiceRoleForAmazonOpenSearchService",
    "elasticbeanstalk.amazonaws.com": "AWSServiceRoleForElasticBeanstalk",
    "elasticmapreduce.amazonaws.com": "AWSServiceRoleForEMRCleanup",
    "elasticfilesystem.amazonaws.com": "AWSServiceRoleForAmazonElasticFileSystem",
    "fsx.amazonaws.com": "AWSServiceRoleForAmazonFSx",
    "organizations.amazonaws.com": "AWSServiceRoleForOrganizations",
    "sso.amazonaws.com": "AWSServiceRoleForSSO",
    "cloudtrail.amazonaws.com": "AWSServiceRoleForCloudTrail",
    "config.amazonaws.com": "AWSServiceRoleForConfig",
    "guardduty.amazonaws.com": "AWSServiceRoleForAmazonGuardDuty",
    "securityhub.amazonaws.com": "AWSServiceRoleForSecurityHub",
    "inspector2.amazonaws.com": "AWSServiceRoleForAmazonInspector2",
    "macie.amazonaws.com": "AWSServiceRoleForAmazonMacie",
    "access-analyzer.amazonaws.com": "AWSServiceRoleForAccessAnalyzer",
    "ssm.amazonaws.com": "AWSServiceRoleForAmazonSSM",
    "backup.amazonaws.com": "AWSServiceRoleForBackup",
    "batch.amazonaws.com": "AWSServiceRoleForBatch",
    "kafka.amazonaws.com": "AWSServiceRoleForKafka",
    "support.amazonaws.com": "AWSServiceRoleForSupport",
    "trustedadvisor.amazonaws.com": "AWSServiceRoleForTrustedAdvisor",
    "compute-optimizer.amazonaws.com": "AWSServiceRoleForComputeOptimizer",
    "globalaccelerator.amazonaws.com": "AWSServiceRoleForGlobalAccelerator",
    "transitgateway.amazonaws.com": "AWSServiceRoleForVPCTransitGateway",
    "ops.apigateway.amazonaws.com": "AWSServiceRoleForAPIGateway",
    "appmesh.amazonaws.com": "AWSServiceRoleForAppMesh",
    "cloud9.amazonaws.com": "AWSServiceRoleForAWSCloud9",
    "delivery.logs.amazonaws.com": "AWSServiceRoleForLogDelivery",
    "replication.dynamodb.amazonaws.com": "AWSServiceRoleForDynamoDBReplication",
    "dynamodb.application-autoscaling.amazonaws.com":
        "AWSServiceRoleForApplicationAutoScaling_DynamoDBTable",
    "ecs.application-autoscaling.amazonaws.com": "AWSServiceRoleForApplicationAutoScaling_ECSService",
    "custom-resource.application-autoscaling.amazonaws.com":
        "AWSServiceRoleForApplicationAutoScaling_CustomResource",
    "member.org.stacksets.cloudformation.amazonaws.com":
        "AWSServiceRoleForCloudFormationStackSetsOrgMember",
}

# The services that take a CustomSuffix (most services' roles are one per account).
SUFFIX_SERVICES = frozenset({
    "autoscaling.amazonaws.com",
    "elasticbeanstalk.amazonaws.com",
    "custom-resource.application-autoscaling.amazonaws.com",
})

_TASK = re.compile(r"task/aws-service-role/([\w+=,.@-]+)/([\w+=,.@-]+)/([0-9a-f-]{36})")

SUCCEEDED = "SUCCEEDED"


def _role_name(service: str, suffix: str | None) -> str:
    base = ROLE_NAMES.get(service)
    if base is None:
        raise InvalidInput(f"Invalid service name: {service}")
    if not suffix:
        return base
    if service not in SUFFIX_SERVICES:
        raise InvalidInput(f"Custom suffix is not allowed for {service}")
    return f"{base}_{suffix}"


def _trust_policy(service: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]},
        separators=(",", ":"))


def _created_role_arn(ctx: OperationContext, params: Params) -> str:
    service = params.get("AWSServiceName", "")
    name = ROLE_NAMES.get(service, "")
    if name and params.get("CustomSuffix"):
        name = f"{name}_{params['CustomSuffix']}"
    return arns.entity_arn("role", ctx.account_id, f"{SERVICE_ROLE_PATH}{service}/", name)


def _service_name_context(ctx: OperationContext, params: Params) -> dict[str, str | list[str]]:
    return {"iam:AWSServiceName": params.get("AWSServiceName", "")}


@operation("iam", "CreateServiceLinkedRole", resource=_created_role_arn,
           context=_service_name_context)
def create_service_linked_role(ctx: OperationContext, params: Params) -> dict[str, Any]:
    service = params["AWSServiceName"]
    name = _role_name(service, params.get("CustomSuffix"))
    path = f"{SERVICE_ROLE_PATH}{service}/"
    if ctx.tx.roles.count(ctx.account_id) >= MAX_ROLES:
        raise LimitExceeded(f"Cannot exceed quota for RolesPerAccount: {MAX_ROLES}")
    role = Role(id=ids.unique_id(ids.ROLE), account_id=ctx.account_id, path=path, name=name,
                arn=arns.entity_arn("role", ctx.account_id, path, name), created=ctx.info.now,
                assume_role_policy_document=_trust_policy(service),
                description=params.get("Description") or None)
    try:
        ctx.tx.roles.insert(role)
    except Conflict:
        raise InvalidInput(f"Service role name {name} has been taken in this account, "
                           "please try a different suffix.") from None
    shape = role_shape(role)
    del shape["RoleLastUsed"]
    return {"Role": shape}


def _task_key(account_id: str, task_id: str) -> str:
    return f"slr-deletion/{account_id}/{task_id}"


@operation("iam", "DeleteServiceLinkedRole")
def delete_service_linked_role(ctx: OperationContext, params: Params) -> dict[str, Any]:
    role = find(ctx, ROLE, params["RoleName"], for_update=True)
    if not role.path.startswith(SERVICE_ROLE_PATH):
        raise InvalidInput(f"Role {role.name} is not a service-linked role.")
    service = role.path[len(SERVICE_ROLE_PATH):].rstrip("/")
    task_id = f"task/aws-service-role/{service}/{role.name}/{uuid.uuid4()}"
    tx = ctx.tx
    # The service's own cleanup: what it put on its role goes with the role.
    while True:
        page = tx.instance_profiles.list_for_role(role.id, limit=100)
        for profile in page.items:
            tx.instance_profiles.remove_role(profile.id, role.id)
        if page.marker is None:
            break
    for policy in tx.inline_policies.all(PrincipalKind.ROLE, role.id):
        tx.inline_policies.delete(PrincipalKind.ROLE, role.id, policy.name)
    for attached in tx.attachments.all_for_principal(PrincipalKind.ROLE, role.id):
        tx.attachments.detach(PrincipalKind.ROLE, role.id, attached.policy_id)
    tx.roles.delete(role.id)
    tx.settings.set(_task_key(ctx.account_id, task_id), json.dumps({"Status": SUCCEEDED}))
    return {"DeletionTaskId": task_id}


def _task_role_arn(ctx: OperationContext, params: Params) -> str:
    match = _TASK.fullmatch(params.get("DeletionTaskId", ""))
    if match is None:
        return "*"
    return arns.entity_arn("role", ctx.account_id, f"{SERVICE_ROLE_PATH}{match.group(1)}/",
                           match.group(2))


@operation("iam", "GetServiceLinkedRoleDeletionStatus", read_only=True, resource=_task_role_arn)
def get_service_linked_role_deletion_status(ctx: OperationContext,
                                            params: Params) -> dict[str, Any]:
    task_id = params["DeletionTaskId"]
    if _TASK.fullmatch(task_id) is None:
        raise InvalidInput(f"Invalid deletion task id: {task_id}")
    stored = ctx.tx.settings.get(_task_key(ctx.account_id, task_id))
    if stored is None:
        raise NoSuchEntity(f"Deletion task {task_id} does not exist.")
    task: dict[str, Any] = json.loads(stored)
    result: dict[str, Any] = {"Status": task["Status"]}
    if task.get("Reason"):
        result["Reason"] = task["Reason"]
    return result
