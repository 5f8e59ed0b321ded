"""Lines per second through the batch contract: `iamd policy evaluate` against moto's evaluator.

    python bench/policy_evaluate.py [--lines 2000] [--sets 4] [--seed N] [--workload standard]

A JSON Lines corpus as a test suite writes it: `--lines` requests of
bench/decisions.py's workload, each line self-contained (its action,
resource, principal, context and its identity policies), the lines spread
over `--sets` distinct sets of policy documents, so that many lines share
their documents. Both sides read the same file through the same contract,
one process each, timed from start to last line out:

- iamd: `iamd policy evaluate FILE` (python -m iamd.cli.main), printing one
  JSON result per line;
- moto: the same loop written for moto 5's evaluator (moto/iam/
  access_control.py): per line, parse the JSON, build an `IAMPolicy` per
  document and aggregate `is_action_permitted` as
  `IAMRequestBase.check_action_permitted` does, printing one JSON decision per
  line. moto has no cache to reuse between lines: that is how a caller of its
  evaluator meets it.

Both decisions are checked to agree on every line before timing is
reported (the workload stays within what moto can express; see
bench/decisions.py). The last line:

    policy-evaluate iamd=N lines/s moto=M lines/s ratio=R
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from decisions import ACCOUNT, PRINCIPAL_ARN, WORKLOADS, generate

MOTO_DRIVER = """
import json, sys
from moto.iam.access_control import IAMPolicy, PermissionResult
out = []
for line in open(sys.argv[1]):
    request = json.loads(line)
    policies = [IAMPolicy(json.dumps(d) if not isinstance(d, str) else d)
                for d in request["policies"]["identity"]]
    decision, permitted = None, False
    for policy in policies:
        result = policy.is_action_permitted(request["action"], request["resource"], None,
                                            request["context"])
        if result == PermissionResult.DENIED:
            decision = "ExplicitDeny"
            break
        if result == PermissionResult.PERMITTED:
            permitted = True
    out.append(json.dumps({"decision": decision or ("Allow" if permitted else "ImplicitDeny")}))
sys.stdout.write("\\n".join(out) + "\\n")
"""


def corpus(path: Path, lines: int, sets: int, seed: int, workload: str) -> None:
    generated = [generate(WORKLOADS[workload], seed + index, lines // sets + 1)
                 for index in range(sets)]
    with path.open("w") as out:
        for n in range(lines):
            gen = generated[n % sets]
            action, resource, context = gen.requests[n // sets]
            out.write(json.dumps({
                "action": action, "resource": resource,
                "principal": {"arn": PRINCIPAL_ARN, "account": ACCOUNT},
                "context": context,
                "policies": {"identity": [json.loads(d) for d in gen.documents]},
            }) + "\n")


def timed(command: list[str]) -> tuple[float, list[str]]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, done.stdout.splitlines()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--sets", type=int, default=4)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workload", choices=sorted(WORKLOADS), default="standard")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="iamd-policy-bench-") as tmp:
        path = Path(tmp) / "corpus.jsonl"
        corpus(path, args.lines, args.sets, args.seed, args.workload)
        iamd_seconds, iamd_lines = timed(
            [sys.executable, "-m", "iamd.cli.main", "policy", "evaluate", str(path)])
        moto_seconds, moto_lines = timed([sys.executable, "-c", MOTO_DRIVER, str(path)])
    decisions = [json.loads(line).get("decision") for line in iamd_lines]
    theirs = [json.loads(line)["decision"] for line in moto_lines]
    if len(decisions) != args.lines or decisions != theirs:
        differ = sum(a != b for a, b in zip(decisions, theirs, strict=False))
        print(f"warning: the engines disagree on {differ} of {args.lines} lines")
    iamd_rate, moto_rate = args.lines / iamd_seconds, args.lines / moto_seconds
    print(f"load average {os.getloadavg()[0]:.2f}, {args.lines} lines over {args.sets} "
          f"policy sets ({args.workload} workload), wall time including interpreter start")
    print(f"policy-evaluate iamd={iamd_rate:.0f} lines/s moto={moto_rate:.0f} lines/s "
          f"ratio={iamd_rate / moto_rate:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
