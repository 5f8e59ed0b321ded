"""Identifiers in AWS's forms: unique ids (AIDA..., AROA...), access keys, secrets.

Unique ids are a four-letter prefix naming the kind and 17 characters of
AWS's alphabet (base32: A-Z and 2-7); access key ids are AKIA (long-term)
or ASIA (temporary) and 16 such characters; secrets are 40 characters of
base64 alphabet. All come from the `secrets` module.

An access key id carries its account, as AWS's do (and as GetAccessKeyInfo
and secret scanners decode it): the 16 characters are base32 of ten bytes
whose first six hold the account id shifted left by seven bits, the rest
random. So any node can say which account a temporary key id belongs to
without the token.
"""

from __future__ import annotations

import base64
import secrets
import string

_ID_ALPHABET = string.ascii_uppercase + "234567"
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"

USER = "AIDA"
GROUP = "AGPA"
ROLE = "AROA"
POLICY = "ANPA"
INSTANCE_PROFILE = "AIPA"
SERVER_CERTIFICATE = "ASCA"
ACCESS_KEY = "AKIA"
TEMPORARY_ACCESS_KEY = "ASIA"


def _random(length: int, alphabet: str = _ID_ALPHABET) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def unique_id(prefix: str) -> str:
    return prefix + _random(17)


_ACCOUNT_MASK = 0x7FFFFFFFFF80


def access_key_id(prefix: str = ACCESS_KEY, account: str | None = None) -> str:
    """A key id; with `account`, one that encodes it as AWS's key ids do."""
    if account is None:
        return prefix + _random(16)
    head = (int(account) << 7) | secrets.randbelow(128) | (secrets.randbelow(2) << 47)
    raw = head.to_bytes(6, "big") + secrets.token_bytes(4)
    return prefix + base64.b32encode(raw).decode("ascii")


def account_of_key(key_id: str) -> str | None:
    """The account an access key id encodes; None unless it is one of AWS's form."""
    body = key_id[4:]
    if len(key_id) != 20 or not key_id[:4].isalpha() or any(c not in _ID_ALPHABET for c in body):
        return None
    head = int.from_bytes(base64.b32decode(body)[:6], "big")
    return f"{(head & _ACCOUNT_MASK) >> 7:012d}"


def secret_access_key() -> str:
    return _random(40, _SECRET_ALPHABET)


def account_id() -> str:
    # Twelve digits, never starting with 0 so it survives being read as a number.
    return str(secrets.randbelow(9 * 10**11) + 10**11)
