"""`iamd account create|list`: more accounts in one store, for cross-account roles.

Each new account gets its own root user and an `admin` user in an
`Administrators` group with its access key, written once to a 0600 CSV in
the data directory, as on first start.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any


def register(commands: Any) -> None:
    account = commands.add_parser("account", help="create and list accounts")
    verbs = account.add_subparsers(dest="verb", required=True)
    for verb, run in (("create", run_create), ("list", run_list)):
        parser = verbs.add_parser(verb)
        parser.add_argument("--data-dir", default=os.environ.get("IAMD_DATA_DIR", "iamd-data"))
        parser.add_argument("--database", default=os.environ.get("IAMD_DATABASE_URL"))
        if verb == "create":
            parser.add_argument("--name", default="")
            parser.add_argument("--email", default=None)
            parser.add_argument("--account-id", default=None)
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
