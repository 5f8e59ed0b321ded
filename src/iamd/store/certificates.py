"""Certificates and keys in the store: server certificates, signing certificates,
SSH public keys and service-specific credentials.

Secrets arrive sealed (a server certificate's private key, a service
password): the store keeps the ciphertext `SecretBox` produced and never sees
them in clear. Server certificates are named in their account, unique
ignoring case like users, and their tags go with them; the other three belong
to a user, and their plain foreign key refuses to delete a user who still
has any (AWS answers DeleteConflict, and the database agrees).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import ColumnElement, Table, bindparam, delete, func, select, update

from iamd.model.entities import (
    Page,
    ResourceKind,
    ServerCertificate,
    ServiceSpecificCredential,
    SigningCertificate,
    SSHPublicKey,
)
from iamd.store import schema
from iamd.store.principals import path_starts_with
from iamd.store.transaction import TransactionCore, fold

_server = schema.server_certificates
_signing = schema.signing_certificates
_ssh = schema.ssh_public_keys
_credentials = schema.service_specific_credentials
# Built once: a user's credentials for one service are counted against its quota.
_COUNT_FOR_SERVICE = (select(func.count().label("n")).select_from(_credentials)
                      .where((_credentials.c.user_id == bindparam("user_id"))
                             & (_credentials.c.service_name == bindparam("service_name"))))

# Ciphertext columns: psycopg may hand bytea back as memoryview.
_BINARY = frozenset({"private_key_ciphertext", "password_ciphertext"})


def _fields(entity: type[Any]) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(entity))


def _converter(entity: type[Any]) -> Any:
    names = _fields(entity)

    def convert(row: Any) -> Any:
        mapping = row._mapping
        values = {name: mapping[name] for name in names}
        for name in _BINARY.intersection(values):
            values[name] = bytes(values[name])
        return entity(**values)
    return convert


def _values(entity: Any) -> dict[str, Any]:
    return {name: getattr(entity, name) for name in _fields(type(entity))}


_server_certificate = _converter(ServerCertificate)
_signing_certificate = _converter(SigningCertificate)
_ssh_public_key = _converter(SSHPublicKey)
_service_credential = _converter(ServiceSpecificCredential)


class SqlServerCertificates:
    """Server certificates of an account, by id and by name (ignoring case)."""

    def __init__(self, core: TransactionCore) -> None:
        self._core = core

    def _one(self, condition: ColumnElement[bool], for_update: bool) -> ServerCertificate | None:
        statement = select(_server).where(condition)
        if for_update:
            statement = statement.with_for_update()
        row = self._core.execute(statement).first()
        return None if row is None else _server_certificate(row)

    def insert(self, certificate: ServerCertificate) -> None:
        self._core.execute(_server.insert().values(
            **_values(certificate), name_lower=fold(certificate.name)))

    def get(self, certificate_id: str, *, for_update: bool = False) -> ServerCertificate | None:
        return self._one(_server.c.id == certificate_id, for_update)

    def get_by_name(self, account_id: str, name: str, *,
                    for_update: bool = False) -> ServerCertificate | None:
        return self._one((_server.c.account_id == account_id)
                         & (_server.c.name_lower == fold(name)), for_update)

    def list(self, account_id: str, *, path_prefix: str | None = None, after: str | None = None,
             limit: int = 100) -> Page[ServerCertificate]:
        statement = select(_server).where(_server.c.account_id == account_id)
        prefix = path_starts_with(_server.c.path, path_prefix)
        if prefix is not None:
            statement = statement.where(prefix)
        return self._core.page(statement, listing="server-certificates",
                               order=[_server.c.name_lower, _server.c.id],
                               after=after, limit=limit, convert=_server_certificate)

    def count(self, account_id: str) -> int:
        statement = select(func.count()).select_from(_server).where(
            _server.c.account_id == account_id)
        return int(self._core.execute(statement).scalar_one())

    def rename(self, certificate_id: str, *, path: str, name: str, arn: str) -> bool:
        """Move or rename; the body, key and dates never change after upload."""
        result = self._core.execute(update(_server).where(_server.c.id == certificate_id).values(
            path=path, name=name, name_lower=fold(name), arn=arn))
        return result.rowcount == 1

    def delete(self, certificate_id: str) -> bool:
        """Delete the certificate and its tags; False if there was none."""
        self._core.execute(delete(schema.tags).where(
            (schema.tags.c.resource_kind == ResourceKind.SERVER_CERTIFICATE.value)
            & (schema.tags.c.resource_id == certificate_id)))
        result = self._core.execute(delete(_server).where(_server.c.id == certificate_id))
        return result.rowcount == 1


class _UserOwned:
    """What the three per-user kinds share: read by id, list and count by user,
    change the status, delete."""

    table: Table
    convert: Any

    def __init__(self, core: TransactionCore) -> None:
        self._core = core

    def _insert(self, entity: Any) -> None:
        self._core.execute(self.table.insert().values(**_values(entity)))

    def _get(self, entity_id: str) -> Any:
        row = self._core.execute(select(self.table).where(self.table.c.id == entity_id)).first()
        return None if row is None else self.convert(row)

    def _rows(self, condition: ColumnElement[bool], timestamp: str) -> tuple[Any, ...]:
        # Oldest first; a user holds at most five of any kind, so no pagination here.
        rows = self._core.execute(select(self.table).where(condition)
                                  .order_by(self.table.c[timestamp], self.table.c.id)).all()
        return tuple(self.convert(row) for row in rows)

    def _count(self, condition: ColumnElement[bool]) -> int:
        statement = select(func.count()).select_from(self.table).where(condition)
        return int(self._core.execute(statement).scalar_one())

    def update_status(self, entity_id: str, status: str) -> bool:
        result = self._core.execute(
            update(self.table).where(self.table.c.id == entity_id).values(status=status))
        return result.rowcount == 1

    def delete(self, entity_id: str) -> bool:
        result = self._core.execute(delete(self.table).where(self.table.c.id == entity_id))
        return result.rowcount == 1


class SqlSigningCertificates(_UserOwned):
    table = _signing
    convert = staticmethod(_signing_certificate)

    def insert(self, certificate: SigningCertificate) -> None:
        self._insert(certificate)

    def get(self, certificate_id: str) -> SigningCertificate | None:
        found: SigningCertificate | None = self._get(certificate_id)
        return found

    def list_for_user(self, user_id: str) -> tuple[SigningCertificate, ...]:
        return self._rows(_signing.c.user_id == user_id, "uploaded")

    def list_for_account(self, account_id: str) -> tuple[SigningCertificate, ...]:
        """Every signing certificate in the account (AWS refuses one certificate
        on two users of an account, and the body is all there is to compare)."""
        return self._rows(_signing.c.account_id == account_id, "uploaded")

    def count_for_user(self, user_id: str) -> int:
        return self._core.count(_signing, "user_id", user_id)


class SqlSSHPublicKeys(_UserOwned):
    table = _ssh
    convert = staticmethod(_ssh_public_key)

    def insert(self, key: SSHPublicKey) -> None:
        self._insert(key)

    def get(self, key_id: str) -> SSHPublicKey | None:
        found: SSHPublicKey | None = self._get(key_id)
        return found

    def list_for_user(self, user_id: str) -> tuple[SSHPublicKey, ...]:
        return self._rows(_ssh.c.user_id == user_id, "uploaded")

    def count_for_user(self, user_id: str) -> int:
        return self._core.count(_ssh, "user_id", user_id)


class SqlServiceCredentials(_UserOwned):
    table = _credentials
    convert = staticmethod(_service_credential)

    def insert(self, credential: ServiceSpecificCredential) -> None:
        self._insert(credential)

    def get(self, credential_id: str) -> ServiceSpecificCredential | None:
        found: ServiceSpecificCredential | None = self._get(credential_id)
        return found

    def list_for_user(self, user_id: str, *,
                      service_name: str | None = None) -> tuple[ServiceSpecificCredential, ...]:
        condition = _credentials.c.user_id == user_id
        if service_name is not None:
            condition = condition & (_credentials.c.service_name == service_name)
        return self._rows(condition, "created")

    def list_for_account(self, account_id: str, *, service_name: str | None = None,
                         after: str | None = None,
                         limit: int = 100) -> Page[ServiceSpecificCredential]:
        """All users' credentials in the account, in id order (ListServiceSpecificCredentials
        with AllUsers), one page at a time."""
        statement = select(_credentials).where(_credentials.c.account_id == account_id)
        if service_name is not None:
            statement = statement.where(_credentials.c.service_name == service_name)
        return self._core.page(statement, listing="service-credentials",
                               order=[_credentials.c.id], after=after, limit=limit,
                               convert=_service_credential)

    def count_for_user(self, user_id: str, *, service_name: str | None = None) -> int:
        if service_name is None:
            return self._core.count(_credentials, "user_id", user_id)
        row = self._core.first(_COUNT_FOR_SERVICE, {"user_id": user_id,
                                                    "service_name": service_name})
        return int(row.n) if row is not None else 0

    def replace_password(self, credential_id: str, password_ciphertext: bytes) -> bool:
        """ResetServiceSpecificCredential: a new sealed password, same id and user name."""
        result = self._core.execute(update(_credentials).where(_credentials.c.id == credential_id)
                                    .values(password_ciphertext=password_ciphertext))
        return result.rowcount == 1
