"""Running one operation: one transaction, authorization first, then the work.

Reads run in a read-only transaction. A write runs in one transaction that
also bumps the authorization generation when it changed a row, so cached
permissions are rebuilt after any change. Any error leaves nothing behind: the transaction rolls back.
A call that succeeded is recorded here, whoever made it (the Query endpoint,
the console): the access key's last use and the principal's last access to
the service, both batched off the request's path (usage.py). Every call,
whatever its outcome, leaves an audit event (service/audit/): a write's is
inserted in the write's own transaction, before it commits; the others are
handed to the audit trail's background writer.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from typing import TypeVar

from iamd.model.errors import (
    AwsError,
    MissingAuthenticationToken,
    NotImplementedOperation,
    Throttling,
    ValidationError,
)
from iamd.service import operations  # noqa: F401  (registers every operation)
from iamd.service.audit.record import ApiCall
from iamd.service.authorization import authorize
from iamd.service.context import Caller, OperationContext, RequestInfo
from iamd.service.credential_scope import check_scope
from iamd.service.metrics import count_store_error
from iamd.service.permissions import bump_generation
from iamd.service.registry import OPERATIONS, OperationSpec, Params, Result
from iamd.service.runtime import Runtime
from iamd.store.errors import Contention, InvalidMarker
from iamd.store.interface import Transaction

ATTEMPTS = 3  # a deadlock or lock timeout is retried: the transaction did nothing

T = TypeVar("T")

# The caller of an unsigned request: the STS calls that carry their own proof
# of identity (a web identity token, a SAML assertion) and authorize nothing
# through the caller's policies.
ANONYMOUS = "anonymous"


def anonymous_caller() -> Caller:
    return Caller(account_id="", arn="", kind=ANONYMOUS, user_id="")


def execute(runtime: Runtime, caller: Caller, info: RequestInfo, service: str,
            name: str, params: Params, *, transaction: Transaction | None = None) -> Result:
    """Run one operation for `caller`.

    `transaction`, if given, is the caller's open transaction, which the
    operation runs in (the Query endpoint authenticates in it: one BEGIN for
    both): any operation in a writing one, a read in a read-only one (a write
    given a read-only transaction opens its own). Contention in a given
    transaction is its owner's to retry (`retried`); in its own, execute
    retries."""
    trail = runtime.audit
    spec = OPERATIONS.get((service, name))
    if trail is None or spec is None:
        return _execute(runtime, caller, info, service, name, params, transaction, None)
    call = ApiCall(caller, info, service, name, params, spec.read_only)
    try:
        result = _execute(runtime, caller, info, service, name, params, transaction, call)
    except AwsError as error:
        call.error = error  # a write rolls back with its event: the error's is stored apart
        trail.later(call)
        raise
    if spec.read_only:
        call.result = result
        trail.later(call)
    return result


def _execute(runtime: Runtime, caller: Caller, info: RequestInfo, service: str, name: str,
             params: Params, transaction: Transaction | None, call: ApiCall | None) -> Result:
    if not info.console:
        check_scope(caller, service, name)
    spec = OPERATIONS.get((service, name))
    if spec is None:
        # Every IAM and STS operation is served, and most of Organizations'
        # (docs/operations.md); this answers the rest, and an operation a
        # model update brings that iamd does not know yet.
        raise NotImplementedOperation(f"iamd does not implement {service}:{name} yet.")
    shared = transaction if transaction is not None and (
        spec.read_only or not transaction.read_only) else None
    try:
        if shared is not None:
            result = _run(runtime, caller, info, spec, params, shared, call)
        else:
            result = retried(lambda: _run(runtime, caller, info, spec, params, None, call))
    except InvalidMarker:
        raise ValidationError("Invalid Marker.") from None
    record_call(runtime, caller, info, service, name)
    return result


def retried(attempt: Callable[[], T]) -> T:
    """`attempt()` (one whole transaction), again on a deadlock or lock
    timeout, which left nothing behind; Throttling once ATTEMPTS failed."""
    for _ in range(ATTEMPTS - 1):
        try:
            return attempt()
        except Contention as contention:
            count_store_error(contention)
            continue
    try:
        return attempt()
    except Contention as contention:
        count_store_error(contention)
        raise Throttling("Rate exceeded") from None


def record_call(runtime: Runtime, caller: Caller, info: RequestInfo, service: str,
                action: str | None) -> None:
    """Note a successful call: its access key's last use and, when `action` is
    given, the principal's last access (the access advisor's data)."""
    usage = runtime.usage
    if usage is None:
        return
    if caller.access_key_id is not None:
        usage.note(caller.access_key_id, info.now, service, info.region)
    if action is not None and caller.arn:
        usage.note_activity(caller.principal_arn, caller.account_id, service, action,
                            info.region, info.now)


def _run(runtime: Runtime, caller: Caller, info: RequestInfo, spec: OperationSpec,
         params: Params, shared: Transaction | None, call: ApiCall | None) -> Result:
    service, name = spec.service, spec.name
    if caller.kind == ANONYMOUS and spec.authorize:
        # Only operations that authorize themselves may run unsigned.
        raise MissingAuthenticationToken()
    opened = (nullcontext(shared) if shared is not None
              else runtime.store.transaction(read_only=spec.read_only))
    with opened as tx:
        ctx = OperationContext(caller=caller, info=info, tx=tx, runtime=runtime,
                               operation=name, service=service)
        if call is not None:
            ctx.extra["verdicts"] = call.verdicts = []  # authorization notes its decisions
        if spec.authorize:
            authorize(ctx, spec, params)
        result = spec.handler(ctx, params)
        if not spec.read_only and tx.changed:
            # A write that changed nothing (attaching an attached policy)
            # leaves every node's caches valid.
            bump_generation(tx)
        if call is not None and not spec.read_only and runtime.audit is not None:
            # The event commits with the change, or rolls back with it (in
            # the caller's transaction too, when one was given).
            call.result = result
            runtime.audit.write(tx, call)
    return result


def known_operation(service: str, name: str) -> bool:
    return (service, name) in OPERATIONS


def is_read(service: str, name: str | None) -> bool:
    """True for an operation that only reads (it may share a read-only transaction)."""
    spec = OPERATIONS.get((service, name or ""))
    return spec is not None and spec.read_only
