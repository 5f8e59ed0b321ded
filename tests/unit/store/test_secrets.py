"""SecretBox: sealing access key secrets under the master key."""

from __future__ import annotations

import base64
import os
import stat
import threading
from pathlib import Path

import pytest

from iamd.store.secrets import (
    MASTER_KEY_ENV,
    MasterKeyError,
    MasterKeys,
    SecretBox,
    SecretDecryptionError,
    access_key_associated_data,
    current_master_keys,
    key_id_of,
    write_key_file,
)

KEY = bytes(range(32))
AD = access_key_associated_data("AKIAEXAMPLE0000001")
SECRET = b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def test_round_trip_and_fresh_nonces() -> None:
    box = SecretBox(KEY)
    sealed = box.encrypt(SECRET, AD)
    assert box.decrypt(sealed, AD) == SECRET
    assert len(sealed) == 1 + 12 + len(SECRET) + 16
    assert SECRET not in sealed
    assert box.encrypt(SECRET, AD) != sealed  # a new nonce every time


@pytest.mark.parametrize("position", [1, 5, 13, 20, -1])
def test_any_flipped_bit_is_detected(position: int) -> None:
    box = SecretBox(KEY)
    sealed = bytearray(box.encrypt(SECRET, AD))
    sealed[position] ^= 0x01
    with pytest.raises(SecretDecryptionError, match="does not authenticate"):
        box.decrypt(bytes(sealed), AD)


def test_a_secret_moved_to_another_key_row_does_not_open() -> None:
    box = SecretBox(KEY)
    sealed = box.encrypt(SECRET, AD)
    with pytest.raises(SecretDecryptionError):
        box.decrypt(sealed, access_key_associated_data("AKIAEXAMPLE0000002"))


def test_another_master_key_is_named_as_the_cause() -> None:
    sealed = SecretBox(KEY).encrypt(SECRET, AD)
    other = bytes(32)
    assert sealed[0] != SecretBox(other).encrypt(b"", b"")[0]
    with pytest.raises(SecretDecryptionError, match="another master key"):
        SecretBox(other).decrypt(sealed, AD)


def test_truncated_input_is_refused() -> None:
    with pytest.raises(SecretDecryptionError, match="too short"):
        SecretBox(KEY).decrypt(b"\x01" * 20, AD)


def test_key_must_be_256_bits() -> None:
    with pytest.raises(MasterKeyError):
        SecretBox(bytes(16))


def test_key_from_the_environment(tmp_path: Path) -> None:
    environ = {MASTER_KEY_ENV: base64.b64encode(KEY).decode()}
    sealed = SecretBox(KEY).encrypt(SECRET, AD)
    assert SecretBox.load(tmp_path, environ).decrypt(sealed, AD) == SECRET
    assert not (tmp_path / "master.key").exists()
    urlsafe = {MASTER_KEY_ENV: base64.urlsafe_b64encode(bytes([251] * 32)).decode()}
    SecretBox.load(tmp_path, urlsafe)


@pytest.mark.parametrize("value", ["not base64!", base64.b64encode(bytes(31)).decode(), ""])
def test_bad_key_in_the_environment_is_refused_without_echoing_it(tmp_path: Path,
                                                                  value: str) -> None:
    with pytest.raises(MasterKeyError) as raised:
        SecretBox.load(tmp_path, {MASTER_KEY_ENV: value})
    assert value == "" or value not in str(raised.value)


def test_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    box = SecretBox.load(tmp_path, {})
    path = tmp_path / "master.key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert len(base64.b64decode(path.read_text())) == 32
    sealed = box.encrypt(SECRET, AD)
    assert SecretBox.load(tmp_path, {}).decrypt(sealed, AD) == SECRET
    assert [p.name for p in tmp_path.iterdir()] == ["master.key"]


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o610])
def test_key_file_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    SecretBox.load(tmp_path, {})
    path = tmp_path / "master.key"
    path.chmod(mode)
    with pytest.raises(MasterKeyError, match=f"mode {mode:04o}.*chmod 600"):
        SecretBox.load(tmp_path, {})


def test_key_file_in_a_missing_directory_is_reported(tmp_path: Path) -> None:
    with pytest.raises(MasterKeyError, match="cannot read or create"):
        SecretBox.load(tmp_path / "missing", {})


def test_concurrent_first_starts_agree_on_one_key(tmp_path: Path) -> None:
    start = threading.Barrier(8)
    boxes: list[SecretBox] = []

    def load() -> None:
        start.wait()
        boxes.append(SecretBox.load(tmp_path, {}))

    threads = [threading.Thread(target=load) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sealed = boxes[0].encrypt(SECRET, AD)
    assert all(box.decrypt(sealed, AD) == SECRET for box in boxes)
    assert [p.name for p in tmp_path.iterdir()] == ["master.key"]


def test_a_ring_seals_under_its_first_key_and_opens_under_each(tmp_path: Path) -> None:
    old, new = KEY, bytes(range(100, 132))
    sealed_old = SecretBox(old).encrypt(SECRET, AD)
    ring = SecretBox(new, old)
    assert ring.decrypt(sealed_old, AD) == SECRET
    assert ring.encrypt(SECRET, AD)[0] == key_id_of(new) == ring.sealing_key_id
    keys = MasterKeys.parse(f"{base64.b64encode(new).decode()},{base64.b64encode(old).decode()}",
                            "test")
    assert keys.sealing == new and keys.ids == {key_id_of(new), key_id_of(old)}
    assert MasterKeys.parse(keys.text, "file") == MasterKeys(keys.keys, "file")
    with pytest.raises(MasterKeyError, match="share a key id"):
        MasterKeys.parse(f"{base64.b64encode(old).decode()}\n" * 2, "test")


def test_a_box_follows_its_key_file(tmp_path: Path) -> None:
    box = SecretBox.load(tmp_path, {})
    first = current_master_keys(tmp_path, {})
    sealed_first = box.encrypt(SECRET, AD)
    new = bytes(range(50, 82))
    other = SecretBox.load(tmp_path, {})  # another process reading the same file
    write_key_file(tmp_path / "master.key", MasterKeys((new, *first.keys), "file").text)
    assert box.encrypt(SECRET, AD)[0] == key_id_of(new)  # the next seal uses the new key
    assert other.decrypt(SecretBox(new).encrypt(SECRET, AD), AD) == SECRET  # an unknown id reloads
    # Keys dropped from the file keep opening in processes that held them.
    write_key_file(tmp_path / "master.key", MasterKeys((new,), "file").text)
    assert box.sealing_key_id == key_id_of(new)
    assert box.decrypt(sealed_first, AD) == SECRET
    # A damaged file is not taken: the box keeps the keys it has.
    (tmp_path / "master.key").write_text("not a key\n")
    assert box.encrypt(SECRET, AD)[0] == key_id_of(new)
