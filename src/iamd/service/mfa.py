"""TOTP for virtual MFA devices: making a seed, showing it as a QR code, and
checking a code against the sealed seed so that each code is good once.

A seed is 40 random bytes written as 64 characters of base32 (RFC 4648, no
padding), the form AWS hands out; it is sealed under the master key, bound
to the device's serial number, and opened only for the moment of a check.
Codes are RFC 6238 TOTP (HMAC-SHA1, 30-second steps, six digits). A code is
accepted for the current step and one step either side, to forgive clocks
and slow typing, and compared in constant time. A code is good once: the
step it matched is recorded on the device, and the next code must match a
later step. IAM's EnableMFADevice and ResyncMFADevice, STS's AssumeRole and
GetSessionToken, and the console all check codes here.
"""

from __future__ import annotations

import base64
import enum
import hmac
import io
import secrets
from datetime import datetime
from typing import TypeGuard
from urllib.parse import quote

import pyotp
import segno

from iamd.model.entities import MfaDevice
from iamd.model.errors import AccessDenied
from iamd.service.context import OperationContext
from iamd.store.interface import Transaction
from iamd.store.secrets import SecretBox

SEED_BYTES = 40  # 64 base32 characters, as long as AWS's seeds
STEP_SECONDS = 30
DIGITS = 6
WINDOW = 1  # steps accepted on either side of the current one

# STS's words, trailing space and double space included.
STS_BAD_CODE = "MultiFactorAuthentication failed with invalid MFA one time pass code. "
STS_NO_DEVICE = ("MultiFactorAuthentication failed, unable to validate MFA code.  Please verify "
                 "your MFA serial number is valid and associated with this user.")


def new_seed() -> str:
    """A fresh random seed in base32 (40 bytes encode without padding)."""
    return base64.b32encode(secrets.token_bytes(SEED_BYTES)).decode("ascii")


def seed_associated_data(serial_number: str) -> bytes:
    """What a device's sealed seed is bound to: its serial number, so a sealed
    seed copied onto another device does not open."""
    return b"iamd/mfa-seed/" + serial_number.encode("utf-8")


def seal_seed(box: SecretBox, serial_number: str, seed: str) -> bytes:
    return box.encrypt(seed.encode("ascii"), seed_associated_data(serial_number))


def _open_seed(box: SecretBox, device: MfaDevice) -> str:
    return box.decrypt(device.seed_ciphertext,
                       seed_associated_data(device.serial_number)).decode("ascii")


def provisioning_uri(seed: str, device_name: str, account_label: str) -> str:
    """The otpauth URI AWS documents for its QR codes:
    otpauth://totp/$virtualMFADeviceName@$AccountName?secret=$Base32String."""
    label = quote(f"{device_name}@{account_label}", safe="@")
    return f"otpauth://totp/{label}?secret={seed}"


def qr_code_png(uri: str) -> bytes:
    """A PNG of the URI as a QR code, as an authenticator app scans it."""
    buffer = io.BytesIO()
    segno.make_qr(uri, error="m").save(buffer, kind="png", scale=4, border=4)
    return buffer.getvalue()


def time_step(now: datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def _code_at(totp: pyotp.TOTP, step: int) -> str:
    code: str = totp.generate_otp(step)
    return code


def _well_formed(code: str | None) -> TypeGuard[str]:
    return code is not None and len(code) == DIGITS and code.isascii() and code.isdigit()


def _matches(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode("ascii"), given.encode("ascii"))


def _matching_step(seed: str, code: str | None, now: datetime) -> int | None:
    """The step in the window whose code this is (the latest, should two
    share it); None if none.

    Every candidate is computed and compared, so the time taken does not
    depend on which step (if any) matched.
    """
    if not _well_formed(code):
        return None
    totp = pyotp.TOTP(seed, digits=DIGITS, interval=STEP_SECONDS)
    current = time_step(now)
    found: int | None = None
    for step in range(current - WINDOW, current + WINDOW + 1):
        if _matches(_code_at(totp, step), code):
            found = step
    return found


def _consecutive_step(seed: str, first: str | None, second: str | None,
                      now: datetime) -> int | None:
    """The step of `second` if the two codes are consecutive steps and the
    second lies in the window; None otherwise."""
    if not (_well_formed(first) and _well_formed(second)):
        return None
    totp = pyotp.TOTP(seed, digits=DIGITS, interval=STEP_SECONDS)
    current = time_step(now)
    found: int | None = None
    for step in range(current - WINDOW, current + WINDOW + 1):
        first_ok = _matches(_code_at(totp, step - 1), first)
        second_ok = _matches(_code_at(totp, step), second)
        if first_ok and second_ok:
            found = step
    return found


def _fresh(device: MfaDevice, step: int | None) -> int | None:
    if step is None or (device.last_step is not None and step <= device.last_step):
        return None
    return step


def check_code_pair(box: SecretBox, device: MfaDevice, first: str | None,
                    second: str | None, now: datetime) -> int | None:
    """For EnableMFADevice and ResyncMFADevice: the step to record if the two
    codes are consecutive, current and never seen; None otherwise.

    Read the device with `for_update=True` first, so that the step checked
    against is the one the transaction will overwrite.
    """
    return _fresh(device, _consecutive_step(_open_seed(box, device), first, second, now))


def accept_code(tx: Transaction, box: SecretBox, device: MfaDevice, code: str | None,
                now: datetime) -> bool:
    """Check one code and, if good, spend its step on the device (one
    conditional update, so of two requests racing with it one wins)."""
    step = _fresh(device, _matching_step(_open_seed(box, device), code, now))
    return step is not None and tx.mfa_devices.record_step(device.serial_number, step)


class MfaFailure(enum.Enum):
    """Why a caller's MFA did not authenticate (each has its own AWS message)."""

    NO_DEVICE = "no-device"  # the serial is not a device enabled for this user
    BAD_CODE = "bad-code"  # wrong, stale or already used code


def authenticate_user_code(tx: Transaction, box: SecretBox, account_id: str,
                           user_id: str | None, serial_number: str | None, code: str | None,
                           now: datetime) -> MfaFailure | None:
    """For STS and the console: None if `code` is a fresh code of the device
    `serial_number`, enabled for the user `user_id` of `account_id`."""
    device = tx.mfa_devices.get(serial_number, for_update=True) if serial_number else None
    if (device is None or user_id is None or device.user_id != user_id
            or device.account_id != account_id):
        return MfaFailure.NO_DEVICE
    if not accept_code(tx, box, device, code, now):
        return MfaFailure.BAD_CODE
    return None


def authenticate_root_code(tx: Transaction, box: SecretBox, account_id: str, code: str | None,
                           now: datetime) -> bool:
    """For the console's root sign-in: a fresh code of one of root's devices."""
    return any(accept_code(tx, box, device, code, now)
               for device in tx.mfa_devices.list_for_root(account_id))


def verify_session_mfa(ctx: OperationContext, serial_number: str | None,
                       code: str | None) -> bool:
    """For AssumeRole and GetSessionToken: True if the call brings a good code
    of an MFA device enabled for the calling user, False if it brings no MFA
    at all; AccessDenied, in STS's words, if the code is bad or the device is
    not the caller's."""
    if not serial_number and not code:
        return False
    user = ctx.caller.user
    failure = authenticate_user_code(ctx.tx, ctx.runtime.secrets, ctx.account_id,
                                     user.id if user is not None else None, serial_number, code,
                                     ctx.info.now)
    if failure is MfaFailure.NO_DEVICE:
        raise AccessDenied(STS_NO_DEVICE)
    if failure is MfaFailure.BAD_CODE:
        raise AccessDenied(STS_BAD_CODE)
    return True
