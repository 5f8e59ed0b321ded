"""What many IAM operations share: pagination, tags in and out, time, errors.

AWS lists return `IsTruncated` and, when truncated, a `Marker` to pass back;
`MaxItems` defaults to 100; a marker this server did not hand out is the
caller's mistake (ValidationError), not a failure. Tags arrive as
`[{"Key", "Value"}]`, at most 50 on a resource, keys unique ignoring case,
and the `aws:` prefix reserved; the Tag*/Untag*/List*Tags operations of every
taggable resource share `add_tags`, `remove_tags` and `tags_result`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from iamd.model.entities import Page, ResourceKind, Tag
from iamd.model.errors import InvalidInput, LimitExceeded, ValidationError
from iamd.service import arns
from iamd.service.registry import Params
from iamd.store.errors import InvalidMarker
from iamd.store.interface import Transaction

T = TypeVar("T")

DEFAULT_MAX_ITEMS = 100
MAX_TAGS = 50


def page_args(params: Params) -> tuple[str | None, int]:
    return params.get("Marker"), int(params.get("MaxItems") or DEFAULT_MAX_ITEMS)


def invalid_marker() -> ValidationError:
    return ValidationError("Invalid Marker.")


@contextmanager
def checked_marker() -> Iterator[None]:
    """Around a store listing: a forged or foreign marker answers ValidationError.

    The store refuses such a marker before running any statement, so the
    transaction is still usable when this raises.
    """
    try:
        yield
    except InvalidMarker:
        raise invalid_marker() from None


def page_result(page: Page[T], member: str, shape: Callable[[T], Any]) -> dict[str, Any]:
    result: dict[str, Any] = {member: [shape(item) for item in page.items],
                              "IsTruncated": page.marker is not None}
    if page.marker is not None:
        result["Marker"] = page.marker
    return result


def list_result(items: Sequence[T], member: str, shape: Callable[[T], Any],
                marker: str | None, max_items: int, key: Callable[[T], str]) -> dict[str, Any]:
    """Paginate an in-memory list ordered by `key` (for short lists)."""
    ordered = sorted(items, key=key)
    if marker is not None:
        ordered = [item for item in ordered if key(item) > marker]
    chunk = ordered[:max_items]
    truncated = len(ordered) > max_items
    result: dict[str, Any] = {member: [shape(i) for i in chunk], "IsTruncated": truncated}
    if truncated:
        result["Marker"] = key(chunk[-1])
    return result


def tags_from(params: Params, member: str = "Tags") -> list[Tag]:
    raw = params.get(member) or []
    tags = [Tag(t["Key"], t.get("Value", "")) for t in raw]
    check_tags(tags)
    return tags


def check_tags(tags: Sequence[Tag], existing: Iterable[Tag] = ()) -> None:
    seen: set[str] = set()
    for tag in tags:
        lowered = tag.key.lower()
        if lowered in seen:
            raise InvalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
        seen.add(lowered)
        if lowered.startswith("aws:"):
            raise InvalidInput("User-defined tag keys can't start with 'aws:'. This prefix is reserved "
                               "for AWS tags.")
    total = seen | {t.key.lower() for t in existing}
    if len(total) > MAX_TAGS:
        # AWS names no number here, unlike its "Cannot exceed quota for ..." messages.
        raise LimitExceeded("The number of tags has reached the maximum limit.")


def tag_shape(tag: Tag) -> dict[str, str]:
    return {"Key": tag.key, "Value": tag.value}


def add_tags(tx: Transaction, kind: ResourceKind, resource_id: str, params: Params) -> None:
    """Tag<Resource>: add the request's tags, overwriting values of keys already there.

    The limit counts the union of old and new keys (ignoring case), so
    re-tagging a resource that is at 50 with one of its own keys succeeds.
    Lock the resource's row first, or two concurrent calls could pass 50.
    """
    raw = params.get("Tags") or []
    tags = [Tag(t["Key"], t.get("Value", "")) for t in raw]
    check_tags(tags, tx.tags.list(kind, resource_id))
    tx.tags.put(kind, resource_id, tags)


def remove_tags(tx: Transaction, kind: ResourceKind, resource_id: str, params: Params) -> None:
    """Untag<Resource>: keys match ignoring case; a key the resource lacks is no error."""
    tx.tags.remove(kind, resource_id, params.get("TagKeys") or [])


def _key_digest(tag: Tag) -> str:
    return hashlib.sha256(tag.key.lower().encode()).hexdigest()[:16]


def tags_result(tx: Transaction, kind: ResourceKind, resource_id: str,
                params: Params) -> dict[str, Any]:
    """List<Resource>Tags: one page of tags ordered by key ignoring case.

    The marker is "<tags seen>.<digest of the last key>": a key may hold
    up to 128 letters of any script, too long for a Marker (320 characters
    of U+0020..U+00FF) however it is spelled, but there are at most 50 tags.
    Resuming finds the last key by its digest; if that tag was removed in
    between, it resumes where the tag stood, which repeats rather than
    skips a tag when others changed too.
    """
    after, limit = page_args(params)
    ordered = sorted(tx.tags.list(kind, resource_id), key=lambda t: t.key.lower())
    start = 0
    if after is not None:
        seen, _, digest = after.partition(".")
        if not seen.isdigit() or len(digest) != 16:
            raise invalid_marker()
        digests = [_key_digest(t) for t in ordered]
        start = digests.index(digest) + 1 if digest in digests else max(int(seen) - 1, 0)
    chunk = ordered[start:start + limit]
    truncated = start + limit < len(ordered)
    result: dict[str, Any] = {"Tags": [tag_shape(t) for t in chunk], "IsTruncated": truncated}
    if truncated:
        result["Marker"] = f"{start + len(chunk)}.{_key_digest(chunk[-1])}"
    return result


def listed_under(kind: str) -> Any:
    """The resource a List call of `kind` is authorized on: the kind's ARN cut at
    the request's PathPrefix, as AWS names it ("... iam:ListUsers on resource:
    arn:aws:iam::123456789012:user/"). A policy may then allow listing one path
    only (Resource "arn:aws:iam::123456789012:user/division_abc/*" with that
    PathPrefix), as the IAM User Guide's examples do."""
    def resource(ctx: Any, params: Any) -> str:
        return arns.entity_arn(kind, ctx.account_id, str(params.get("PathPrefix") or "/"), "")
    return resource
