"""`iamd account create|list|set-root-password`: accounts in one store and their root users.

Each new account gets its own root user and an `admin` user in an
`Administrators` group with its access key, written once to a 0600 CSV in
the data directory, as on first start. `--root-email` is the root user's
email address, its console sign-in name. `set-root-password` gives the root
user a console password: asked for twice at the terminal (or read as two
lines from standard input when that is not a terminal), never taken as an
argument, where it would land in shell history and process listings.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from typing import Any


def register(commands: Any) -> None:
    account = commands.add_parser("account", help="create and list accounts")
    verbs = account.add_subparsers(dest="verb", required=True)
    for verb, run in (("create", run_create), ("list", run_list),
                      ("set-root-password", run_set_root_password)):
        parser = verbs.add_parser(verb)
        parser.add_argument("--data-dir", default=os.environ.get("IAMD_DATA_DIR", "iamd-data"))
        parser.add_argument("--database", default=os.environ.get("IAMD_DATABASE_URL"))
        if verb == "create":
            parser.add_argument("--name", default="")
            parser.add_argument("--root-email", "--email", dest="email", default=None,
                                help="the root user's email address (its console sign-in)")
            parser.add_argument("--account-id", default=None)
        if verb == "set-root-password":
            parser.add_argument("--account-id", default=None,
                                help="default: the store's first account")
            parser.add_argument("--root-email", default=None,
                                help="set the root user's email address too")
        parser.set_defaults(run=run)


def _runtime(args: argparse.Namespace) -> Any:
    from iamd.cli.serve_command import build_runtime, config_from

    runtime, _ = build_runtime(config_from(args.data_dir, args.database, dev=False, account_id=None))
    return runtime


def run_create(args: argparse.Namespace) -> int:
    from iamd.service.bootstrap import add_account

    runtime = _runtime(args)
    try:
        credentials = add_account(runtime, name=args.name, email=args.email, account_id=args.account_id)
    finally:
        runtime.store.close()
    print(json.dumps({"AccountId": credentials.account_id, "AdminUser": credentials.user_name,
                      "AccessKeyId": credentials.access_key_id,
                      "CredentialsFile": str(credentials.path)}))
    print(f"iamd: the new admin's secret is in {credentials.path} (mode 0600)", file=sys.stderr)
    return 0


def run_list(args: argparse.Namespace) -> int:
    from iamd.service.bootstrap import list_accounts

    runtime = _runtime(args)
    try:
        for account in list_accounts(runtime):
            print(json.dumps({"AccountId": account.account_id, "Name": account.name,
                              "Email": account.email, "Created": account.created.isoformat()}))
    finally:
        runtime.store.close()
    return 0


def _read_new_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("New root password: ")
        second = getpass.getpass("Retype new root password: ")
    else:
        first, second = sys.stdin.readline().rstrip("\n"), sys.stdin.readline().rstrip("\n")
    if first != second:
        raise SystemExit("iamd: the passwords do not match")
    return first


def run_set_root_password(args: argparse.Namespace) -> int:
    from iamd.service.console_signin import set_root_email, set_root_password

    runtime = _runtime(args)
    try:
        account_id = args.account_id or runtime.default_account_id
        try:
            if args.root_email:
                set_root_email(runtime, account_id, args.root_email)
            set_root_password(runtime, account_id, _read_new_password())
        except ValueError as error:
            raise SystemExit(f"iamd: {error}") from None
    finally:
        runtime.store.close()
    print(f"iamd: the root user of account {account_id} has a new console password", file=sys.stderr)
    return 0
