"""The policy simulator: a principal's (or pasted) policies against actions.

One form: the principal (a user, group or role, or "Custom policies"
pasted as JSON), actions chosen service by service from the Service
Authorization Reference ("Choose service" re-renders the form with that
service's actions, keeping what was picked elsewhere), resources, and
optional context keys. "Run simulation" calls SimulatePrincipalPolicy or
SimulateCustomPolicy as the signed-in principal and lists each decision
with the statements that decided it (source policy and position, as
MatchedStatements gives them) and the context values that were missing.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from iamd.console import action_catalog
from iamd.console.form_values import pretty
from iamd.console.paging import read_all
from iamd.console.web import View, page
from iamd.model.errors import AwsError
from iamd.service.runtime import Runtime

CONTEXT_ROWS = 2
CONTEXT_TYPES = ("string", "stringList", "numeric", "numericList", "boolean", "booleanList",
                 "ip", "ipList", "binary", "binaryList", "date", "dateList")
POLICY_BOXES = 2


def _principals(view: View) -> dict[str, list[tuple[str, str]]]:
    """The pickable principals by kind; a list the caller may not read is left empty."""
    found: dict[str, list[tuple[str, str]]] = {}
    for label, operation, member, key in (("Users", "ListUsers", "Users", "UserName"),
                                          ("Groups", "ListGroups", "Groups", "GroupName"),
                                          ("Roles", "ListRoles", "Roles", "RoleName")):
        try:
            found[label] = [(item["Arn"], item[key]) for item in read_all(view, operation, member)]
        except AwsError:  # a list the caller may not read just offers nothing
            found[label] = []
    return found


def _chosen_actions(view: View) -> list[str]:
    chosen = list(dict.fromkeys(view.fields("action")))
    for namespace in view.fields("all_actions"):
        chosen += [a for a in action_catalog.actions(namespace) if a not in chosen]
    return chosen


def _context_rows(view: View) -> list[dict[str, str]]:
    keys = view.form_lists.get("context_key", [])
    values = view.form_lists.get("context_value", [])
    types = view.form_lists.get("context_type", [])
    rows = [{"key": k.strip(), "value": values[i] if i < len(values) else "",
             "type": types[i] if i < len(types) else "string"}
            for i, k in enumerate(keys) if k.strip()]
    return rows


def _context_entries(rows: list[dict[str, str]]) -> list[dict[str, Any]]:
    entries = []
    for row in rows:
        kind = row["type"] if row["type"] in CONTEXT_TYPES else "string"
        values = ([v.strip() for v in row["value"].split(",")] if kind.endswith("List")
                  else [row["value"]])
        entries.append({"ContextKeyName": row["key"], "ContextKeyValues": values,
                        "ContextKeyType": kind})
    return entries


def _offset(text: str, position: dict[str, int]) -> int:
    lines = text.splitlines(keepends=True)
    line = max(1, position.get("Line", 1))
    return sum(len(part) for part in lines[:line - 1]) + position.get("Column", 1) - 1


def statement_excerpt(text: str, match: dict[str, Any]) -> str:
    """The statement a MatchedStatements entry points at, pretty-printed.

    IAM's positions come from a streaming parser: a statement "starts" just
    after the token before it (`[` or `,`) and ends just after its `}`.
    """
    if "StartPosition" not in match or "EndPosition" not in match:
        return ""
    piece = text[_offset(text, match["StartPosition"]):_offset(text, match["EndPosition"])]
    piece = piece.lstrip("[, \t\r\n")
    return pretty(piece)


def _excerpts(results: list[Any], policies: list[str]) -> None:
    """Adds the statement text to each match from a pasted policy (PolicyInputList.N)."""
    for result in results:
        for match in result.get("MatchedStatements", []):
            source = str(match.get("SourcePolicyId", ""))
            number = source.removeprefix("PolicyInputList.")
            if number.isdigit() and 0 < int(number) <= len(policies):
                match["Excerpt"] = statement_excerpt(policies[int(number) - 1], match)


def _simulate(view: View, mode: str, principal: str, policies: list[str], actions: list[str],
              resources: list[str], context: list[dict[str, Any]]) -> tuple[list[Any], str]:
    params: dict[str, Any] = {"ActionNames": actions, "ResourceArns": resources or ["*"]}
    if context:
        params["ContextEntries"] = context
    if mode == "custom":
        operation = "SimulateCustomPolicy"
        params["PolicyInputList"] = policies
    else:
        operation = "SimulatePrincipalPolicy"
        params["PolicySourceArn"] = principal
    results: list[Any] = []
    while True:
        result, error = view.try_call(operation, params)
        if error is not None or result is None:
            return results, error.message if error else ""
        results += result.get("EvaluationResults", [])
        if not result.get("IsTruncated"):
            return results, ""
        params["Marker"] = result["Marker"]


def simulator(view: View) -> Response:
    posted = view.method == "POST"
    source = view.form if posted else view.query
    mode = source.get("mode", "principal")
    principal = source.get("principal", "")
    service = source.get("service", "iam")
    chosen = _chosen_actions(view) if posted else []
    policies = [p for p in view.form_lists.get("policy", []) if p.strip()] if posted else []
    resources_text = view.field("resources", "*") if posted else "*"
    resources = [r.strip() for r in resources_text.splitlines() if r.strip()]
    context_rows = _context_rows(view) if posted else []
    results: list[Any] = []
    error = ""
    ran = posted and view.field("op") == "run"
    if ran:
        if not chosen:
            error = "Choose at least one action."
        elif mode == "custom" and not policies:
            error = "Enter at least one policy."
        elif mode != "custom" and not principal:
            error = "Choose a user, group or role."
        else:
            results, error = _simulate(view, mode, principal, policies, chosen, resources,
                                       _context_entries(context_rows))
            if mode == "custom":
                _excerpts(results, policies)
    service_actions = action_catalog.actions(service)
    return view.render(
        "simulator.html", status=400 if error else 200, mode=mode, principal=principal,
        principals=_principals(view), services=action_catalog.services(), service=service,
        service_actions=service_actions, chosen=chosen,
        other_chosen=[a for a in chosen if a not in service_actions],
        policies=policies + [""] * max(1, POLICY_BOXES - len(policies)),
        resources_text=resources_text, context_types=CONTEXT_TYPES,
        context_rows=context_rows + [{"key": "", "value": "", "type": "string"}] * max(
            1, CONTEXT_ROWS - len(context_rows)),
        results=results, ran=ran and not error, error=error)


def routes(runtime: Runtime) -> list[Route]:
    return [Route("/console/simulator", page(runtime, simulator), methods=["GET", "POST"])]
