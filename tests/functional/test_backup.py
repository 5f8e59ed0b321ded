"""`iamd backup` and `iamd restore`, run as a user runs them, against a real `iamd serve`.

The backup is taken while boto3 clients write; the restored store, served by
a second `iamd serve`, must be the store at one instant: of each writer's
users (made one after another), a prefix, none missing before the last one
present, each as the original answers it, and the keys made before the
backup must still sign requests (their secrets open under the restored
master key). A restore that cannot succeed says why and changes nothing.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from iamd.testing import IamdServer

WRITERS = 3


def iamd(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "iamd.cli.main", *args],
                          capture_output=True, text=True, check=check, timeout=120)


def users_by_writer(iam: Any) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {writer: [] for writer in range(WRITERS)}
    for page in iam.get_paginator("list_users").paginate(PathPrefix="/load/"):
        for user in page["Users"]:
            _, writer, number = user["UserName"].split("-")
            found[int(writer)].append(int(number))
    return {writer: sorted(numbers) for writer, numbers in found.items()}


def test_backup_under_write_load_restores_one_instant(tmp_path: Path) -> None:
    with IamdServer.start(tmp_path / "live") as live:
        iam = live.client("iam")
        made: dict[int, list[int]] = {writer: [] for writer in range(WRITERS)}
        keys: dict[str, tuple[str, str]] = {}
        failures: list[BaseException] = []
        stop = threading.Event()

        def write(writer: int) -> None:
            client = live.client("iam")
            number = 0
            try:
                while not stop.is_set():
                    name = f"load-{writer}-{number}"
                    client.create_user(UserName=name, Path="/load/")
                    if number % 5 == 0:
                        key = client.create_access_key(UserName=name)["AccessKey"]
                        keys[name] = (key["AccessKeyId"], key["SecretAccessKey"])
                    made[writer].append(number)
                    number += 1
            except BaseException as error:  # reported by the test below
                failures.append(error)

        threads = [threading.Thread(target=write, args=(writer,)) for writer in range(WRITERS)]
        for thread in threads:
            thread.start()
        time.sleep(1.0)
        before = {writer: len(numbers) for writer, numbers in made.items()}
        done = iamd("backup", str(tmp_path / "copy.sqlite3"), "--with-master-key",
                    "--data-dir", str(live.data_dir))
        time.sleep(0.5)
        stop.set()
        for thread in threads:
            thread.join()
        assert failures == []
        assert "key id" in done.stderr and "master.key" in done.stderr
        assert all(len(made[writer]) > before[writer] for writer in made), "writes went on"

        iamd("restore", str(tmp_path / "copy.sqlite3"), "--data-dir", str(tmp_path / "restored"))
        with IamdServer.start(tmp_path / "restored") as restored:
            # The admin's key came with the store (its credentials file did not).
            copy = restored.client("iam", live.access_key_id, live.secret_access_key)
            found = users_by_writer(copy)
            for writer in range(WRITERS):
                numbers = found[writer]
                # One instant: a prefix of what each writer made, at least
                # what was made before the backup began.
                assert numbers == list(range(len(numbers)))
                assert before[writer] <= len(numbers) <= len(made[writer])
            for name in (f"load-0-{n}" for n in found[0][:3]):
                assert copy.get_user(UserName=name)["User"] == iam.get_user(UserName=name)["User"]
            signed = [name for name in keys if int(name.split("-")[2]) in found[int(name.split("-")[1])]]
            assert signed
            for name in signed[:5]:
                caller = restored.client("sts", *keys[name]).get_caller_identity()
                assert caller["Arn"].endswith(f":user/load/{name}")


def test_restore_refuses_what_it_cannot_do_and_changes_nothing(tmp_path: Path) -> None:
    with IamdServer.start(tmp_path / "first") as first:
        first.client("iam").create_user(UserName="kept")
        iamd("backup", str(tmp_path / "alone.sqlite3"), "--without-master-key",
             "--data-dir", str(first.data_dir))
        iamd("backup", str(tmp_path / "whole.sqlite3"), "--with-master-key",
             "--data-dir", str(first.data_dir))
    assert not Path(f"{tmp_path / 'alone.sqlite3'}.master.key").exists()
    with IamdServer.start(tmp_path / "other") as other:
        other.client("iam").create_user(UserName="theirs")
    store = tmp_path / "other" / "iamd.sqlite3"
    digest = hashlib.sha256(store.read_bytes()).hexdigest()

    refused = {
        "no key": iamd("restore", str(tmp_path / "alone.sqlite3"),
                       "--data-dir", str(tmp_path / "empty"), check=False),
        "store there": iamd("restore", str(tmp_path / "whole.sqlite3"),
                            "--data-dir", str(tmp_path / "other"), check=False),
        "other key": iamd("restore", str(tmp_path / "alone.sqlite3"), "--replace",
                          "--data-dir", str(tmp_path / "other"), check=False),
        "not a backup": iamd("restore", str(tmp_path / "other" / "server.log"), "--replace",
                             "--data-dir", str(tmp_path / "other"), check=False),
        "exists": iamd("backup", str(tmp_path / "whole.sqlite3"), "--without-master-key",
                       "--data-dir", str(tmp_path / "other"), check=False),
    }
    assert {reason: done.returncode for reason, done in refused.items()} == dict.fromkeys(refused, 1)
    assert "--master-key FILE" in refused["no key"].stderr
    assert "--replace" in refused["store there"].stderr
    assert "another master key" in refused["other key"].stderr
    assert "not an iamd backup" in refused["not a backup"].stderr
    assert "already exists" in refused["exists"].stderr
    assert all("Traceback" not in done.stderr for done in refused.values())
    assert hashlib.sha256(store.read_bytes()).hexdigest() == digest
    assert not (tmp_path / "empty").exists()
    assert sorted(p.name for p in (tmp_path / "other").iterdir() if p.name.startswith(".")) == []

    # The backup without its key restores with the key given separately.
    iamd("restore", str(tmp_path / "alone.sqlite3"), "--data-dir", str(tmp_path / "again"),
         "--master-key", f"{tmp_path / 'whole.sqlite3'}.master.key")
    with IamdServer.start(tmp_path / "again") as again:
        iam = again.client("iam", first.access_key_id, first.secret_access_key)
        assert iam.get_user(UserName="kept")["User"]["UserName"] == "kept"


def test_postgresql_is_pointed_at_pg_dump(tmp_path: Path) -> None:
    done = iamd("backup", str(tmp_path / "copy"), "--without-master-key", "--data-dir",
                str(tmp_path), "--database", "postgresql://iamd@db.invalid/iamd", check=False)
    assert done.returncode == 1
    assert "pg_dump" in done.stderr and "master key" in done.stderr
    assert not (tmp_path / "copy").exists()
