"""IAM SAML providers: create, read, list, update, delete, tags; reading IdP metadata.

A SAML provider is an IdP's SAML 2.0 metadata document under a name unique
in the account (ignoring case). The document must be XML with an
EntityDescriptor whose IDPSSODescriptor carries at least one X.509 signing
certificate: AssumeRoleWithSAML verifies assertions against exactly those
certificates, so a document without one is refused ("Could not parse
metadata", InvalidInput). ValidUntil is the metadata's own `validUntil`, or
a hundred years after creation when the document sets none.

Encrypted assertions: AddPrivateKey (an RSA private key in PEM) gives the
provider a key to decrypt assertions with, RemovePrivateKey (a KeyId) takes
one away, at most two at a time; AssertionEncryptionMode "Required" makes
AssumeRoleWithSAML refuse plain assertions. The keys are kept sealed
(iam/saml_keys.py) and never returned: GetSAMLProvider lists their KeyId and
upload Timestamp only. Required needs a key to decrypt with, so it cannot be
set, or the last key removed under it, without one; one request adds or
removes a key, not both (rotate in two steps, as AWS asks).
SAMLProviderUUID is derived from the ARN and creation time, so it is
stable without a column of its own.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from lxml import etree  # type: ignore[import-untyped]

from iamd.model.entities import ResourceKind, SamlProvider
from iamd.model.errors import (
    EntityAlreadyExists,
    InvalidInput,
    LimitExceeded,
    NoSuchEntity,
    NoSuchSAMLProvider,
)
from iamd.service import arns
from iamd.service.context import OperationContext
from iamd.service.iam import saml_keys
from iamd.service.iam.common import add_tags, remove_tags, tag_shape, tags_from, tags_result
from iamd.service.registry import Params, operation
from iamd.store.errors import Conflict

MAX_PROVIDERS = 100
KIND = ResourceKind.SAML_PROVIDER
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
UNPARSABLE = "Could not parse metadata"
DEFAULT_VALIDITY = 100  # years, when the metadata sets no validUntil


@dataclass(frozen=True)
class SamlMetadata:
    entity_id: str
    certificates: tuple[x509.Certificate, ...]  # the IdP's signing certificates
    valid_until: datetime | None


def safe_parser() -> Any:
    """No entities, no network, no DTDs: metadata and assertions come from outside."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           huge_tree=False, remove_comments=True)


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(UNPARSABLE) from None
    # xs:dateTime without a zone: SAML's times are UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def read_metadata(document: str) -> SamlMetadata:
    """The entity id, signing certificates and validity of an IdP's metadata."""
    try:
        root = etree.fromstring(document.encode("utf-8"), parser=safe_parser())
    except (etree.XMLSyntaxError, ValueError):
        raise InvalidInput(UNPARSABLE) from None
    if root.tag == f"{{{MD}}}EntityDescriptor":
        entities = [root]
    elif root.tag == f"{{{MD}}}EntitiesDescriptor":
        entities = root.findall(f".//{{{MD}}}EntityDescriptor")
    else:
        raise InvalidInput(UNPARSABLE)
    for entity in entities:
        idp = entity.find(f"{{{MD}}}IDPSSODescriptor")
        if idp is None:
            continue
        certificates: list[x509.Certificate] = []
        for descriptor in idp.findall(f"{{{MD}}}KeyDescriptor"):
            if descriptor.get("use", "signing") != "signing":
                continue
            for element in descriptor.iterfind(f".//{{{DS}}}X509Certificate"):
                text = "".join((element.text or "").split())
                try:
                    certificates.append(x509.load_der_x509_certificate(
                        base64.b64decode(text, validate=True)))
                except (ValueError, binascii.Error):
                    raise InvalidInput(UNPARSABLE) from None
        if not certificates:
            continue
        valid_until = _parse_time(entity.get("validUntil") or root.get("validUntil"))
        return SamlMetadata(entity_id=entity.get("entityID") or "",
                            certificates=tuple(certificates), valid_until=valid_until)
    raise InvalidInput(UNPARSABLE)


def provider_arn(account_id: str, name: str) -> str:
    return f"arn:{arns.PARTITION}:iam::{account_id}:saml-provider/{name}"


def provider_uuid(provider: SamlProvider) -> str:
    digest = hashlib.sha256(f"{provider.arn}|{provider.created.isoformat()}".encode()).digest()
    return "SAML" + base64.b32encode(digest).decode()[:22]


def no_such_provider(arn: str) -> NoSuchEntity:
    return NoSuchSAMLProvider(arn=arn)


def provider_or_fail(ctx: OperationContext, arn: str, for_update: bool = False) -> SamlProvider:
    provider = ctx.tx.saml_providers.get(arn, for_update=for_update)
    if provider is None or provider.account_id != ctx.account_id:
        raise no_such_provider(arn)
    return provider


def _valid_until(metadata: SamlMetadata, created: datetime) -> datetime:
    if metadata.valid_until is not None:
        return metadata.valid_until
    try:
        return created.replace(year=created.year + DEFAULT_VALIDITY)
    except ValueError:  # 29 February
        return created + timedelta(days=365 * DEFAULT_VALIDITY + 24)


def _encryption_update(ctx: OperationContext, params: Params, arn: str,
                       current: saml_keys.EncryptionSettings) -> saml_keys.EncryptionSettings:
    """The provider's keys and mode after the request's AddPrivateKey, RemovePrivateKey, mode."""
    added, removed = params.get("AddPrivateKey"), params.get("RemovePrivateKey")
    if added and removed:
        raise InvalidInput("AddPrivateKey and RemovePrivateKey cannot be used in the same "
                           "request: add the new key, then remove the old one.")
    mode = params.get("AssertionEncryptionMode") or current.mode
    keys = list(current.keys)
    if added:
        key = saml_keys.parse_private_key(str(added))
        identifier = saml_keys.key_id(key)
        if any(k.key_id == identifier for k in keys):
            raise EntityAlreadyExists(f"Private key {identifier} already exists for the SAML "
                                      "provider.")
        if len(keys) >= saml_keys.MAX_KEYS:
            raise LimitExceeded("Cannot exceed quota for PrivateKeysPerSAMLProvider: "
                                f"{saml_keys.MAX_KEYS}")
        keys.append(saml_keys.seal(ctx.runtime, arn, key, ctx.info.now))
    if removed:
        remaining = [k for k in keys if k.key_id != removed]
        if len(remaining) == len(keys):
            raise NoSuchEntity(f"Private key {removed} not found for SAML provider {arn}.")
        keys = remaining
    if mode == saml_keys.REQUIRED and not keys:
        raise InvalidInput("AssertionEncryptionMode Required needs a private key to decrypt "
                           "assertions with: add one with AddPrivateKey.")
    return saml_keys.EncryptionSettings(mode, tuple(keys))


# --- authorization ------------------------------------------------------------

def _created_arn(ctx: OperationContext, params: Params) -> str:
    return provider_arn(ctx.account_id, params.get("Name", ""))


def _given_arn(ctx: OperationContext, params: Params) -> str:
    return str(params.get("SAMLProviderArn", ""))


def _resource_tags(ctx: OperationContext, params: Params) -> Mapping[str, str | list[str]]:
    arn = params.get("SAMLProviderArn")
    provider = ctx.tx.saml_providers.get(arn) if arn else None
    if provider is None or provider.account_id != ctx.account_id:
        return {}
    values: dict[str, str | list[str]] = {}
    for tag in ctx.tx.tags.list(KIND, provider.arn):
        values[f"aws:ResourceTag/{tag.key}"] = tag.value
        values[f"iam:ResourceTag/{tag.key}"] = tag.value
    return values


# --- operations -----------------------------------------------------------------

@operation("iam", "CreateSAMLProvider", resource=_created_arn)
def create_saml_provider(ctx: OperationContext, params: Params) -> dict[str, Any]:
    name, document = params["Name"], params["SAMLMetadataDocument"]
    tags = tags_from(params)
    metadata = read_metadata(document)
    arn = provider_arn(ctx.account_id, name)
    encryption = _encryption_update(ctx, params, arn, saml_keys.NONE)
    if ctx.tx.saml_providers.count(ctx.account_id) >= MAX_PROVIDERS:
        raise LimitExceeded(f"Cannot exceed quota for SAMLProvidersPerAccount: {MAX_PROVIDERS}")
    now = ctx.info.now
    provider = SamlProvider(arn=arn, account_id=ctx.account_id,
                            name=name, metadata_document=document,
                            valid_until=_valid_until(metadata, now), created=now)
    try:
        ctx.tx.saml_providers.insert(provider)
    except Conflict:
        raise EntityAlreadyExists(f"SAMLProvider {name} already exists.") from None
    saml_keys.save(ctx.tx, provider.arn, encryption)
    if tags:
        ctx.tx.tags.replace(KIND, provider.arn, tags)
    result: dict[str, Any] = {"SAMLProviderArn": provider.arn}
    if tags:
        result["Tags"] = [tag_shape(t) for t in tags]
    return result


@operation("iam", "GetSAMLProvider", read_only=True, resource=_given_arn, context=_resource_tags)
def get_saml_provider(ctx: OperationContext, params: Params) -> dict[str, Any]:
    provider = provider_or_fail(ctx, params["SAMLProviderArn"])
    encryption = saml_keys.load(ctx.tx, provider.arn)
    result: dict[str, Any] = {
        "SAMLProviderUUID": provider_uuid(provider),
        "SAMLMetadataDocument": provider.metadata_document, "CreateDate": provider.created,
        "Tags": [tag_shape(t) for t in ctx.tx.tags.list(KIND, provider.arn)],
        "AssertionEncryptionMode": encryption.mode,
        "PrivateKeyList": [{"KeyId": k.key_id, "Timestamp": k.created} for k in encryption.keys]}
    if provider.valid_until is not None:
        result["ValidUntil"] = provider.valid_until
    return result


@operation("iam", "ListSAMLProviders", read_only=True)
def list_saml_providers(ctx: OperationContext, params: Params) -> dict[str, Any]:
    entries = []
    for provider in ctx.tx.saml_providers.list(ctx.account_id):
        entry: dict[str, Any] = {"Arn": provider.arn, "CreateDate": provider.created}
        if provider.valid_until is not None:
            entry["ValidUntil"] = provider.valid_until
        entries.append(entry)
    return {"SAMLProviderList": entries}


@operation("iam", "UpdateSAMLProvider", resource=_given_arn, context=_resource_tags)
def update_saml_provider(ctx: OperationContext, params: Params) -> dict[str, Any]:
    document = params.get("SAMLMetadataDocument")
    if document is None and not any(params.get(p) for p in (
            "AssertionEncryptionMode", "AddPrivateKey", "RemovePrivateKey")):
        raise InvalidInput("No updates are defined for the SAML provider.")
    metadata = read_metadata(document) if document is not None else None
    provider = provider_or_fail(ctx, params["SAMLProviderArn"], for_update=True)
    current = saml_keys.load(ctx.tx, provider.arn)
    encryption = _encryption_update(ctx, params, provider.arn, current)
    if document is not None and metadata is not None:
        ctx.tx.saml_providers.update(replace(
            provider, metadata_document=document,
            valid_until=_valid_until(metadata, provider.created)))
    if encryption != current:
        saml_keys.save(ctx.tx, provider.arn, encryption)
    return {"SAMLProviderArn": provider.arn}


@operation("iam", "DeleteSAMLProvider", resource=_given_arn, context=_resource_tags)
def delete_saml_provider(ctx: OperationContext, params: Params) -> None:
    provider = provider_or_fail(ctx, params["SAMLProviderArn"], for_update=True)
    ctx.tx.saml_providers.delete(provider.arn)
    saml_keys.save(ctx.tx, provider.arn, saml_keys.NONE)  # its sealed keys go with it


@operation("iam", "TagSAMLProvider", resource=_given_arn, context=_resource_tags)
def tag_saml_provider(ctx: OperationContext, params: Params) -> None:
    tags_from(params)  # the request's own faults first, as for users and roles
    provider = provider_or_fail(ctx, params["SAMLProviderArn"], for_update=True)
    add_tags(ctx.tx, KIND, provider.arn, params)


@operation("iam", "UntagSAMLProvider", resource=_given_arn, context=_resource_tags)
def untag_saml_provider(ctx: OperationContext, params: Params) -> None:
    provider = provider_or_fail(ctx, params["SAMLProviderArn"], for_update=True)
    remove_tags(ctx.tx, KIND, provider.arn, params)


@operation("iam", "ListSAMLProviderTags", read_only=True, resource=_given_arn,
           context=_resource_tags)
def list_saml_provider_tags(ctx: OperationContext, params: Params) -> dict[str, Any]:
    provider = provider_or_fail(ctx, params["SAMLProviderArn"])
    return tags_result(ctx.tx, KIND, provider.arn, params)
