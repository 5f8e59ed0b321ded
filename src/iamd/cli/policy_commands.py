"""`iamd policy evaluate` and `iamd policy validate`: the engine on the command line.

`evaluate` reads one JSON request or JSON Lines from a file or stdin and
prints one JSON result per line, in order (docs/policy-engine.md); a request
that is malformed gets an `error` line and the run goes on. `--explain`
prints the same decisions for a person.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import Any, TextIO

from iamd.model.errors import AwsError
from iamd.policy import BatchEvaluator, PolicyKind, explain, parse_policy


def register(commands: Any) -> None:
    policy = commands.add_parser("policy", help="evaluate and validate IAM policies offline")
    verbs = policy.add_subparsers(dest="verb", required=True)
    evaluate = verbs.add_parser("evaluate", help="decide requests (JSON or JSON Lines)")
    evaluate.add_argument("file", nargs="?", default="-", help="a file, or - for stdin")
    evaluate.add_argument("--explain", action="store_true", help="print decisions for a person")
    evaluate.set_defaults(run=run_evaluate)
    validate = verbs.add_parser("validate", help="check a policy document as IAM would")
    validate.add_argument("file", nargs="?", default="-")
    validate.add_argument("--kind", default="managed", choices=[k.value for k in PolicyKind])
    validate.set_defaults(run=run_validate)


def _open(path: str) -> TextIO:
    return sys.stdin if path == "-" else open(path, encoding="utf-8")


def _requests(stream: TextIO) -> Iterator[str]:
    """One JSON document, or JSON Lines: a whole-file object is one request."""
    text = stream.read()
    stripped = text.strip()
    if not stripped:
        return
    try:
        json.loads(stripped)
    except json.JSONDecodeError:
        for line in text.splitlines():
            if line.strip():
                yield line
    else:
        yield stripped


def run_evaluate(args: argparse.Namespace) -> int:
    # A batch often shares its policies (a test corpus): each distinct set is
    # compiled once.
    evaluator = BatchEvaluator()
    write = sys.stdout.write
    with _open(args.file) as stream:
        for request in _requests(stream):
            result = evaluator.evaluate(request)
            if args.explain:
                write(explain(result) + "\n")
            else:
                write(json.dumps(result, separators=(",", ":")) + "\n")
    return 0


def run_validate(args: argparse.Namespace) -> int:
    with _open(args.file) as stream:
        text = stream.read()
    try:
        parse_policy(text, PolicyKind(args.kind))
    except AwsError as exc:
        print(f"{exc.code}: {exc.message}")
        return 1
    print("valid")
    return 0
