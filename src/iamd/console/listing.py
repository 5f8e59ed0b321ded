"""Reading whole lists through the paginated IAM operations.

Groups, managed policies and a user's attachments are short lists the
console shows in full (pickers, tabs); `every` follows an operation's Marker
until IsTruncated is false. Long lists (users) page instead; see users_list.
"""

from __future__ import annotations

import json
from typing import Any

from iamd.console.web import View
from iamd.model.errors import AwsError

PAGE = 1000


def every(view: View, operation: str, member: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a paginated list operation (raises AwsError as call() does)."""
    items: list[dict[str, Any]] = []
    marker: str | None = None
    while True:
        answer = view.call(operation, {**params, "MaxItems": PAGE,
                                       **({"Marker": marker} if marker else {})})
        items += answer.get(member, [])
        marker = answer.get("Marker") if answer.get("IsTruncated") else None
        if not marker:
            return items


def every_or_error(view: View, operation: str, member: str,
                   **params: Any) -> tuple[list[dict[str, Any]], AwsError | None]:
    """every(), or the error for the page to show in place of the list."""
    try:
        return every(view, operation, member, **params), None
    except AwsError as error:
        return [], error


def managed_policies(view: View) -> tuple[list[dict[str, Any]], AwsError | None]:
    """AWS managed and customer managed policies, customer managed first, by name."""
    policies, error = every_or_error(view, "ListPolicies", "Policies", Scope="All")
    policies.sort(key=lambda p: (policy_type(p["Arn"]) == "AWS managed", p["PolicyName"].lower()))
    return policies, error


def policy_type(arn: str) -> str:
    return "AWS managed" if arn.startswith("arn:aws:iam::aws:") else "Customer managed"


def pretty(document: str) -> str:
    """A policy document indented for reading (as stored if it is not JSON)."""
    try:
        return json.dumps(json.loads(document), indent=2)
    except ValueError:
        return document


def inline_policies(view: View, owner: str, name: str
                    ) -> tuple[list[dict[str, Any]], AwsError | None]:
    """The inline policies of a "User" or "Group" with their documents."""
    names, error = every_or_error(view, f"List{owner}Policies", "PolicyNames",
                                  **{f"{owner}Name": name})
    policies = []
    for policy in names:
        got, _ = view.try_call(f"Get{owner}Policy", {f"{owner}Name": name, "PolicyName": policy})
        policies.append({"name": policy,
                         "document": pretty(got["PolicyDocument"]) if got else None})
    return policies, error
