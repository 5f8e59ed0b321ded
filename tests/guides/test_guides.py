"""The guides in docs/guides/ run: their marked blocks, in order, against a live `iamd serve`.

Convention (the info string of a fenced block, after the language):

    ```sh test              run in the guide's shell; every command must succeed
    ```sh test fails        run; its last command must fail (an error shown on purpose)
    ```python test          run with python in the guide's shell (same directory and environment)
    ```json file=NAME       not run: written to NAME in the guide's directory (any language)
    ```text output          what the test block before it prints (stdout and stderr together)
    ... requires=NAME       the block (and its output) runs only when NAME is here:
                            terraform (and its AWS provider mirror), node (and the JS SDK),
                            postgres (IAMD_TEST_POSTGRES_URL)

Unmarked blocks are for reading only; a guide says in one line why such a
block cannot run here (GitHub Actions itself, a load balancer, a browser).

Each guide gets its own `iamd serve` (a fresh store, as a reader's first
start) with its data directory at `iamd-data` in the guide's working
directory, and one bash shell, so variables, `cd` and background jobs carry
from block to block as in a reader's terminal. The shell runs with `set -e`
and `pipefail`: a failing command fails the guide. The reader's environment:
no AWS variables but `AWS_CONFIG_FILE`/`AWS_SHARED_CREDENTIALS_FILE` in a
temporary HOME, and the `iamd` profile of docs/guides/01-clients.md
(endpoint_url, region us-east-1, the admin's key from admin-credentials.csv)
with `AWS_PROFILE=iamd`, except in a guide that starts with
`<!-- guide-test: no-profile -->` (the clients guide makes that profile itself).

Addresses: guides use iamd's default `127.0.0.1:8000`; ports 8000-8009 in
marked blocks stand for free ports (8000 for the guide's server), replaced
in commands, files and expected output alike.

Expected output is compared line by line after trailing spaces are dropped;
`...` in it matches anything (on one line or across lines), as in doctest.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from iamd.testing import IamdServer, free_port

ROOT = Path(__file__).resolve().parents[2]
GUIDES = ROOT / "docs" / "guides"
BLOCK_TIMEOUT = 180.0
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
PORT = re.compile(r"(?<![\d.])800(\d)(?!\d)")
MARKER = "__GUIDE_BLOCK_DONE__"

TF_PROVIDER = "registry.terraform.io/hashicorp/aws"
TF_PROVIDER_VERSION = "5.100.0"
JS_SDK_VERSION = "3.1169.0"
JS_PACKAGES = ("@aws-sdk/client-iam", "@aws-sdk/client-sts")


@dataclass
class Block:
    line: int
    language: str
    flags: set[str]
    options: dict[str, str]
    text: str
    expected: Block | None = None

    @property
    def requires(self) -> list[str]:
        return [r for r in self.options.get("requires", "").split(",") if r]

    def where(self, guide: Path) -> str:
        return f"{guide.relative_to(ROOT)}:{self.line}"


@dataclass
class Guide:
    path: Path
    blocks: list[Block] = field(default_factory=list)
    profile: bool = True


def parse_guide(path: Path) -> Guide:
    text = path.read_text()
    guide = Guide(path, profile="<!-- guide-test: no-profile -->" not in text)
    previous: Block | None = None
    for found in FENCE.finditer(text):
        words = found.group(1).split()
        language = words[0] if words else ""
        flags = {w for w in words[1:] if "=" not in w}
        options = dict(w.split("=", 1) for w in words[1:] if "=" in w)
        block = Block(text.count("\n", 0, found.start()) + 1, language, flags, options,
                      found.group(2))
        if "output" in flags:
            if previous is None or "test" not in previous.flags or previous.expected is not None:
                raise AssertionError(f"{block.where(path)}: an output block follows no test block")
            previous.expected = block
            continue
        if "test" in flags or "file" in options:
            guide.blocks.append(block)
        previous = block
    return guide


def guide_paths() -> list[Path]:
    return sorted(GUIDES.glob("*.md"))


# -- what the reader's machine has ---------------------------------------------------------


def terraform_config(tmp: Path) -> Path | None:
    """A CLI configuration that installs the AWS provider from a local mirror, if one is here."""
    if shutil.which("terraform") is None:
        return None
    candidates = [os.environ.get("IAMD_TF_PLUGIN_MIRROR", ""), "/opt/tf-plugins",
                  str(Path.home() / ".terraform.d" / "plugins"),
                  "/usr/local/share/terraform/plugins", "/usr/share/terraform/plugins"]
    for candidate in filter(None, candidates):
        base = Path(candidate) / TF_PROVIDER
        if (base / TF_PROVIDER_VERSION).is_dir() or any(
                base.glob(f"terraform-provider-aws_{TF_PROVIDER_VERSION}_*.zip")):
            config = tmp / "terraform.tfrc"
            config.write_text(
                "provider_installation {\n"
                f"  filesystem_mirror {{\n    path = {json.dumps(candidate)}\n"
                f'    include = ["{TF_PROVIDER}"]\n  }}\n'
                f'  direct {{\n    exclude = ["{TF_PROVIDER}"]\n  }}\n}}\n')
            return config
    return None


def js_sdk(config: pytest.Config) -> Path | None:
    """node_modules with the JS SDK v3 clients, installed once into pytest's cache."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None or config.cache is None:
        return None
    folder = config.cache.mkdir(f"aws-sdk-js-{JS_SDK_VERSION}")

    def installed() -> bool:
        for package in JS_PACKAGES:
            manifest = folder / "node_modules" / package / "package.json"
            if not manifest.exists() or json.loads(manifest.read_text()).get(
                    "version") != JS_SDK_VERSION:
                return False
        return True

    with (folder / ".install-lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not installed():
            subprocess.run([npm, "install", "--prefix", str(folder), "--no-audit", "--no-fund",
                            "--loglevel=error", *(f"{p}@{JS_SDK_VERSION}" for p in JS_PACKAGES)],
                           capture_output=True, text=True, timeout=600, check=False)
    return folder / "node_modules" if installed() else None


# -- the reader's shell --------------------------------------------------------------------


class Shell:
    """One bash for a guide; each block is sourced in it with its output kept in a file."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.cwd = cwd
        self.scratch = cwd / ".guide-test"
        self.scratch.mkdir()
        self.count = 0
        with (self.scratch / "shell.err").open("w") as errors:  # the child keeps its copy
            self.process = subprocess.Popen(
                ["bash", "--noprofile", "--norc"], cwd=cwd, env=env, text=True,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors,
                start_new_session=True)
        self.send("set -o pipefail\n")

    def send(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text)
        self.process.stdin.flush()

    def run(self, script: str, *, must_succeed: bool) -> tuple[int, str]:
        """(exit status, stdout and stderr) of one block; the shell goes on to the next."""
        self.count += 1
        source = self.scratch / f"block-{self.count}.sh"
        output = self.scratch / f"block-{self.count}.out"
        source.write_text(script)
        errexit = "set -e; " if must_succeed else "set +e; "
        # stdin from /dev/null: a command reading its input must not eat the next blocks.
        self.send(f"{errexit}source {source} >{output} 2>&1 </dev/null; "
                  f"__rc=$?; set +e; echo {MARKER}$__rc\n")
        status = self._wait_marker()
        text = output.read_text(errors="replace") if output.exists() else ""
        return status, text

    def _wait_marker(self) -> int:
        assert self.process.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + BLOCK_TIMEOUT
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    self.close()
                    raise AssertionError(f"the block ran longer than {BLOCK_TIMEOUT:.0f} s")
                if not selector.select(timeout=left):
                    continue
                line = self.process.stdout.readline()
                if not line:  # set -e ended the shell: a command failed
                    return self.process.wait() or 1
                if line.startswith(MARKER):
                    return int(line[len(MARKER):].strip())
        finally:
            selector.close()

    def close(self) -> None:
        """End the shell and everything it started (its own process group)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


# -- comparing output ----------------------------------------------------------------------


def normalized(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines()).strip("\n")


def output_matches(expected: str, actual: str) -> bool:
    """`...` alone on a line stands for any number of lines; within a line, for any text."""
    pattern = ""
    for line in normalized(expected).split("\n"):
        if line == "...":
            pattern += r"(?:[^\n]*\n)*?"
        else:
            pattern += ".*?".join(re.escape(part) for part in line.split("...")) + "\n"
    return re.fullmatch(pattern, normalized(actual) + "\n", re.DOTALL) is not None


# -- the test ------------------------------------------------------------------------------


def fresh_schema(url: str) -> str:
    """A new empty PostgreSQL schema; the URL returned points iamd at it."""
    import secrets

    import psycopg

    name = "guide_" + secrets.token_hex(6)
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"),
                         autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{name}"


class Ports:
    def __init__(self, server_port: int) -> None:
        self.map = {"0": str(server_port)}

    def substitute(self, text: str) -> str:
        def port(found: re.Match[str]) -> str:
            digit = found.group(1)
            if digit not in self.map:
                self.map[digit] = str(free_port())
            return self.map[digit]
        return PORT.sub(port, text)


def reader_env(home: Path, server: IamdServer, profile: bool, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "IAMD_", "PYTEST_", "TF_", "NODE_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["HOME"] = str(home)
    aws = home / ".aws"
    aws.mkdir(parents=True)
    env["AWS_CONFIG_FILE"] = str(aws / "config")
    env["AWS_SHARED_CREDENTIALS_FILE"] = str(aws / "credentials")
    if profile:
        (aws / "config").write_text(
            f"[profile iamd]\nregion = us-east-1\nendpoint_url = {server.endpoint}\n")
        (aws / "credentials").write_text(
            f"[iamd]\naws_access_key_id = {server.access_key_id}\n"
            f"aws_secret_access_key = {server.secret_access_key}\n")
        env["AWS_PROFILE"] = "iamd"
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def available(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
              ) -> dict[str, str | None]:
    """What `requires=` can name, with the reason when it is missing."""
    tmp = tmp_path_factory.mktemp("tools")
    return {"terraform": None if terraform_config(tmp) else "terraform or its AWS provider "
                                                           "mirror is not here",
            "node": None if shutil.which("node") else "node is not on the PATH",
            "postgres": None if os.environ.get("IAMD_TEST_POSTGRES_URL")
            else "IAMD_TEST_POSTGRES_URL is not set"}


@pytest.mark.parametrize("path", guide_paths(), ids=lambda p: p.stem)
def test_guide(path: Path, tmp_path: Path, request: pytest.FixtureRequest,
               available: dict[str, str | None]) -> None:
    guide = parse_guide(path)
    assert any("test" in b.flags for b in guide.blocks) or "guide-test: none" in path.read_text(), \
        f"{path.name} has no runnable block"
    work, home = tmp_path / "work", tmp_path / "home"
    work.mkdir()
    needs = {r for b in guide.blocks for r in b.requires}
    extra: dict[str, str] = {}
    if "terraform" in needs:
        config = terraform_config(tmp_path)
        if config is not None:
            extra["TF_CLI_CONFIG_FILE"] = str(config)
    if "node" in needs:
        modules = js_sdk(request.config)
        if modules is None:
            available = {**available, "node": "npm could not install the JS SDK"}
        else:
            (work / "node_modules").symlink_to(modules)
    if "postgres" in needs and not available["postgres"]:
        extra["DATABASE_URL"] = fresh_schema(os.environ["IAMD_TEST_POSTGRES_URL"])
    with IamdServer.start(work / "iamd-data") as server:
        ports = Ports(int(server.endpoint.rsplit(":", 1)[1]))
        shell = Shell(work, reader_env(home, server, guide.profile, extra))
        skipped: list[str] = []
        try:
            for block in guide.blocks:
                missing = [available.get(r, f"unknown requirement {r}") for r in block.requires]
                if any(missing):
                    skipped.append(f"{block.where(path)}: {'; '.join(filter(None, missing))}")
                    continue
                text = ports.substitute(block.text)
                if "file" in block.options:
                    target = work / block.options["file"]
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_text(text)
                    continue
                script = text if block.language in ("sh", "bash", "shell") else \
                    f"python - <<'__GUIDE_PYTHON__'\n{text}__GUIDE_PYTHON__\n"
                if block.language not in ("sh", "bash", "shell", "python"):
                    raise AssertionError(f"{block.where(path)}: cannot run {block.language!r}")
                fails = "fails" in block.flags
                started = time.monotonic()
                status, out = shell.run(script, must_succeed=not fails)
                print(f"{block.where(path)}: {time.monotonic() - started:.1f} s")
                if fails:
                    assert status != 0, f"{block.where(path)} should have failed:\n{out}"
                else:
                    assert status == 0, (f"{block.where(path)} failed ({status}):\n{out}"
                                         f"{(work / '.guide-test' / 'shell.err').read_text()}")
                    if shell.process.poll() is not None:
                        raise AssertionError(f"{block.where(path)} ended the shell:\n{out}")
                if block.expected is not None:
                    expected = ports.substitute(block.expected.text)
                    assert output_matches(expected, out), (
                        f"{block.expected.where(path)}: the output no longer matches\n"
                        f"--- expected\n{normalized(expected)}\n--- actual\n{normalized(out)}")
        finally:
            shell.close()
        if skipped:
            # The rest ran; say what did not.
            print("not run here:\n  " + "\n  ".join(skipped))


def test_readme_links_every_guide() -> None:
    readme = (ROOT / "README.md").read_text()
    linked = set(re.findall(r"\]\((docs/[^)#]+)\)", readme))
    for target in linked:
        assert (ROOT / target).exists(), f"README links {target}, which does not exist"
    for path in guide_paths():
        assert str(path.relative_to(ROOT)) in linked, f"README does not link {path.name}"
