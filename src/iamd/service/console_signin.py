"""Console sign-in: passwords, MFA codes, throttling, the root user's password.

An IAM user signs in with the account (id or alias), the user name and the
password; the root user with the account's email address and its password.
Whatever was wrong, the answer is the same sentence, and the same Argon2
work is done, so a stranger learns nothing about which names exist.
Failed attempts are counted per account and user name and per client
address, in the store (every node sees them): after five for a user (twenty
for an address, which many people may share behind one NAT), each further
try waits, doubling from a minute up to fifteen; a success clears the count
for that user. A principal with an MFA device then gives a code, accepted once.
"""

from __future__ import annotations

import functools
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import ParamSpec

from iamd.model.entities import Account, User
from iamd.service.console_sessions import (
    PENDING_MFA,
    ROOT_USER,
    USER,
    ConsoleState,
    new_state,
)
from iamd.service.metrics import count_signin
from iamd.service.mfa import authenticate_root_code, authenticate_user_code
from iamd.service.passwords import (
    _decoy_hash,
    conforms,
    hash_password,
    password_expired,
    verify_console_password,
    verify_password,
)
from iamd.service.runtime import Runtime
from iamd.store.interface import Transaction

P = ParamSpec("P")

INCORRECT = "Your authentication information is incorrect. Please try again."
EXPIRED_HARD = ("Your password has expired and cannot be changed by you. "
                "Contact your administrator.")
FREE_TRIES = 5
FREE_TRIES_PER_ADDRESS = 20
FIRST_DELAY = timedelta(minutes=1)
LONGEST_DELAY = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class SignInResult:
    state: ConsoleState | None  # USER/ROOT_USER signed in, or PENDING_MFA; None: refused
    error: str = ""
    retry_after: int = 0  # seconds, when throttled


def signin_outcome(result: SignInResult) -> str:
    """How an attempt ended, as iamd_console_signins_total counts it."""
    if result.state is None:
        return "throttled" if result.retry_after else "failure"
    return "mfa_required" if result.state.kind == PENDING_MFA else "success"


def _counted(sign_in: Callable[P, SignInResult]) -> Callable[P, SignInResult]:
    @functools.wraps(sign_in)
    def counted(*args: P.args, **kwargs: P.kwargs) -> SignInResult:
        result = sign_in(*args, **kwargs)
        count_signin(signin_outcome(result))
        return result
    return counted


def find_account(tx: Transaction, reference: str) -> Account | None:
    """An account by its 12-digit id or its alias."""
    reference = reference.strip()
    if len(reference) == 12 and reference.isdigit():
        return tx.accounts.get(reference)
    return tx.accounts.get_by_alias(reference.lower()) if reference else None


def account_id_for(runtime: Runtime, reference: str) -> str | None:
    """The id of the account a person named by id or alias (switch role)."""
    with runtime.store.transaction(read_only=True) as tx:
        account = find_account(tx, reference)
    return account.account_id if account is not None else None


def _delay(subject: str, failures: int) -> timedelta:
    free = FREE_TRIES_PER_ADDRESS if subject.startswith("address:") else FREE_TRIES
    if failures < free:
        return timedelta(0)
    delay: timedelta = FIRST_DELAY * (2 ** min(failures - free, 10))
    return min(delay, LONGEST_DELAY)


def _wait_needed(tx: Transaction, subjects: list[str], now: datetime) -> int:
    longest = 0
    for subject in subjects:
        found = tx.signin_failures.get(subject)
        if found is None:
            continue
        failures, last = found
        if now - last >= FORGET_AFTER:
            continue
        ready = last + _delay(subject, failures)
        if ready > now:
            longest = max(longest, int((ready - now).total_seconds()) + 1)
    return longest


def _throttled(seconds: int) -> SignInResult:
    minutes = max(1, (seconds + 59) // 60)
    return SignInResult(None, "You have made too many failed sign-in attempts. "
                              f"Try again in {minutes} minute{'s' if minutes > 1 else ''}.",
                        retry_after=seconds)


def _fail(runtime: Runtime, subjects: list[str], now: datetime) -> SignInResult:
    with runtime.store.transaction() as tx:
        for subject in subjects:
            found = tx.signin_failures.get(subject)
            if found is not None and now - found[1] >= FORGET_AFTER:
                tx.signin_failures.clear(subject)
            tx.signin_failures.record(subject, now)
    return SignInResult(None, INCORRECT)


@_counted
def sign_in_user(runtime: Runtime, account_ref: str, user_name: str, password: str,
                 client_ip: str, now: datetime) -> SignInResult:
    subjects = [f"user:{account_ref.strip().lower()}:{user_name.strip().lower()}",
                f"address:{client_ip}"]
    with runtime.store.transaction() as tx:
        wait = _wait_needed(tx, subjects, now)
        if wait:
            return _throttled(wait)
        account = find_account(tx, account_ref)
        user: User | None = None
        if account is not None and user_name.strip():
            user = tx.users.get_by_name(account.account_id, user_name.strip())
        if not verify_console_password(tx, user, password, now):
            user = None
        profile = tx.login_profiles.get(user.id) if user is not None else None
        policy = tx.password_policies.get(account.account_id) if account is not None else None
        has_mfa = bool(tx.mfa_devices.list_for_user(user.id)) if user is not None else False
    if user is None or profile is None or account is None:
        return _fail(runtime, subjects, now)
    expired = password_expired(profile, policy, now)
    if expired and policy is not None and policy.hard_expiry:
        return SignInResult(None, EXPIRED_HARD)
    with runtime.store.transaction() as tx:
        tx.signin_failures.clear(subjects[0])
    state = new_state(USER, account.account_id, now, user_id=user.id,
                      must_change_password=profile.password_reset_required or expired)
    return SignInResult(replace(state, kind=PENDING_MFA, base={"kind": USER}) if has_mfa
                        else state)


@_counted
def sign_in_root(runtime: Runtime, email: str, password: str, client_ip: str,
                 now: datetime) -> SignInResult:
    subjects = [f"root:{email.strip().lower()}", f"address:{client_ip}"]
    with runtime.store.transaction() as tx:
        wait = _wait_needed(tx, subjects, now)
        if wait:
            return _throttled(wait)
        account = tx.accounts.get_by_email(email.strip()) if email.strip() else None
        stored = tx.accounts.root_password_hash(account.account_id) if account else None
        has_mfa = bool(tx.mfa_devices.list_for_root(account.account_id)) if account else False
    good = verify_password(stored or _decoy_hash(), password) and stored is not None
    if not good or account is None:
        return _fail(runtime, subjects, now)
    with runtime.store.transaction() as tx:
        tx.signin_failures.clear(subjects[0])
    state = new_state(ROOT_USER, account.account_id, now)
    return SignInResult(replace(state, kind=PENDING_MFA, base={"kind": ROOT_USER}) if has_mfa
                        else state)


@_counted
def complete_mfa(runtime: Runtime, pending: ConsoleState, code: str, client_ip: str,
                 now: datetime) -> SignInResult:
    """The second step: a fresh code of one of the principal's MFA devices."""
    root = (pending.base or {}).get("kind") == ROOT_USER
    subjects = [f"mfa:{pending.account_id}:{pending.user_id or 'root'}", f"address:{client_ip}"]
    with runtime.store.transaction() as tx:
        wait = _wait_needed(tx, subjects, now)
        if wait:
            return _throttled(wait)
        if root:
            ok = authenticate_root_code(tx, runtime.secrets, pending.account_id, code.strip(), now)
        else:
            ok = any(authenticate_user_code(tx, runtime.secrets, pending.account_id,
                                            pending.user_id, device.serial_number, code.strip(),
                                            now) is None
                     for device in tx.mfa_devices.list_for_user(pending.user_id))
    if not ok:
        return _fail(runtime, subjects, now)
    return SignInResult(replace(pending, kind=ROOT_USER if root else USER, base=None,
                                mfa_time=now.isoformat(), signed_in=now.isoformat()))


def set_root_email(runtime: Runtime, account_id: str, email: str) -> None:
    """The root user's email address: its console sign-in name, unique across accounts."""
    email = email.strip()
    if "@" not in email or len(email) > 255:
        raise ValueError(f"not an email address: {email!r}")
    with runtime.store.transaction() as tx:
        account = tx.accounts.get(account_id)
        if account is None:
            raise ValueError(f"no account {account_id}")
        other = tx.accounts.get_by_email(email)
        if other is not None and other.account_id != account_id:
            raise ValueError(f"account {other.account_id} already has that email address")
        tx.accounts.update(replace(account, email=email))


def set_root_password(runtime: Runtime, account_id: str, password: str) -> None:
    """Give the root user a console password (AWS's rules for root passwords)."""
    with runtime.store.transaction() as tx:
        account = tx.accounts.get(account_id)
        if account is None:
            raise ValueError(f"no account {account_id}")
        if not account.email:
            raise ValueError("the root user has no email address to sign in with; "
                             "give one with --root-email")
        names = tuple(n for n in (account.name, account.email) if n)
        if len(password) > 128 or not conforms(password, None, names):
            raise ValueError("the password must be 8 to 128 characters with at least three of: "
                             "uppercase letters, lowercase letters, numbers, symbols")
        tx.accounts.set_root_password_hash(account_id, hash_password(password))


_SYMBOLS = "!@#$%^&*()_+-=[]{}|"


def generate_password(length: int = 20) -> str:
    """A random password that meets any password policy iamd accepts (all four kinds)."""
    kinds = (string.ascii_uppercase, string.ascii_lowercase, string.digits, _SYMBOLS)
    alphabet = "".join(kinds)
    while True:
        chosen = "".join(secrets.choice(alphabet) for _ in range(max(length, 14)))
        if all(any(c in kind for c in chosen) for kind in kinds):
            return chosen
