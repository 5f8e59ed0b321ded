"""IAM OpenID Connect providers: create, read, list, delete, client ids, thumbprints, tags.

A provider is named by its URL: its ARN is `oidc-provider/` followed by the
URL without its scheme, so an account holds one provider per URL
(EntityAlreadyExists otherwise, as AWS answers). The URL must be https with
no port, query or fragment; iamd also takes http or a port for a loopback
host (see sts/oidc_discovery.py), so that an issuer running beside it can be
trusted in tests. GetOpenIDConnectProvider answers the URL without its
scheme, as AWS does. AWS's limits: 100 client ids per provider, 5
thumbprints (now optional: AWS verifies most issuers through trusted
certificate authorities, and iamd verifies every issuer's TLS that way), 100
providers per account. Thumbprints are kept in lower case.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from iamd.model.entities import OidcProvider, ResourceKind
from iamd.model.errors import (
    EntityAlreadyExists,
    InvalidInput,
    LimitExceeded,
    NoSuchEntity,
    NoSuchOpenIDConnectProvider,
    ValidationError,
)
from iamd.service import arns
from iamd.service.context import OperationContext
from iamd.service.iam.common import add_tags, remove_tags, tag_shape, tags_from, tags_result
from iamd.service.registry import Params, operation
from iamd.service.sts.oidc_discovery import is_loopback_host
from iamd.store.errors import Conflict

MAX_CLIENT_IDS = 100
MAX_THUMBPRINTS = 5
MAX_PROVIDERS = 100
KIND = ResourceKind.OPENID_CONNECT_PROVIDER


def provider_arn(account_id: str, url: str) -> str:
    """The ARN AWS gives the provider of this URL: the URL without its scheme."""
    return f"arn:{arns.PARTITION}:iam::{account_id}:oidc-provider/{url.split('://', 1)[-1]}"


def checked_url(url: str) -> str:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        raise ValidationError("Invalid Open ID Connect Provider URL")
    loopback = is_loopback_host(parts.hostname)
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise InvalidInput("Invalid Open ID Connect Provider URL. The URL must begin with https://.")
    try:
        port = parts.port
    except ValueError:
        raise InvalidInput("Invalid Open ID Connect Provider URL.") from None
    if parts.query or parts.fragment or parts.username or parts.password or (
            port is not None and not loopback):
        raise InvalidInput("Invalid Open ID Connect Provider URL.")
    return url


def _client_ids(values: list[str]) -> tuple[str, ...]:
    unique = tuple(dict.fromkeys(values))  # a client id given twice is kept once
    if len(unique) > MAX_CLIENT_IDS:
        raise LimitExceeded(
            f"Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MAX_CLIENT_IDS}")
    return unique


def _thumbprints(values: list[str]) -> tuple[str, ...]:
    if len(values) > MAX_THUMBPRINTS:
        # AWS's sentence, though five are allowed.
        raise InvalidInput("Thumbprint list must contain fewer than 5 entries.")
    return tuple(dict.fromkeys(v.lower() for v in values))


def no_such_provider(arn: str) -> NoSuchEntity:
    return NoSuchOpenIDConnectProvider(arn=arn)


def provider_or_fail(ctx: OperationContext, arn: str, for_update: bool = False) -> OidcProvider:
    provider = ctx.tx.oidc_providers.get(arn, for_update=for_update)
    # Another account's provider is as good as absent.
    if provider is None or provider.account_id != ctx.account_id:
        raise no_such_provider(arn)
    return provider


# --- authorization ------------------------------------------------------------

def _created_arn(ctx: OperationContext, params: Params) -> str:
    return provider_arn(ctx.account_id, params.get("Url", ""))


def _given_arn(ctx: OperationContext, params: Params) -> str:
    return str(params.get("OpenIDConnectProviderArn", ""))


def _resource_tags(ctx: OperationContext, params: Params) -> Mapping[str, str | list[str]]:
    arn = params.get("OpenIDConnectProviderArn")
    provider = ctx.tx.oidc_providers.get(arn) if arn else None
    if provider is None or provider.account_id != ctx.account_id:
        return {}
    values: dict[str, str | list[str]] = {}
    for tag in ctx.tx.tags.list(KIND, provider.arn):
        values[f"aws:ResourceTag/{tag.key}"] = tag.value
        values[f"iam:ResourceTag/{tag.key}"] = tag.value
    return values


# --- operations -----------------------------------------------------------------

@operation("iam", "CreateOpenIDConnectProvider", resource=_created_arn)
def create_open_id_connect_provider(ctx: OperationContext, params: Params) -> dict[str, Any]:
    url = checked_url(params["Url"])
    client_ids = _client_ids(params.get("ClientIDList") or [])
    thumbprints = _thumbprints(params.get("ThumbprintList") or [])
    tags = tags_from(params)
    if ctx.tx.oidc_providers.count(ctx.account_id) >= MAX_PROVIDERS:
        raise LimitExceeded(
            f"Cannot exceed quota for OpenIdConnectProvidersPerAccount: {MAX_PROVIDERS}")
    provider = OidcProvider(arn=provider_arn(ctx.account_id, url), account_id=ctx.account_id,
                            url=url, client_ids=client_ids, thumbprints=thumbprints,
                            created=ctx.info.now)
    try:
        ctx.tx.oidc_providers.insert(provider)
    except Conflict:
        raise EntityAlreadyExists(f"Provider with url {url} already exists.") from None
    if tags:
        ctx.tx.tags.replace(KIND, provider.arn, tags)
    result: dict[str, Any] = {"OpenIDConnectProviderArn": provider.arn}
    if tags:
        result["Tags"] = [tag_shape(t) for t in tags]
    return result


@operation("iam", "GetOpenIDConnectProvider", read_only=True, resource=_given_arn,
           context=_resource_tags)
def get_open_id_connect_provider(ctx: OperationContext, params: Params) -> dict[str, Any]:
    provider = provider_or_fail(ctx, params["OpenIDConnectProviderArn"])
    return {"Url": provider.url.split("://", 1)[-1], "ClientIDList": list(provider.client_ids),
            "ThumbprintList": list(provider.thumbprints), "CreateDate": provider.created,
            "Tags": [tag_shape(t) for t in ctx.tx.tags.list(KIND, provider.arn)]}


@operation("iam", "ListOpenIDConnectProviders", read_only=True)
def list_open_id_connect_providers(ctx: OperationContext, params: Params) -> dict[str, Any]:
    return {"OpenIDConnectProviderList": [
        {"Arn": p.arn} for p in ctx.tx.oidc_providers.list(ctx.account_id)]}


@operation("iam", "DeleteOpenIDConnectProvider", resource=_given_arn, context=_resource_tags)
def delete_open_id_connect_provider(ctx: OperationContext, params: Params) -> None:
    arn = params["OpenIDConnectProviderArn"]
    provider = ctx.tx.oidc_providers.get(arn, for_update=True)
    if provider is None or provider.account_id != ctx.account_id:
        # The API reference: "This operation is idempotent; it does not fail
        # or return an error if you call the operation for a provider that
        # does not exist." Another account's provider is absent here too.
        return
    ctx.tx.oidc_providers.delete(provider.arn)


@operation("iam", "AddClientIDToOpenIDConnectProvider", resource=_given_arn,
           context=_resource_tags)
def add_client_id(ctx: OperationContext, params: Params) -> None:
    provider = provider_or_fail(ctx, params["OpenIDConnectProviderArn"], for_update=True)
    client_ids = _client_ids([*provider.client_ids, params["ClientID"]])
    if client_ids != provider.client_ids:  # adding one it has already is no error
        ctx.tx.oidc_providers.update(replace(provider, client_ids=client_ids))


@operation("iam", "RemoveClientIDFromOpenIDConnectProvider", resource=_given_arn,
           context=_resource_tags)
def remove_client_id(ctx: OperationContext, params: Params) -> None:
    provider = provider_or_fail(ctx, params["OpenIDConnectProviderArn"], for_update=True)
    remaining = tuple(c for c in provider.client_ids if c != params["ClientID"])
    if remaining != provider.client_ids:  # removing one it lacks is no error
        ctx.tx.oidc_providers.update(replace(provider, client_ids=remaining))


@operation("iam", "UpdateOpenIDConnectProviderThumbprint", resource=_given_arn,
           context=_resource_tags)
def update_thumbprint(ctx: OperationContext, params: Params) -> None:
    thumbprints = _thumbprints(params.get("ThumbprintList") or [])
    provider = provider_or_fail(ctx, params["OpenIDConnectProviderArn"], for_update=True)
    ctx.tx.oidc_providers.update(replace(provider, thumbprints=thumbprints))


@operation("iam", "TagOpenIDConnectProvider", resource=_given_arn, context=_resource_tags)
def tag_open_id_connect_provider(ctx: OperationContext, params: Params) -> None:
    tags_from(params)  # the request's own faults first, as for users and roles
    # Locked so that two concurrent calls cannot pass 50 tags together.
    provider = provider_or_fail(ctx, params["OpenIDConnectProviderArn"], for_update=True)
    add_tags(ctx.tx, KIND, provider.arn, params)


@operation("iam", "UntagOpenIDConnectProvider", resource=_given_arn, context=_resource_tags)
def untag_open_id_connect_provider(ctx: OperationContext, params: Params) -> None:
    provider = provider_or_fail(ctx, params["OpenIDConnectProviderArn"], for_update=True)
    remove_tags(ctx.tx, KIND, provider.arn, params)


@operation("iam", "ListOpenIDConnectProviderTags", read_only=True, resource=_given_arn,
           context=_resource_tags)
def list_open_id_connect_provider_tags(ctx: OperationContext, params: Params) -> dict[str, Any]:
    provider = provider_or_fail(ctx, params["OpenIDConnectProviderArn"])
    return tags_result(ctx.tx, KIND, provider.arn, params)
