"""Console sign-in over HTTP against the cost of its Argon2id check alone.

    python bench/console_signin.py [--signins 30]

Starts `iamd serve` (SQLite, a fresh data directory), gives a user a console
password with boto3, then signs in `--signins` times as a browser would
(GET the form for its CSRF cookie, POST the form, follow nothing) and
prints the median and 95th percentile of the POST. The named peer is
argon2-cffi verifying the same password against a hash made with iamd's
parameters, in the same run: the floor any Argon2id sign-in pays. The last
line is `signin median_ms=... p95_ms=... argon2_ms=... ratio=...`.
"""

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from iamd.service.passwords import hash_password, verify_password
from iamd.testing import IamdServer

PASSWORD = "Bench-Console-Passw0rd!"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--signins", type=int, default=30)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder, IamdServer.start(Path(folder)) as server:
        iam = server.client("iam")
        iam.create_user(UserName="bench-signin")
        iam.create_login_profile(UserName="bench-signin", Password=PASSWORD,
                                 PasswordResetRequired=False)
        account = server.client("sts").get_caller_identity()["Account"]
        timings = []
        for _ in range(args.signins):
            with httpx.Client(base_url=server.endpoint) as browser:
                form = browser.get(f"/signin/{account}")
                token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
                assert token is not None
                started = time.perf_counter()
                answer = browser.post("/signin", data={
                    "csrf_token": token.group(1), "signin_type": "user", "account": account,
                    "username": "bench-signin", "password": PASSWORD,
                    "redirect_uri": "/console"})
                timings.append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 303, answer.text
    stored = hash_password(PASSWORD)
    floor = []
    for _ in range(args.signins):
        started = time.perf_counter()
        assert verify_password(stored, PASSWORD)
        floor.append((time.perf_counter() - started) * 1000)
    median, argon2 = statistics.median(timings), statistics.median(floor)
    print(f"signin median_ms={median:.1f} p95_ms={percentile(timings, 0.95):.1f} "
          f"argon2_ms={argon2:.1f} ratio={median / argon2:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
