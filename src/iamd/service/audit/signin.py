"""The audit events of console sign-ins: CloudTrail's `ConsoleLogin`.

One event per finished attempt (a password step that leads to an MFA code
waits for the code): `eventSource` signin.amazonaws.com, `eventType`
AwsConsoleSignIn, `responseElements` {"ConsoleLogin": "Success"} or
"Failure" (with errorMessage "Failed authentication", as AWS writes it),
`additionalEventData` with MFAUsed. As in AWS, a failure under a user name
the account does not have records the name as HIDDEN_DUE_TO_SECURITY_REASONS
(people type passwords into the name field). Who signed in is looked up by
the background writer, not the sign-in request. A federated sign-in (the
federation endpoint, SAML) is its role session's ConsoleLogin.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from iamd.service.audit.record import CONSOLE_SIGN_IN, build_event, user_identity, username_of
from iamd.service.audit.shapes import HIDDEN
from iamd.service.console_sessions import ConsoleState, SessionGone, caller_of
from iamd.service.console_signin import find_account
from iamd.service.context import RequestInfo
from iamd.service.runtime import Runtime
from iamd.store.audit_events import StoredEvent
from iamd.store.interface import Transaction

SUCCESS = "Success"
FAILURE = "Failure"


@dataclass(slots=True)
class SignIn:
    """One console sign-in attempt, as the sign-in page knows it."""

    runtime: Runtime
    source_ip: str
    user_agent: str
    login_to: str
    root: bool
    account_ref: str = ""  # what was typed: account id or alias (IAM users)
    user_name: str = ""  # what was typed (IAM users)
    email: str = ""  # what was typed (the root user)
    account_id: str = ""  # who signed in, when it succeeded
    user_id: str = ""
    succeeded: bool = False
    mfa_used: bool = False
    session: ConsoleState | None = None  # a federated sign-in's role session
    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def event(self) -> StoredEvent:
        with self.runtime.store.transaction(read_only=True) as tx:
            identity, username = self._identity(tx)
        account = str(identity.get("accountId", ""))
        info = RequestInfo(request_id=str(uuid.uuid4()), now=self.at, source_ip=self.source_ip,
                           user_agent=self.user_agent)
        additional = {"LoginTo": self.login_to, "MobileVersion": "No",
                      "MFAUsed": "Yes" if self.mfa_used else "No"}
        return build_event(
            at=self.at, account_id=account, identity=identity, username=username,
            access_key_id=None, source="signin.amazonaws.com", name="ConsoleLogin", info=info,
            request=None, response={"ConsoleLogin": SUCCESS if self.succeeded else FAILURE},
            error=None, error_message=None if self.succeeded else "Failed authentication",
            read_only=False, event_type=CONSOLE_SIGN_IN, additional=additional)

    def _identity(self, tx: Transaction) -> tuple[dict[str, Any], str | None]:
        if self.session is not None:
            try:
                caller = caller_of(self.runtime, self.session, self.at)
            except SessionGone:  # its credentials ended before the writer came
                return {"type": "AssumedRole", "accountId": self.session.account_id}, None
            return user_identity(caller), username_of(caller)
        if self.root:
            account = (tx.accounts.get(self.account_id) if self.account_id
                       else tx.accounts.get_by_email(self.email.strip()) if self.email.strip()
                       else None)
            if account is None:
                return {"type": "Root", "principalId": HIDDEN, "userName": HIDDEN}, None
            return ({"type": "Root", "principalId": account.account_id,
                     "arn": f"arn:aws:iam::{account.account_id}:root",
                     "accountId": account.account_id, "accessKeyId": ""}, "root")
        user = tx.users.get(self.user_id) if self.user_id else None
        if user is None:
            found = find_account(tx, self.account_ref)
            if found is not None and self.user_name.strip():
                user = tx.users.get_by_name(found.account_id, self.user_name.strip())
            if user is None:
                identity: dict[str, Any] = {"type": "IAMUser", "principalId": "",
                                            "accountId": found.account_id if found else "",
                                            "accessKeyId": "", "userName": HIDDEN}
                return identity, HIDDEN
        return ({"type": "IAMUser", "principalId": user.id, "arn": user.arn,
                 "accountId": user.account_id, "accessKeyId": "", "userName": user.name},
                user.name)


def record_sign_in(runtime: Runtime, attempt: SignIn) -> None:
    if runtime.audit is not None:
        runtime.audit.later(attempt)

