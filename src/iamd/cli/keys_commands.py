"""`iamd keys rotate-master|reseal|status`: the master key, changed while iamd serves.

`rotate-master` is the whole rotation for a data directory's key file (one
node, or nodes that share that file): it puts a new key first in the file,
in front of the old one. Every iamd process reading the file notices the
change at its next seal and seals under the new key from then on, and opens
values sealed under either. It re-seals every secret in the store, checks
that none is left under the old key (again after a second, for seals that
were in flight when the file changed), and only then drops the old key
from the file (`--keep-old-keys` keeps it). Stopped at any point, nothing is
lost: until the very end, the file holds both keys; run it again to finish
(`reseal`).

`reseal` re-seals under the ring's first key: the step for nodes whose keys
come from `$IAMD_MASTER_KEY` or from files of their own, where the operator
puts the new key on every node first (see docs/guides/09-running-it.md),
and the way to finish a rotation that was stopped; `--drop-old-keys` then
leaves only the first key in the data directory's file, if nothing is left
under the others. `status` counts the sealed values by key id.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
from pathlib import Path
from typing import Any

# Passes after the first, a second apart, before a rotation gives up on seals
# still arriving under an old key (a process that does not read the key file).
CHECK_PASSES = 5


def register(commands: Any) -> None:
    keys = commands.add_parser("keys", help="rotate the master key")
    verbs = keys.add_subparsers(dest="verb", required=True)
    rotate = verbs.add_parser("rotate-master", help="a new master key, every secret re-sealed")
    rotate.add_argument("--keep-old-keys", action="store_true",
                        help="leave the old keys in the key file (as readers) when done")
    rotate.set_defaults(run=run_rotate_master)
    reseal = verbs.add_parser("reseal", help="re-seal every secret under the first key")
    reseal.add_argument("--drop-old-keys", action="store_true",
                        help="then, if nothing is left under them, remove the other keys "
                             "from the data directory's key file")
    reseal.set_defaults(run=run_reseal)
    status = verbs.add_parser("status", help="how many secrets each master key seals")
    status.set_defaults(run=run_status)
    for parser in (rotate, reseal, status):
        parser.add_argument("--data-dir", default=os.environ.get("IAMD_DATA_DIR", "iamd-data"))
        parser.add_argument("--database", default=os.environ.get("IAMD_DATABASE_URL"))


def _open(args: argparse.Namespace) -> tuple[Any, Any, Path]:
    """The store, the box the server would use, and the data directory."""
    from iamd.cli.serve_command import config_from
    from iamd.store.errors import StoreError
    from iamd.store.repository import open_store
    from iamd.store.secrets import MASTER_KEY_FILE, MasterKeyError, SecretBox

    config = config_from(args.data_dir, args.database, dev=False, account_id=None)
    data_dir = Path(config["data_dir"])
    if not (data_dir / MASTER_KEY_FILE).exists() and "IAMD_MASTER_KEY" not in os.environ:
        raise SystemExit(f"iamd: no master key in {data_dir} (nor $IAMD_MASTER_KEY): "
                         "is --data-dir the server's?")
    try:
        box = SecretBox.load(data_dir)
        return open_store(config["database"]), box, data_dir
    except (MasterKeyError, StoreError) as error:
        raise SystemExit(f"iamd: {error}") from None


def _report(counts: Any, box: Any) -> dict[str, Any]:
    return {"SealingKeyId": box.sealing_key_id, "KeyIdsHere": box.key_ids,
            "SealedByKeyId": {str(key_id): count for key_id, count in sorted(counts.items())}}


def run_rotate_master(args: argparse.Namespace) -> int:
    from iamd.service.master_key_rotation import ResealFailed, census, reseal
    from iamd.store.secrets import (
        KEY_SIZE,
        MASTER_KEY_ENV,
        MASTER_KEY_FILE,
        MasterKeyError,
        MasterKeys,
        key_id_of,
        read_key_file,
        write_key_file,
    )

    if MASTER_KEY_ENV in os.environ:
        raise SystemExit(
            f"iamd: the master key comes from ${MASTER_KEY_ENV}, which iamd cannot change: put "
            "a new key first in it on every node (the old one after it), then run "
            "`iamd keys reseal`, then remove the old key (docs/guides/09-running-it.md)")
    store, box, data_dir = _open(args)
    path = data_dir / MASTER_KEY_FILE
    try:
        old = MasterKeys.parse(read_key_file(path), str(path))
        new_key = secrets.token_bytes(KEY_SIZE)
        while key_id_of(new_key) in old.ids:  # ids are one byte: make sure this one is new
            new_key = secrets.token_bytes(KEY_SIZE)
        # From here on every process reading the file seals under the new key
        # and opens under both.
        write_key_file(path, MasterKeys((new_key, *old.keys), str(path)).text)
    except MasterKeyError as error:
        store.close()
        raise SystemExit(f"iamd: {error}; nothing was changed") from None
    new_id = key_id_of(new_key)
    try:
        resealed = reseal(store, box)
        left = 0
        for _ in range(CHECK_PASSES):
            time.sleep(1.0)  # seals begun before the file changed have committed by now
            resealed += reseal(store, box)
            counts = census(store)
            left = sum(count for key_id, count in counts.items() if key_id != new_id)
            if left == 0:
                break
    except (MasterKeyError, ResealFailed) as error:
        raise SystemExit(f"iamd: {error} (the key file keeps every key: nothing is lost; "
                         "fix this and run `iamd keys reseal`)") from None
    finally:
        store.close()
    retired = sorted(old.ids)
    if left:
        print(f"iamd: {left} secrets are still sealed under an old key (a node that does not "
              f"read {path}?); the old keys stay in the file: run `iamd keys reseal`",
              file=sys.stderr)
        return 1
    if not args.keep_old_keys:
        try:
            write_key_file(path, MasterKeys((new_key,), str(path)).text)
        except MasterKeyError as error:
            raise SystemExit(f"iamd: every secret is sealed under master key {new_id}, but "
                             f"the old key could not be removed: {error}") from None
    print(json.dumps({"MasterKeyId": new_id, "Resealed": resealed,
                      "OldKeyIds": retired, "OldKeysKept": bool(args.keep_old_keys)}))
    print(f"iamd: every secret is sealed under master key {new_id}"
          + ("" if args.keep_old_keys else "; the old key is gone from the key file")
          + ". Back up the new key file.", file=sys.stderr)
    return 0


def run_reseal(args: argparse.Namespace) -> int:
    from iamd.service.master_key_rotation import ResealFailed, census, reseal
    from iamd.store.secrets import (
        MASTER_KEY_ENV,
        MASTER_KEY_FILE,
        MasterKeys,
        key_id_of,
        read_key_file,
        write_key_file,
    )

    if args.drop_old_keys and MASTER_KEY_ENV in os.environ:
        raise SystemExit(f"iamd: the keys come from ${MASTER_KEY_ENV}: remove the old one "
                         "there, on every node")
    store, box, data_dir = _open(args)
    try:
        resealed = reseal(store, box)
        counts = census(store)
    except ResealFailed as error:
        raise SystemExit(f"iamd: {error}") from None
    finally:
        store.close()
    done = set(counts) <= {box.sealing_key_id}
    print(json.dumps({"Resealed": resealed} | _report(counts, box)))
    if args.drop_old_keys and done:
        path = data_dir / MASTER_KEY_FILE
        keys = MasterKeys.parse(read_key_file(path), str(path))
        if key_id_of(keys.sealing) == box.sealing_key_id:  # the file did not change meanwhile
            write_key_file(path, MasterKeys(keys.keys[:1], str(path)).text)
    return 0 if done else 1


def run_status(args: argparse.Namespace) -> int:
    from iamd.service.master_key_rotation import census

    store, box, _ = _open(args)
    try:
        print(json.dumps(_report(census(store), box)))
    finally:
        store.close()
    return 0
