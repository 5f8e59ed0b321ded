"""The one list of global keys is the list of what the one builder fills."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from iamd.service.context import OperationContext, Session
from iamd.service.dispatch import execute
from iamd.service.global_context import (
    GLOBAL_KEYS,
    MFA_AGE,
    PRINCIPAL_ORG_ID,
    PRINCIPAL_ORG_PATHS,
    PRINCIPAL_TAG_PREFIX,
    global_context,
)
from iamd.service.runtime import Runtime

from .runtimes import authenticated, info, now


def test_every_key_the_builder_fills_is_listed(runtime: Runtime) -> None:
    assert runtime.initial_admin is not None
    admin = authenticated(runtime, runtime.initial_admin.access_key_id)
    # In an organization, so that aws:PrincipalOrgID and aws:PrincipalOrgPaths exist.
    execute(runtime, admin, info(), "organizations", "CreateOrganization", {})
    session = Session(tags={"team": "blue"}, source_identity="me", mfa_authenticated=True,
                      issued=now() - timedelta(minutes=5),
                      federated_provider="arn:aws:iam::123456789012:oidc-provider/x")
    caller = replace(admin, session=session)
    with runtime.store.transaction(read_only=True) as tx:
        ctx = OperationContext(caller=caller, info=info(), tx=tx, runtime=runtime)
        values = global_context(ctx)
    unlisted = [k for k in values if k not in GLOBAL_KEYS and not k.startswith(PRINCIPAL_TAG_PREFIX)]
    assert not unlisted
    assert set(GLOBAL_KEYS) <= set(values)  # this caller has every one of them
    assert values[PRINCIPAL_TAG_PREFIX + "team"] == "blue"
    assert int(str(values[MFA_AGE])) >= 300
    assert str(values[PRINCIPAL_ORG_PATHS]).startswith(f"{values[PRINCIPAL_ORG_ID]}/r-")
