"""Server certificates: UploadServerCertificate, GetServerCertificate,
ListServerCertificates, UpdateServerCertificate, DeleteServerCertificate and
their tags (TagServerCertificate, UntagServerCertificate, ListServerCertificateTags).

An upload is checked as AWS checks it: the body must be one PEM certificate
that is valid now, the private key must be an unencrypted PEM key whose
public half is the certificate's, and a chain, when given, must start with
the certificate that signed the body and go on in signing order. The private
key is sealed under the master key (bound to the certificate's id) and never
leaves iamd again: no answer carries it and no message quotes it. Names are
unique in the account ignoring case; an account holds at most 20.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from iamd.model.entities import ResourceKind, ServerCertificate
from iamd.model.errors import (
    EntityAlreadyExists,
    KeyPairMismatch,
    LimitExceeded,
    MalformedCertificate,
)
from iamd.service import arns, ids
from iamd.service.context import OperationContext
from iamd.service.iam.common import (
    add_tags,
    checked_marker,
    page_args,
    page_result,
    remove_tags,
    tag_shape,
    tags_from,
    tags_result,
)
from iamd.service.lookup import SERVER_CERTIFICATE, find
from iamd.service.registry import Params, Permission, operation
from iamd.store.errors import Conflict

MAX_SERVER_CERTIFICATES = 20  # IAM's ServerCertificatesPerAccount quota

# AWS's words, as its API answers them.
UNPARSABLE_CERTIFICATE = "Unable to parse certificate. Please ensure the certificate is in PEM format."
UNPARSABLE_KEY = "Unable to parse private key. Please ensure the private key is in PEM format."
EXPIRED = ("Certificate is no longer valid. The 'Not After' date restriction on the "
           "certificate has passed.")
MISMATCH = "Public key certificate and private key doesn't match."
BAD_CHAIN = ("Unable to validate certificate chain. The certificate chain must start with the "
             "immediate signing certificate, followed by any intermediaries in order. "
             "The index within the chain of the invalid certificate is: {index}")


def private_key_associated_data(certificate_id: str) -> bytes:
    """What a server certificate's sealed private key is bound to: the certificate's id."""
    return b"iamd/server-certificate/" + certificate_id.encode("ascii")


def _pem_bytes(text: str) -> bytes:
    # The model allows U+0009..U+00FF; PEM itself is ASCII, and anything else
    # simply fails to parse.
    return text.encode("latin-1", errors="replace")


_PEM_LABEL = re.compile(r"-----BEGIN ([^-\r\n]*)-----")


def only_certificates(text: str) -> bool:
    """True if every PEM block in `text` is a certificate.

    The parser skips other blocks, so a body that carries a private key
    after the certificate would otherwise be stored, and answered, in clear.
    """
    return all(label == "CERTIFICATE" for label in _PEM_LABEL.findall(text))


@dataclass(frozen=True)
class CheckedUpload:
    body: str
    chain: str | None
    expiration: datetime


def parse_certificate(body: str) -> x509.Certificate:
    """The one certificate of a PEM body, or MalformedCertificate."""
    try:
        certificates = x509.load_pem_x509_certificates(_pem_bytes(body))
    except ValueError:
        raise MalformedCertificate(UNPARSABLE_CERTIFICATE) from None
    if len(certificates) != 1 or not only_certificates(body):
        raise MalformedCertificate(UNPARSABLE_CERTIFICATE)
    return certificates[0]


def check_validity(certificate: x509.Certificate, now: datetime) -> None:
    if now > certificate.not_valid_after_utc:
        raise MalformedCertificate(EXPIRED)
    if now < certificate.not_valid_before_utc:
        # AWS's service team: a certificate not valid yet fails standard X.509
        # validation and is answered as unparsable (their message says no more).
        raise MalformedCertificate(UNPARSABLE_CERTIFICATE)


def _public_key_der(key: Any) -> bytes:
    der: bytes = key.public_bytes(serialization.Encoding.DER,
                                  serialization.PublicFormat.SubjectPublicKeyInfo)
    return der


def _check_private_key(private_key: str, certificate: x509.Certificate) -> None:
    # Every failure is reported without the key's text or the parser's own
    # words (which could quote it).
    try:
        key = serialization.load_pem_private_key(_pem_bytes(private_key), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise MalformedCertificate(UNPARSABLE_KEY) from None
    if _public_key_der(key.public_key()) != _public_key_der(certificate.public_key()):
        raise KeyPairMismatch(MISMATCH)


def _issued_by(subject: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        subject.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _check_chain(chain: str, certificate: x509.Certificate) -> None:
    """Each certificate of the chain must have signed the one before it.

    The index AWS reports is that of the certificate whose signer is not the
    next one: -1 for the body itself (the chain does not start with its
    issuer), 0 for the chain's first certificate, and so on.
    """
    try:
        issuers = x509.load_pem_x509_certificates(_pem_bytes(chain))
    except ValueError:
        raise MalformedCertificate(BAD_CHAIN.format(index=-1)) from None
    if not only_certificates(chain):
        raise MalformedCertificate(BAD_CHAIN.format(index=-1))
    subject = certificate
    for index, issuer in enumerate(issuers):
        if not _issued_by(subject, issuer):
            raise MalformedCertificate(BAD_CHAIN.format(index=index - 1))
        subject = issuer


def check_upload(params: Params, now: datetime) -> CheckedUpload:
    body: str = params["CertificateBody"]
    certificate = parse_certificate(body)
    check_validity(certificate, now)
    _check_private_key(params["PrivateKey"], certificate)
    chain: str | None = params.get("CertificateChain")
    if chain is not None:
        _check_chain(chain, certificate)
    return CheckedUpload(body=body.strip(), chain=chain.strip() if chain is not None else None,
                         expiration=certificate.not_valid_after_utc)




def already_exists(name: str) -> EntityAlreadyExists:
    return EntityAlreadyExists(f"The Server Certificate with name {name} already exists.")


def certificate_arn(account_id: str, path: str, name: str) -> str:
    return arns.fill(arns.arn_template("iam", "server-certificate"), account_id,
                     CertificateNameWithPath=path[1:] + name)




def metadata_shape(certificate: ServerCertificate) -> dict[str, Any]:
    return {"Path": certificate.path, "ServerCertificateName": certificate.name,
            "ServerCertificateId": certificate.id, "Arn": certificate.arn,
            "UploadDate": certificate.uploaded, "Expiration": certificate.expiration}


# --- authorization: the certificate's ARN, with its real path once it exists ---

def _named_arn(ctx: OperationContext, params: Params) -> str:
    name = params.get("ServerCertificateName", "")
    existing = ctx.tx.server_certificates.get_by_name(ctx.account_id, name) if name else None
    if existing is not None:
        return existing.arn
    return certificate_arn(ctx.account_id, "/", name)


def _upload_arn(ctx: OperationContext, params: Params) -> str:
    return certificate_arn(ctx.account_id, params.get("Path") or "/",
                           params.get("ServerCertificateName", ""))


def _resource_tags(ctx: OperationContext, params: Params) -> Mapping[str, str | list[str]]:
    name = params.get("ServerCertificateName", "")
    existing = ctx.tx.server_certificates.get_by_name(ctx.account_id, name) if name else None
    if existing is None:
        return {}
    values: dict[str, str | list[str]] = {}
    for tag in ctx.tx.tags.list(ResourceKind.SERVER_CERTIFICATE, existing.id):
        values[f"aws:ResourceTag/{tag.key}"] = tag.value
        values[f"iam:ResourceTag/{tag.key}"] = tag.value
    return values


# --- operations ------------------------------------------------------------------

@operation("iam", "UploadServerCertificate", resource=_upload_arn)
def upload_server_certificate(ctx: OperationContext, params: Params) -> dict[str, Any]:
    name, path = params["ServerCertificateName"], params.get("Path") or "/"
    tags = tags_from(params)
    if ctx.tx.server_certificates.count(ctx.account_id) >= MAX_SERVER_CERTIFICATES:
        raise LimitExceeded(
            f"Cannot exceed quota for ServerCertificatesPerAccount: {MAX_SERVER_CERTIFICATES}")
    checked = check_upload(params, ctx.info.now)
    certificate_id = ids.unique_id(ids.SERVER_CERTIFICATE)
    sealed = ctx.runtime.secrets.encrypt(_pem_bytes(params["PrivateKey"]),
                                         private_key_associated_data(certificate_id))
    certificate = ServerCertificate(
        id=certificate_id, account_id=ctx.account_id, path=path, name=name,
        arn=certificate_arn(ctx.account_id, path, name), body=checked.body, chain=checked.chain,
        private_key_ciphertext=sealed, expiration=checked.expiration, uploaded=ctx.info.now)
    try:
        ctx.tx.server_certificates.insert(certificate)
    except Conflict:
        raise already_exists(name) from None
    result: dict[str, Any] = {"ServerCertificateMetadata": metadata_shape(certificate)}
    if tags:
        ctx.tx.tags.replace(ResourceKind.SERVER_CERTIFICATE, certificate.id, tags)
        result["Tags"] = [tag_shape(t) for t in tags]
    return result


@operation("iam", "GetServerCertificate", read_only=True, resource=_named_arn,
           context=_resource_tags)
def get_server_certificate(ctx: OperationContext, params: Params) -> dict[str, Any]:
    certificate = find(ctx, SERVER_CERTIFICATE, params["ServerCertificateName"])
    shape: dict[str, Any] = {"ServerCertificateMetadata": metadata_shape(certificate),
                             "CertificateBody": certificate.body}
    if certificate.chain is not None:
        shape["CertificateChain"] = certificate.chain
    # AWS answers an empty Tags list here rather than leaving it out.
    shape["Tags"] = [tag_shape(t) for t in
                     ctx.tx.tags.list(ResourceKind.SERVER_CERTIFICATE, certificate.id)]
    return {"ServerCertificate": shape}


@operation("iam", "ListServerCertificates", read_only=True)
def list_server_certificates(ctx: OperationContext, params: Params) -> dict[str, Any]:
    after, limit = page_args(params)
    with checked_marker():
        page = ctx.tx.server_certificates.list(ctx.account_id,
                                               path_prefix=params.get("PathPrefix"),
                                               after=after, limit=limit)
    return page_result(page, "ServerCertificateMetadataList", metadata_shape)


def _renamed(ctx: OperationContext, certificate: ServerCertificate,
             params: Params) -> tuple[str, str, str]:
    """The certificate's name, path and ARN after UpdateServerCertificate."""
    name = params.get("NewServerCertificateName") or certificate.name
    path = params.get("NewPath") or certificate.path
    return name, path, certificate_arn(ctx.account_id, path, name)


def _update_under_new_name(ctx: OperationContext, params: Params) -> list[Permission]:
    # AWS: the caller must be allowed to update the certificate under its old
    # name and under its new one.
    certificate = ctx.named("server_certificates", params["ServerCertificateName"])
    if certificate is None:
        return []  # the handler answers NoSuchEntity
    arn = _renamed(ctx, certificate, params)[2]
    return [Permission("iam:UpdateServerCertificate", arn)] if arn != certificate.arn else []


@operation("iam", "UpdateServerCertificate", resource=_named_arn, context=_resource_tags,
           also=_update_under_new_name)
def update_server_certificate(ctx: OperationContext, params: Params) -> None:
    certificate = find(ctx, SERVER_CERTIFICATE, params["ServerCertificateName"], for_update=True)
    name, path, arn = _renamed(ctx, certificate, params)
    try:
        ctx.tx.server_certificates.rename(certificate.id, path=path, name=name, arn=arn)
    except Conflict:
        raise already_exists(name) from None


@operation("iam", "DeleteServerCertificate", resource=_named_arn, context=_resource_tags)
def delete_server_certificate(ctx: OperationContext, params: Params) -> None:
    certificate = find(ctx, SERVER_CERTIFICATE, params["ServerCertificateName"], for_update=True)
    ctx.tx.server_certificates.delete(certificate.id)


@operation("iam", "TagServerCertificate", resource=_named_arn, context=_resource_tags)
def tag_server_certificate(ctx: OperationContext, params: Params) -> None:
    tags_from(params)  # the request's own faults before the lookup, as for users and roles
    certificate = find(ctx, SERVER_CERTIFICATE, params["ServerCertificateName"], for_update=True)
    add_tags(ctx.tx, ResourceKind.SERVER_CERTIFICATE, certificate.id, params)


@operation("iam", "UntagServerCertificate", resource=_named_arn, context=_resource_tags)
def untag_server_certificate(ctx: OperationContext, params: Params) -> None:
    certificate = find(ctx, SERVER_CERTIFICATE, params["ServerCertificateName"], for_update=True)
    remove_tags(ctx.tx, ResourceKind.SERVER_CERTIFICATE, certificate.id, params)


@operation("iam", "ListServerCertificateTags", read_only=True, resource=_named_arn,
           context=_resource_tags)
def list_server_certificate_tags(ctx: OperationContext, params: Params) -> dict[str, Any]:
    certificate = find(ctx, SERVER_CERTIFICATE, params["ServerCertificateName"])
    return tags_result(ctx.tx, ResourceKind.SERVER_CERTIFICATE, certificate.id, params)
