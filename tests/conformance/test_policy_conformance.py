"""Runs the AWS policy-evaluation conformance table against iamd's engine.

policy_cases.jsonl holds one case a line: a request in the shape of
docs/policy-engine.md, the decision AWS documents for it, and the IAM User
Guide page the rule comes from. Each case goes through the Python API
(`iamd.policy.evaluate_request`) one by one, and the whole table goes once
through `iamd policy evaluate -` as JSON Lines, so the two entry points are
held to the same answers.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

TABLE = Path(__file__).with_name("policy_cases.jsonl")
DECISIONS = {"Allow", "ExplicitDeny", "ImplicitDeny"}
POLICY_TYPES = {"identity", "resource", "permissions_boundary", "session", "scp", "rcp"}


def load_cases() -> list[dict[str, Any]]:
    with TABLE.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


CASES = load_cases()


def mismatches(expect: dict[str, Any], result: Any) -> list[str]:
    """What in `result` disagrees with `expect`; empty when it conforms."""
    if not isinstance(result, dict):
        return [f"result is not an object: {result!r}"]
    if "error" in expect:
        error = result.get("error")
        code = error.get("code") if isinstance(error, dict) else None
        if code != expect["error"]:
            return [f"expected error {expect['error']}, got {json.dumps(result)[:300]}"]
        return []
    if "error" in result:
        return [f"expected {expect['decision']}, got error {json.dumps(result['error'])[:300]}"]
    problems = []
    for field in ("decision", "policy_type", "level"):
        if field in expect and result.get(field) != expect[field]:
            problems.append(f"{field}: expected {expect[field]!r}, got {result.get(field)!r}")
    if problems and result.get("reason"):
        problems.append(f"reason: {result['reason']}")
    return problems


@pytest.fixture(scope="module")
def evaluate_request() -> Callable[[dict[str, Any]], dict[str, Any]]:
    from iamd.policy import evaluate_request as engine

    return engine  # type: ignore[no-any-return]


# --- the table itself ----------------------------------------------------------
def test_table_has_enough_cases() -> None:
    assert len(CASES) >= 250


def test_ids_are_unique() -> None:
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case_is_well_formed(case: dict[str, Any]) -> None:
    assert set(case) == {"id", "rule", "description", "request", "expect"}
    assert case["rule"].strip(), "every case names the AWS rule it rests on"
    assert case["description"].strip()
    request = case["request"]
    assert isinstance(request.get("action"), str) and ":" in request["action"]
    assert isinstance(request.get("policies"), dict)
    expect = case["expect"]
    if "error" in expect:
        assert set(expect) == {"error"}
    else:
        assert expect["decision"] in DECISIONS
        assert set(expect) <= {"decision", "policy_type", "level"}
        if "policy_type" in expect:
            assert expect["policy_type"] in POLICY_TYPES
        if "level" in expect:
            assert expect.get("policy_type") in {"scp", "rcp"}


def test_generator_reproduces_table() -> None:
    """The committed table is exactly what build_policy_cases.py writes."""
    sys.path.insert(0, str(TABLE.parent))
    try:
        import build_policy_cases
    finally:
        sys.path.pop(0)
    built = build_policy_cases.build()
    assert built == CASES


# --- the engine, case by case ----------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_python_api(case: dict[str, Any], evaluate_request: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    result = evaluate_request(json.loads(json.dumps(case["request"])))
    problems = mismatches(case["expect"], result)
    assert not problems, f"{case['id']} ({case['rule']}): {case['description']}\n  " + "\n  ".join(problems)


# --- the command line, whole table at once --------------------------------------
def test_command_line_json_lines() -> None:
    stdin = "".join(json.dumps(c["request"]) + "\n" for c in CASES)
    proc = subprocess.run(
        [sys.executable, "-m", "iamd.cli.main", "policy", "evaluate", "-"],
        input=stdin, capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, f"exit {proc.returncode}\nstderr:\n{proc.stderr[-3000:]}"
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == len(CASES), f"{len(lines)} output lines for {len(CASES)} requests"
    failures = []
    for case, line in zip(CASES, lines, strict=True):
        try:
            result = json.loads(line)
        except json.JSONDecodeError:
            failures.append(f"{case['id']}: output is not JSON: {line[:200]}")
            continue
        problems = mismatches(case["expect"], result)
        if problems:
            failures.append(f"{case['id']}: " + "; ".join(problems))
    assert not failures, f"{len(failures)} of {len(CASES)} cases disagree:\n" + "\n".join(failures)
