"""The `iamd` command: one entry point, a subcommand per job."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from iamd.cli import (
    account_commands,
    backup_commands,
    credentials_command,
    keys_commands,
    policy_commands,
    serve_command,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="iamd", description="Self-hosted, AWS-compatible IAM and STS.")
    commands = parser.add_subparsers(dest="command", required=True)
    policy_commands.register(commands)
    serve_command.register(commands)
    account_commands.register(commands)
    credentials_command.register(commands)
    backup_commands.register(commands)
    keys_commands.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
