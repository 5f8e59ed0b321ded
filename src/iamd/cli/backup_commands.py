"""`iamd backup PATH` and `iamd restore PATH`: a SQLite store and its master key.

A backup is a consistent copy of the live store (store/backup.py), taken
while the server runs. The master key is never copied silently: the command
insists on `--with-master-key` (the key, or key ring, also written to
`PATH.master.key`, mode 0600: one place to restore from, and one secret to
guard) or `--without-master-key` (the copy alone, useless to a thief; keep
the key apart, in a secret store). Sealed values carry the id of the key
that sealed them, and the backup command says which ids the copy needs.

`iamd restore PATH` puts a backup back into a data directory whose server
is stopped. It checks everything before it changes anything: the file is an
undamaged iamd store of a schema this iamd knows (older ones are migrated),
and the master key it will run with (the data directory's, `$IAMD_MASTER_KEY`,
or the backup's `PATH.master.key` / `--master-key FILE` for a data directory
without one) opens every token key in it. An existing store is replaced only
with `--replace`.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any


def register(commands: Any) -> None:
    backup = commands.add_parser("backup", help="copy a live SQLite store (and its master key)")
    backup.add_argument("path", help="the backup file to write (must not exist)")
    choice = backup.add_mutually_exclusive_group(required=True)
    choice.add_argument("--with-master-key", dest="with_key", action="store_true", default=None,
                        help="also write the master key to PATH.master.key (mode 0600)")
    choice.add_argument("--without-master-key", dest="with_key", action="store_false",
                        help="copy the store only; keep the master key safe elsewhere")
    restore = commands.add_parser("restore", help="put a backup back (with the server stopped)")
    restore.add_argument("path", help="a file written by iamd backup")
    restore.add_argument("--master-key", default=None, metavar="FILE",
                         help="the backup's master key (default PATH.master.key if it exists); "
                              "installed in a data directory that has none")
    restore.add_argument("--replace", action="store_true",
                         help="replace the data directory's existing store")
    for parser, run in ((backup, run_backup), (restore, run_restore)):
        parser.add_argument("--data-dir", default=os.environ.get("IAMD_DATA_DIR", "iamd-data"))
        parser.add_argument("--database", default=os.environ.get("IAMD_DATABASE_URL"))
        parser.set_defaults(run=run)


def _store_file(args: argparse.Namespace) -> tuple[Path, Path]:
    from iamd.cli.serve_command import config_from
    from iamd.store.backup import sqlite_path

    config = config_from(args.data_dir, args.database, dev=False, account_id=None)
    return Path(config["data_dir"]), sqlite_path(config["database"])


def run_backup(args: argparse.Namespace) -> int:
    from iamd.store.backup import BackupError, copy_store
    from iamd.store.secrets import MasterKeyError, MasterKeys, current_master_keys, write_key_file

    target = Path(args.path)
    key_path = Path(f"{target}.master.key")
    try:
        data_dir, store = _store_file(args)
        before = current_master_keys(data_dir)
        if args.with_key and key_path.exists():
            raise BackupError(f"{key_path} already exists; choose a new name")
        copy_store(store, target)
        # A master key rotation may run meanwhile: the copy may hold values
        # sealed under any key of the ring before or after it, so it needs both.
        after = current_master_keys(data_dir)
        keys = MasterKeys(after.keys + tuple(k for k in before.keys if k not in after.keys),
                          after.where)
    except (BackupError, MasterKeyError) as error:
        raise SystemExit(f"iamd: {error}") from None
    print(f"iamd: backup of {store} written to {target}", file=sys.stderr)
    if args.with_key:
        write_key_file(key_path, keys.text)
        print(f"iamd: its master key (key id {keys.ids_text}) written to {key_path} (mode 0600); "
              "keep it as safe as the key itself", file=sys.stderr)
    else:
        print(f"iamd: the master key is NOT in the backup: it needs key id {keys.ids_text}, "
              f"from {keys.where}", file=sys.stderr)
    return 0


def run_restore(args: argparse.Namespace) -> int:
    from iamd.store.backup import (
        BackupError,
        check_backup,
        remove_staged,
        restore_into,
        staged_copy,
    )
    from iamd.store.secrets import MasterKeyError, write_key_file

    backup = Path(args.path)
    given = Path(args.master_key) if args.master_key else Path(f"{backup}.master.key")
    staged: Path | None = None
    try:
        data_dir, store = _store_file(args)
        check_backup(backup)
        if store.exists() and not args.replace:
            raise BackupError(f"{store} already holds a store; stop its server and add --replace "
                              "to replace it with the backup")
        if args.master_key and not given.is_file():
            raise BackupError(f"there is no master key file at {given}")
        keys, install = _keys_to_run_with(data_dir, given if given.is_file() else None)
        data_dir.mkdir(parents=True, exist_ok=True)
        staged = staged_copy(backup, data_dir)
        _check_secrets_open(staged, keys)
        if install is not None:
            write_key_file(data_dir / "master.key", install)
        restore_into(staged, store)
    except (BackupError, MasterKeyError) as error:
        raise SystemExit(f"iamd: {error}") from None
    finally:
        if staged is not None:
            remove_staged(staged)
    print(f"iamd: {backup} restored into {store}"
          + (f" with its master key in {data_dir / 'master.key'}" if install else ""),
          file=sys.stderr)
    return 0


def _keys_to_run_with(data_dir: Path, backup_keys: Path | None) -> tuple[Any, str | None]:
    """The master keys the restored server will use, and the key file text to
    install in the data directory (None: it has its own)."""
    from iamd.store.backup import BackupError
    from iamd.store.secrets import MasterKeys, current_master_keys, read_key_file

    own: MasterKeys | None
    try:
        own = current_master_keys(data_dir)
    except FileNotFoundError:
        own = None
    if own is not None:
        if backup_keys is not None and not MasterKeys.parse(
                read_key_file(backup_keys), str(backup_keys)).ids <= own.ids:
            raise BackupError(
                f"the data directory's master key ({own.where}) is not the one in {backup_keys}; "
                "restore into a data directory without a master key, or remove that key first")
        return own, None
    if backup_keys is None:
        raise BackupError("the data directory has no master key and the backup comes without "
                          "one: give the backup's key with --master-key FILE")
    text = read_key_file(backup_keys)
    return MasterKeys.parse(text, str(backup_keys)), text


def _check_secrets_open(staged: Path, keys: Any) -> None:
    """Every sealed value in the staged copy names a key of `keys`, and the
    token keys open (the proof that the key is the one, not just its id)."""
    from iamd.service.master_key_rotation import census
    from iamd.service.sts.token_keys import NoTokenKeys, TokenKeys
    from iamd.store.backup import BackupError
    from iamd.store.errors import StoreError
    from iamd.store.repository import open_store
    from iamd.store.secrets import SecretBox, SecretDecryptionError

    try:
        store = open_store(f"sqlite:///{staged}")
    except StoreError as error:
        raise BackupError(f"the backup cannot be opened by this iamd: {error}") from None
    try:
        TokenKeys(store, SecretBox.of(keys)).signing()
        foreign = sorted(set(census(store)) - keys.ids)
        if foreign:
            raise SecretDecryptionError(f"key ids {foreign}")
    except SecretDecryptionError:
        raise BackupError(f"the backup's secrets were sealed under another master key than "
                          f"{keys.where} (key id {keys.ids_text}); give the right one with "
                          "--master-key FILE") from None
    except NoTokenKeys:
        pass  # a store that never served: nothing sealed to check
    finally:
        store.close()
