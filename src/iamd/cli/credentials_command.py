"""`iamd credentials-endpoint`: serve an instance profile's role credentials on loopback.

The secure way to give an application AWS credentials is to give it none:
it runs "on an instance with a profile", and its SDK fetches the role's
temporary credentials from the platform. This command is that platform for
iamd. It opens the same store as `iamd serve` (same data directory for the
master key, or the same `--database`), so the sessions it issues verify on
every iamd node, and serves them in the container-credentials form and the
IMDSv2 form (see iamd.api.credentials_app). The container form needs a
token: a new random one each start, written to a 0600 file whose path (not
the token) is printed, and removed again on exit.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import secrets
import signal
import socket
import sys
from pathlib import Path
from typing import Any

TOKEN_FILE = "credentials-endpoint-{profile}.token"


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "credentials-endpoint",
        help="serve an instance profile's role credentials to local applications")
    parser.add_argument("--instance-profile", required=True, metavar="NAME")
    parser.add_argument("--data-dir", default=os.environ.get("IAMD_DATA_DIR", "iamd-data"),
                        help="the data directory of the iamd it serves beside (master key)")
    parser.add_argument("--database", default=os.environ.get("IAMD_DATABASE_URL"),
                        help="postgresql://... when iamd runs on PostgreSQL")
    parser.add_argument("--port", type=int, default=0, help="loopback port (default: any free one)")
    parser.add_argument("--account-id", default=None,
                        help="the account of the profile (default: the store's first account)")
    parser.add_argument("--token-file", default=None,
                        help="where to write the container token (default: in the data directory)")
    parser.add_argument("--no-imds", action="store_true",
                        help="serve only the token-protected container form, not the IMDSv2 one")
    parser.add_argument("--log-level", default="warning")
    parser.set_defaults(run=run_credentials_endpoint)


def write_token(path: Path) -> str:
    """A fresh token in a file only its owner can read; returns the token.

    Written to a new file beside the target and renamed over it: a reader
    never sees half a token, and a link someone put at the path is replaced,
    never written through.
    """
    token = secrets.token_urlsafe(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(token)
        os.replace(scratch, path)
    except BaseException:
        with contextlib.suppress(OSError):
            scratch.unlink()
        raise
    return token


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _remove_token(path: Path, token: str) -> None:
    with contextlib.suppress(OSError):
        if path.read_text() == token:  # not if another endpoint has written it since
            path.unlink()


def run_credentials_endpoint(args: argparse.Namespace) -> int:
    import uvicorn

    from iamd.api.credentials_app import create_credentials_app
    from iamd.cli.serve_command import build_runtime, config_from
    from iamd.service.instance_credentials import (
        InstanceCredentialsError,
        InstanceCredentialSource,
        InstanceProfileNotFound,
    )

    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    out = sys.stderr
    config = config_from(args.data_dir, args.database, dev=False, account_id=args.account_id)
    if not args.database and not Path(config["database"].removeprefix("sqlite:///")).exists():
        # build_runtime would set up a new store with a new account here.
        print(f"iamd: no iamd store in {config['data_dir']}: start `iamd serve` with this "
              "data directory first (or pass --database for PostgreSQL)", file=out)
        return 2
    runtime, _ = build_runtime(config)
    try:
        account_id = args.account_id or runtime.default_account_id
        source = InstanceCredentialSource(runtime, account_id, args.instance_profile)
        try:
            first = source.current()
            print(f"iamd: instance {source.instance_id} has role {first.role_arn}; its sessions "
                  f"are {first.assumed_role_arn}", file=out)
        except InstanceProfileNotFound as exc:
            print(f"iamd: {exc}", file=out)
            return 2
        except InstanceCredentialsError as exc:
            # The role may be added or trusted later; the endpoint says why until then.
            print(f"iamd: warning: {exc}", file=out)

        token_path = Path(args.token_file or Path(config["data_dir"]) / TOKEN_FILE.format(
            profile=args.instance_profile)).resolve()
        token = write_token(token_path)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", args.port))
        port = sock.getsockname()[1]
        base = f"http://127.0.0.1:{port}"
        print(f"iamd: credentials of instance profile {args.instance_profile} on {base}\n"
              "  container credentials (token in a 0600 file, never printed):\n"
              f"    export AWS_CONTAINER_CREDENTIALS_FULL_URI={base}/credentials\n"
              f"    export AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE={token_path}", file=out)
        if not args.no_imds:
            print(f"  instance metadata (IMDSv2):\n"
                  f"    export AWS_EC2_METADATA_SERVICE_ENDPOINT={base}/", file=out)
        out.flush()
        app = create_credentials_app(source, token, imds=not args.no_imds)
        server = uvicorn.Server(uvicorn.Config(app, log_level=args.log_level,
                                               timeout_graceful_shutdown=5))
        # uvicorn shuts down gracefully, then raises the signal again with the
        # handler it found; ours turns it into an exit so the token file is
        # removed instead of the process dying on the spot.
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, _exit_on_signal)
        try:
            server.run(sockets=[sock])
        finally:
            _remove_token(token_path, token)
            sock.close()
    finally:
        runtime.store.close()
    return 0
