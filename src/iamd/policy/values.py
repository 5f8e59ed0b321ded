"""Parsing the typed values that condition operators compare.

Each parser returns None for text that does not parse, never raises: AWS
treats a value that does not parse for its operator as not matching.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from datetime import UTC, datetime
from functools import lru_cache

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return None if value != value else value  # NaN never compares


@lru_cache(maxsize=4096)
def parse_date(text: str) -> float | None:
    """ISO 8601 (date, or date and time, Z or offset) or epoch seconds -> epoch seconds."""
    stripped = text.strip()
    if not stripped:
        return None
    number = parse_number(stripped)
    if number is not None and "-" not in stripped[1:]:
        return number
    try:
        moment = datetime.fromisoformat(stripped.replace("z", "Z"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def parse_bool(text: str) -> bool | None:
    lowered = text.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    return None


def parse_binary(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


@lru_cache(maxsize=4096)
def parse_network(text: str) -> IpNetwork | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def parse_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None
