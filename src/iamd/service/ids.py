"""Identifiers in AWS's forms: unique ids (AIDA..., AROA...), access keys, secrets.

Unique ids are a four-letter prefix naming the kind and 17 characters of
upper-case letters and digits, as IAM returns them; access key ids are AKIA
(long-term) or ASIA (temporary) and 16 such characters; secrets are 40
characters of base64 alphabet. All come from the `secrets` module.
"""

from __future__ import annotations

import secrets
import string

_ID_ALPHABET = string.ascii_uppercase + string.digits
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


def access_key_id(prefix: str = ACCESS_KEY) -> str:
    return prefix + _random(16)


def secret_access_key() -> str:
    return _random(40, _SECRET_ALPHABET)


def account_id() -> str:
    # Twelve digits, never starting with 0 so it survives being read as a number.
    return str(secrets.randbelow(9 * 10**11) + 10**11)
