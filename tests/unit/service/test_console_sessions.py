"""Console sessions and sign-in at the service layer, with the clock in hand:
idle and absolute limits, sign-out, sealing, throttling's schedule."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from iamd.service import console_signin
from iamd.service.bootstrap import create_account
from iamd.service.console_sessions import (
    USER,
    ConsoleState,
    end_session,
    load_session,
    new_state,
    open_session,
)
from iamd.service.console_signin import INCORRECT, set_root_email, set_root_password
from iamd.service.runtime import Runtime
from iamd.service.sts.token_keys import TokenKeys
from iamd.store import open_store
from iamd.store.secrets import SecretBox

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    store = open_store(f"sqlite:///{tmp_path / 'iamd.db'}")
    try:
        made = Runtime(store=store, secrets=(box := SecretBox(bytes(range(32)))),
                       token_keys=TokenKeys(store, box), data_dir=tmp_path)
        made.token_keys.ensure()
        create_account(made, "111122223333", console_password="Adm1n-Passw0rd!x")
        yield made
    finally:
        store.close()


def _user_state(now: datetime) -> ConsoleState:
    return new_state(USER, "111122223333", now, user_id="AIDAEXAMPLE")


def test_a_session_idles_out_after_an_hour(runtime: Runtime) -> None:
    token = open_session(runtime, _user_state(NOW), NOW)
    assert load_session(runtime, token, NOW + timedelta(minutes=59)) is not None
    # That visit moved last-seen on: another 59 minutes later it is still alive.
    assert load_session(runtime, token, NOW + timedelta(minutes=118)) is not None
    assert load_session(runtime, token, NOW + timedelta(minutes=180)) is None
    # Gone for good, not merely refused this once.
    assert load_session(runtime, token, NOW + timedelta(minutes=119)) is None


def test_a_session_ends_after_twelve_hours_however_busy(runtime: Runtime) -> None:
    token = open_session(runtime, _user_state(NOW), NOW)
    moment = NOW
    while moment < NOW + timedelta(hours=11, minutes=30):
        moment += timedelta(minutes=30)
        assert load_session(runtime, token, moment) is not None
    assert load_session(runtime, token, NOW + timedelta(hours=12)) is None


def test_sign_out_ends_the_session(runtime: Runtime) -> None:
    token = open_session(runtime, _user_state(NOW), NOW)
    end_session(runtime, token)
    assert load_session(runtime, token, NOW) is None
    assert load_session(runtime, "not-a-session", NOW) is None
    assert load_session(runtime, "x" * 5000, NOW) is None


def test_the_store_holds_neither_the_cookie_nor_the_state_in_clear(runtime: Runtime) -> None:
    token = open_session(runtime, _user_state(NOW), NOW)
    session = load_session(runtime, token, NOW)
    assert session is not None
    with runtime.store.transaction(read_only=True) as tx:
        record = tx.console_sessions.get(session.id_hash)
    assert record is not None and token not in record.id_hash
    assert b"AIDAEXAMPLE" not in record.state and session.state.csrf_token.encode() not in record.state


def test_failed_sign_ins_wait_longer_and_longer(runtime: Runtime) -> None:
    moment = NOW
    for _ in range(console_signin.FREE_TRIES):
        result = console_signin.sign_in_user(runtime, "111122223333", "admin", "wrong",
                                             "192.0.2.1", moment)
        assert result.error == INCORRECT
    waiting = console_signin.sign_in_user(runtime, "111122223333", "admin", "Adm1n-Passw0rd!x",
                                          "192.0.2.1", moment)
    assert waiting.state is None and 0 < waiting.retry_after <= 61
    # A minute later the right password works (and clears the count).
    later = console_signin.sign_in_user(runtime, "111122223333", "admin", "Adm1n-Passw0rd!x",
                                        "192.0.2.1", moment + timedelta(seconds=61))
    assert later.state is not None and later.state.must_change_password


def test_root_password_rules_and_sign_in(runtime: Runtime) -> None:
    with pytest.raises(ValueError, match="no email address"):
        set_root_password(runtime, "111122223333", "R00t-Passw0rd!x")
    set_root_email(runtime, "111122223333", "Owner@Example.com")
    with pytest.raises(ValueError, match="8 to 128"):
        set_root_password(runtime, "111122223333", "lowercaseonly")
    set_root_password(runtime, "111122223333", "R00t-Passw0rd!x")
    signed = console_signin.sign_in_root(runtime, "owner@example.com", "R00t-Passw0rd!x",
                                         "192.0.2.2", NOW)
    assert signed.state is not None and signed.state.account_id == "111122223333"
    assert console_signin.sign_in_root(runtime, "owner@example.com", "nope", "192.0.2.2",
                                       NOW).error == INCORRECT


def test_generated_passwords_have_every_character_kind() -> None:
    for _ in range(50):
        password = console_signin.generate_password()
        assert len(password) >= 20
        assert console_signin.conforms(password, None)
