"""Console passwords: Argon2id hashes, the account password policy, constant-time checks.

Every password operation (CreateLoginProfile, UpdateLoginProfile,
ChangePassword) and the console's sign-in go through here, so a password is
only ever held in memory for the one request and stored only as an Argon2id
hash (RFC 9106's low-memory profile, pinned so that a library upgrade cannot
silently weaken new hashes). A new password must satisfy the account's
custom password policy or, when the account has none, AWS's default policy
(IAM User Guide, "Set an account password policy for IAM users"); with
PasswordReusePrevention it must also differ from the current password and
the earlier ones kept in the login profile. AllowUsersToChangePassword is a
grant, not a restriction: it lets every IAM user call ChangePassword on
itself and GetAccountPasswordPolicy without an identity policy saying so.
"""

from __future__ import annotations

import dataclasses
import functools
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import RFC_9106_LOW_MEMORY

from iamd.model.entities import LoginProfile, PasswordPolicy, User
from iamd.model.errors import AccessDenied, PasswordPolicyViolation
from iamd.policy.decision import EXPLICIT_DENY
from iamd.service.authorization import (
    decide,
    denial_message,
    described_resource,
    request_context,
    resource_arn,
)
from iamd.service.context import IAM_USER, OperationContext
from iamd.service.registry import OPERATIONS, Params
from iamd.store.interface import Transaction

# AWS's one sentence for every kind of violation, reuse included (seen from
# CreateLoginProfile, UpdateLoginProfile and CloudFormation's AWS::IAM::User).
POLICY_VIOLATION = "Password does not conform to the account password policy."

# The longest PasswordReusePrevention AWS allows: no earlier hash beyond it
# can ever matter, so the history is cut there.
MAX_HISTORY = 24

# The characters RequireSymbols means (IAM API reference, UpdateAccountPasswordPolicy).
SYMBOLS = frozenset("!@#$%^&*()_+-=[]{}|'")

# AWS's default password policy, for accounts without a custom one.
DEFAULT_MINIMUM_LENGTH = 8
DEFAULT_CHARACTER_TYPES = 3

_hasher = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True if `password` matches; Argon2's comparison is constant-time."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _decoy_hash() -> str:
    # Made once per process, of a password nobody chose.
    return hash_password("iamd decoy: this hash verifies no password")


def _character_types(password: str) -> int:
    return sum((any("A" <= c <= "Z" for c in password), any("a" <= c <= "z" for c in password),
                any("0" <= c <= "9" for c in password), any(c in SYMBOLS for c in password)))


def conforms(password: str, policy: PasswordPolicy | None,
             account_names: tuple[str, ...] = ()) -> bool:
    """Whether `password` satisfies the custom policy, or AWS's default policy if None.

    The default policy: at least 8 characters, at least three of uppercase,
    lowercase, digits and symbols, and not identical to the account's name
    or email address (`account_names`).
    """
    if policy is None:
        return (len(password) >= DEFAULT_MINIMUM_LENGTH
                and _character_types(password) >= DEFAULT_CHARACTER_TYPES
                and password not in account_names)
    # "A to Z", "a to z", "0 to 9": the ISO basic Latin letters and digits
    # only, not str.isupper's idea of an uppercase letter.
    return (len(password) >= policy.minimum_password_length
            and (not policy.require_uppercase_characters or any("A" <= c <= "Z" for c in password))
            and (not policy.require_lowercase_characters or any("a" <= c <= "z" for c in password))
            and (not policy.require_numbers or any("0" <= c <= "9" for c in password))
            and (not policy.require_symbols or any(c in SYMBOLS for c in password)))


def check_new_password(tx: Transaction, account_id: str, password: str,
                       profile: LoginProfile | None = None) -> None:
    """Raise PasswordPolicyViolation unless `password` may become the user's password.

    `profile` is the user's current login profile, if any: with
    PasswordReusePrevention n, the new password must differ from the
    current one and the n - 1 before it.
    """
    policy = tx.password_policies.get(account_id)
    account_names: tuple[str, ...] = ()
    if policy is None:
        account = tx.accounts.get(account_id)
        if account is not None:
            account_names = tuple(n for n in (account.name, account.email) if n)
    if not conforms(password, policy, account_names):
        raise PasswordPolicyViolation(POLICY_VIOLATION)
    if profile is not None and policy is not None and policy.password_reuse_prevention:
        remembered = (profile.password_hash, *profile.history)[:policy.password_reuse_prevention]
        if any(verify_password(earlier, password) for earlier in remembered):
            raise PasswordPolicyViolation(POLICY_VIOLATION)


def new_login_profile(user: User, password: str, now: datetime, *,
                      reset_required: bool) -> LoginProfile:
    return LoginProfile(user_id=user.id, password_hash=hash_password(password),
                        password_reset_required=reset_required, created=now,
                        password_changed=now)


def with_new_password(profile: LoginProfile, password: str, now: datetime, *,
                      reset_required: bool) -> LoginProfile:
    """The profile after a password change: the old hash joins the history."""
    history = (profile.password_hash, *profile.history)[:MAX_HISTORY]
    return dataclasses.replace(profile, password_hash=hash_password(password),
                               password_reset_required=reset_required,
                               password_changed=now, history=history)


def password_expired(profile: LoginProfile, policy: PasswordPolicy | None,
                     now: datetime) -> bool:
    """Whether MaxPasswordAge has run out for this password (the console asks)."""
    if policy is None or not policy.max_password_age:
        return False
    return now >= profile.password_changed + timedelta(days=policy.max_password_age)


def verify_console_password(tx: Transaction, user: User | None, password: str,
                            now: datetime) -> bool:
    """Check a console sign-in's password; on success record PasswordLastUsed.

    `user` is None when no user has the name given: one Argon2 verification
    is spent all the same, as it is for a user without a login profile, so
    the time taken does not tell which names exist or have passwords. A hash
    made with weaker parameters than today's is replaced on success, while
    the password is at hand.
    """
    profile = tx.login_profiles.get(user.id) if user is not None else None
    if user is None or profile is None:
        verify_password(_decoy_hash(), password)
        return False
    if not verify_password(profile.password_hash, password):
        return False
    if _hasher.check_needs_rehash(profile.password_hash):
        tx.login_profiles.update(dataclasses.replace(profile,
                                                     password_hash=hash_password(password)))
    tx.users.record_password_used(user.id, now)
    return True


def authorize_with_password_grant(ctx: OperationContext, params: Params) -> None:
    """Authorize ChangePassword or GetAccountPasswordPolicy, AllowUsersToChangePassword included.

    The account-level grant stands in for an identity policy that allows the
    call, so it lifts an implicit deny for IAM users but never an explicit one.
    """
    spec = OPERATIONS[(ctx.service, ctx.operation)]
    action = f"{spec.service}:{spec.name}"
    resource = resource_arn(ctx, spec, params)
    decision = decide(ctx, action, resource, request_context(ctx, action, params))
    if decision.allowed:
        return
    if decision.decision != EXPLICIT_DENY and ctx.caller.kind == IAM_USER:
        policy = ctx.tx.password_policies.get(ctx.account_id)
        if policy is not None and policy.allow_users_to_change_password:
            return
    raise AccessDenied(denial_message(ctx.caller.arn, action,
                                      described_resource(spec.service, spec.name, params,
                                                         resource), decision))
