"""Re-sealing every secret in the store under the master key ring's sealing key.

What the master key seals, and what each value is bound to (its associated
data), is known here and nowhere else in one place: access key secrets, MFA
seeds, server certificates' private keys, service-specific passwords and
console sessions (columns of their own), and the keys kept in settings as
JSON (STS token keys, outbound web identity signing keys, SAML decryption
keys). The store lists them and swaps one only if it is unchanged
(store/sealed.py).

`reseal` opens each value sealed under another key and seals it again, a
batch of rows per transaction, while the server goes on serving: every value
is at every moment sealed under the old key or the new, and the box holds
both, so a crash mid-way loses nothing and a rerun finishes the job.
`census` counts sealed values by the key id they start with; a rotation is
done when only the sealing key's id is left.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from iamd.service import console_sessions, mfa
from iamd.service.iam import saml_keys, server_certificates, service_credentials
from iamd.service.sts import outbound_keys, token_keys
from iamd.store.interface import Store
from iamd.store.secrets import SecretBox, SecretDecryptionError, access_key_associated_data

BATCH = 100

# Columns of sealed bytes: the associated data of a row, from its key.
ROW_BINDINGS: dict[str, Callable[[str], bytes]] = {
    "access_keys": access_key_associated_data,
    "mfa_devices": mfa.seed_associated_data,
    "server_certificates": server_certificates.private_key_associated_data,
    "service_specific_credentials": service_credentials.password_associated_data,
    "console_sessions": console_sessions.state_associated_data,
}

# A settings row's sealed entries: each a dict whose "sealed" is hex, with its
# associated data.
Entries = Iterator[tuple[dict[str, Any], bytes]]


def _token_key_entries(_key: str, data: Any) -> Entries:
    for entry in data:
        yield entry, token_keys.associated_data(int(entry["id"]))


def _outbound_entries(key: str, data: Any) -> Entries:
    account_id = key.split(":", 1)[1]
    for algorithm in outbound_keys.ALGORITHMS:  # retired keys keep public halves only
        if algorithm in data:
            entry = data[algorithm]
            yield entry, outbound_keys.associated_data(account_id, algorithm, str(entry["kid"]))


def _saml_entries(key: str, data: Any) -> Entries:
    provider_arn = key.split(":", 1)[1]
    for entry in data.get("keys", []):
        yield entry, saml_keys.associated_data(provider_arn, str(entry["id"]))


SETTINGS_BINDINGS: dict[str, Callable[[str, Any], Entries]] = {
    token_keys.SETTINGS_KEY: _token_key_entries,
    "outbound_signing_keys:": _outbound_entries,
    "saml_provider_keys:": _saml_entries,
}


class ResealFailed(Exception):
    """A sealed value that no key of the ring opens; nothing after it was re-sealed."""


def reseal(store: Store, box: SecretBox, *, batch: int = BATCH) -> int:
    """Seal again, under `box`'s sealing key, every value sealed under another;
    how many were re-sealed. Values changed meanwhile are left to the next pass."""
    done = 0
    for table, binding in ROW_BINDINGS.items():
        after = ""
        while True:
            with store.transaction() as tx:
                rows = tx.sealed.page(table, after=after, limit=batch)
                target = bytes([box.sealing_key_id])
                for row_key, sealed in rows:
                    if sealed[:1] != target:
                        fresh = _sealed_again(box, sealed, binding(row_key), f"{table} {row_key}")
                        done += tx.sealed.replace(table, row_key, sealed, fresh)
            if len(rows) < batch:
                break
            after = rows[-1][0]
    for prefix, entries in SETTINGS_BINDINGS.items():
        after = ""
        while True:
            with store.transaction() as tx:
                settings = tx.sealed.settings_page(prefix, after=after, limit=batch)
                target = bytes([box.sealing_key_id])
                for key, value in settings:
                    data = json.loads(value)
                    changed = 0
                    for entry, associated in entries(key, data):
                        sealed = bytes.fromhex(entry["sealed"])
                        if sealed[:1] != target:
                            entry["sealed"] = _sealed_again(box, sealed, associated,
                                                            f"setting {key}").hex()
                            changed += 1
                    if changed and tx.sealed.replace_setting(key, value, json.dumps(
                            data, sort_keys=isinstance(data, dict))):
                        done += changed
            if len(settings) < batch:
                break
            after = settings[-1][0]
    return done


def census(store: Store, *, batch: int = 1000) -> Counter[int]:
    """How many sealed values each master key id seals."""
    counts: Counter[int] = Counter()
    for table in ROW_BINDINGS:
        after = ""
        while True:
            with store.transaction(read_only=True) as tx:
                rows = tx.sealed.page(table, after=after, limit=batch)
            counts.update(sealed[0] for _, sealed in rows if sealed)
            if len(rows) < batch:
                break
            after = rows[-1][0]
    for prefix, entries in SETTINGS_BINDINGS.items():
        after = ""
        while True:
            with store.transaction(read_only=True) as tx:
                settings = tx.sealed.settings_page(prefix, after=after, limit=batch)
            for key, value in settings:
                counts.update(bytes.fromhex(entry["sealed"])[0]
                              for entry, _ in entries(key, json.loads(value)))
            if len(settings) < batch:
                break
            after = settings[-1][0]
    return counts


def _sealed_again(box: SecretBox, sealed: bytes, associated: bytes, where: str) -> bytes:
    try:
        return box.encrypt(box.decrypt(sealed, associated), associated)
    except SecretDecryptionError as error:
        raise ResealFailed(f"{where}: {error}") from None
