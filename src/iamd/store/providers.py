"""Identity providers in the store: OpenID Connect and SAML providers of an account.

Both are keyed by their ARN, as AWS names them. An OIDC provider's ARN is
made from its URL, so the primary key alone keeps one provider per URL in an
account; a SAML provider's name is unique in its account ignoring case (a
unique constraint on the folded name). Client ids and thumbprints are JSON
lists in their columns, in the order given. Tags hang off the ARN; deleting
a provider deletes its tags. AWS allows a hundred providers of each kind per
account and lists them whole, so listings here are not paginated.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select, update

from iamd.model.entities import OidcProvider, ResourceKind, SamlProvider
from iamd.store import schema
from iamd.store.transaction import TransactionCore, fold

_oidc = schema.oidc_providers
_saml = schema.saml_providers


def _oidc_provider(row: Any) -> OidcProvider:
    m = row._mapping
    return OidcProvider(arn=m["arn"], account_id=m["account_id"], url=m["url"],
                        client_ids=tuple(json.loads(m["client_ids"])),
                        thumbprints=tuple(json.loads(m["thumbprints"])), created=m["created"])


def _saml_provider(row: Any) -> SamlProvider:
    m = row._mapping
    return SamlProvider(arn=m["arn"], account_id=m["account_id"], name=m["name"],
                        metadata_document=m["metadata_document"], valid_until=m["valid_until"],
                        created=m["created"])


def _delete_tags(core: TransactionCore, kind: ResourceKind, arn: str) -> None:
    core.execute(delete(schema.tags).where(
        (schema.tags.c.resource_kind == kind.value) & (schema.tags.c.resource_id == arn)))


class SqlOidcProviders:
    def __init__(self, core: TransactionCore) -> None:
        self._core = core

    def insert(self, provider: OidcProvider) -> None:
        """Raises Conflict (on the primary key) when the account has this URL already."""
        self._core.execute(_oidc.insert().values(
            arn=provider.arn, account_id=provider.account_id, url=provider.url,
            client_ids=json.dumps(list(provider.client_ids)),
            thumbprints=json.dumps(list(provider.thumbprints)), created=provider.created))

    def get(self, arn: str, *, for_update: bool = False) -> OidcProvider | None:
        statement = select(_oidc).where(_oidc.c.arn == arn)
        if for_update:
            statement = statement.with_for_update()
        row = self._core.execute(statement).first()
        return None if row is None else _oidc_provider(row)

    def list(self, account_id: str) -> tuple[OidcProvider, ...]:
        rows = self._core.execute(select(_oidc).where(_oidc.c.account_id == account_id)
                                  .order_by(_oidc.c.arn)).all()
        return tuple(_oidc_provider(row) for row in rows)

    def count(self, account_id: str) -> int:
        statement = select(func.count()).select_from(_oidc).where(_oidc.c.account_id == account_id)
        return int(self._core.execute(statement).scalar_one())

    def update(self, provider: OidcProvider) -> bool:
        """Write the client ids and thumbprints; the URL, account and date never change."""
        result = self._core.execute(update(_oidc).where(_oidc.c.arn == provider.arn).values(
            client_ids=json.dumps(list(provider.client_ids)),
            thumbprints=json.dumps(list(provider.thumbprints))))
        return result.rowcount == 1

    def delete(self, arn: str) -> bool:
        """Delete the provider and its tags; False if there was none."""
        _delete_tags(self._core, ResourceKind.OPENID_CONNECT_PROVIDER, arn)
        result = self._core.execute(delete(_oidc).where(_oidc.c.arn == arn))
        return result.rowcount == 1


class SqlSamlProviders:
    def __init__(self, core: TransactionCore) -> None:
        self._core = core

    def _one(self, condition: ColumnElement[bool], for_update: bool) -> SamlProvider | None:
        statement = select(_saml).where(condition)
        if for_update:
            statement = statement.with_for_update()
        row = self._core.execute(statement).first()
        return None if row is None else _saml_provider(row)

    def insert(self, provider: SamlProvider) -> None:
        """Raises Conflict when the account has a provider of this name, ignoring case."""
        self._core.execute(_saml.insert().values(
            arn=provider.arn, account_id=provider.account_id, name=provider.name,
            name_lower=fold(provider.name), metadata_document=provider.metadata_document,
            valid_until=provider.valid_until, created=provider.created))

    def get(self, arn: str, *, for_update: bool = False) -> SamlProvider | None:
        return self._one(_saml.c.arn == arn, for_update)

    def get_by_name(self, account_id: str, name: str, *,
                    for_update: bool = False) -> SamlProvider | None:
        return self._one((_saml.c.account_id == account_id) & (_saml.c.name_lower == fold(name)),
                         for_update)

    def list(self, account_id: str) -> tuple[SamlProvider, ...]:
        rows = self._core.execute(select(_saml).where(_saml.c.account_id == account_id)
                                  .order_by(_saml.c.name_lower, _saml.c.arn)).all()
        return tuple(_saml_provider(row) for row in rows)

    def count(self, account_id: str) -> int:
        statement = select(func.count()).select_from(_saml).where(_saml.c.account_id == account_id)
        return int(self._core.execute(statement).scalar_one())

    def update(self, provider: SamlProvider) -> bool:
        """Write a new metadata document and its validity; name, account and date stay."""
        result = self._core.execute(update(_saml).where(_saml.c.arn == provider.arn).values(
            metadata_document=provider.metadata_document, valid_until=provider.valid_until))
        return result.rowcount == 1

    def delete(self, arn: str) -> bool:
        """Delete the provider and its tags; False if there was none."""
        _delete_tags(self._core, ResourceKind.SAML_PROVIDER, arn)
        result = self._core.execute(delete(_saml).where(_saml.c.arn == arn))
        return result.rowcount == 1
