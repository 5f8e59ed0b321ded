"""Signing certificates: UploadSigningCertificate, ListSigningCertificates,
UpdateSigningCertificate, DeleteSigningCertificate.

A user's X.509 certificates for services that verify signed requests with
them. The body must be one PEM certificate valid now; a user holds at most
two; one certificate may belong to one user of an account only
(DuplicateCertificate, compared by its DER bytes, not its text). The body is
kept and answered as uploaded, trailing newline included. Ids are 32
characters of the base32 alphabet, as AWS hands them out. Without UserName
the operations act on the calling user.
"""

from __future__ import annotations

import secrets
import string
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from iamd.model.entities import SigningCertificate, User
from iamd.model.errors import (
    DuplicateCertificate,
    InvalidInput,
    LimitExceeded,
    MalformedCertificate,
    NoSuchEntity,
    NoSuchSigningCertificate,
)
from iamd.service.context import OperationContext
from iamd.service.iam.common import list_result, page_args
from iamd.service.iam.server_certificates import EXPIRED, only_certificates
from iamd.service.iam.users import target_user
from iamd.service.registry import Params, operation

MAX_CERTIFICATES_PER_USER = 2  # IAM's CertificatesPerUser quota
_ID_ALPHABET = string.ascii_uppercase + "234567"  # base32, as in PBEX2T7R5DA3SVZHQDK2HQ2G3ZOP7SYA
_ID_LENGTH = 32


def certificate_id() -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(_ID_LENGTH))


def _der(body: str) -> bytes | None:
    try:
        certificates = x509.load_pem_x509_certificates(body.encode("latin-1", errors="replace"))
    except ValueError:
        return None
    if len(certificates) != 1 or not only_certificates(body):
        return None
    return certificates[0].public_bytes(serialization.Encoding.DER)


def _checked_certificate(body: str, ctx: OperationContext) -> bytes:
    """The certificate's DER bytes, once it parses and is valid now."""
    malformed = MalformedCertificate(f"Certificate {body} is malformed.")
    der = _der(body)
    if der is None:
        raise malformed
    certificate = x509.load_der_x509_certificate(der)
    if ctx.info.now > certificate.not_valid_after_utc:
        raise MalformedCertificate(EXPIRED)
    if ctx.info.now < certificate.not_valid_before_utc:
        raise malformed
    return der


def not_found(certificate_id: str) -> NoSuchEntity:
    return NoSuchSigningCertificate(certificate_id=certificate_id)


def _certificate_or_fail(ctx: OperationContext, params: Params) -> tuple[User, SigningCertificate]:
    user = target_user(ctx, params)
    certificate = ctx.tx.signing_certificates.get(params["CertificateId"])
    if certificate is None or certificate.user_id != user.id:
        raise not_found(params["CertificateId"])
    return user, certificate


def certificate_shape(user: User, certificate: SigningCertificate) -> dict[str, Any]:
    return {"UserName": user.name, "CertificateId": certificate.id,
            "CertificateBody": certificate.body, "Status": certificate.status,
            "UploadDate": certificate.uploaded}


def checked_status(status: str) -> str:
    # "Expired" is in the model's enum for credentials that lapse by
    # themselves; nobody may set it.
    if status not in ("Active", "Inactive"):
        raise InvalidInput(f"Status {status} is not valid. Valid values are Active and Inactive.")
    return status


@operation("iam", "UploadSigningCertificate")
def upload_signing_certificate(ctx: OperationContext, params: Params) -> dict[str, Any]:
    # The user's row is locked: the count and the duplicate check then hold
    # until this transaction commits.
    user = target_user(ctx, params, for_update=True)
    body: str = params["CertificateBody"]
    der = _checked_certificate(body, ctx)
    tx = ctx.tx
    if tx.signing_certificates.count_for_user(user.id) >= MAX_CERTIFICATES_PER_USER:
        raise LimitExceeded(f"Cannot exceed quota for CertificatesPerUser: {MAX_CERTIFICATES_PER_USER}")
    if any(_der(other.body) == der for other in tx.signing_certificates.list_for_account(ctx.account_id)):
        raise DuplicateCertificate("The same certificate is already associated with an IAM user "
                                   "in the account.")
    certificate = SigningCertificate(id=certificate_id(), user_id=user.id,
                                     account_id=ctx.account_id, body=body,
                                     status="Active", uploaded=ctx.info.now)
    tx.signing_certificates.insert(certificate)
    return {"Certificate": certificate_shape(user, certificate)}


@operation("iam", "ListSigningCertificates", read_only=True)
def list_signing_certificates(ctx: OperationContext, params: Params) -> dict[str, Any]:
    user = target_user(ctx, params)
    marker, limit = page_args(params)
    return list_result(ctx.tx.signing_certificates.list_for_user(user.id), "Certificates",
                       lambda c: certificate_shape(user, c), marker, limit,
                       key=lambda c: f"{c.uploaded.isoformat()}/{c.id}")


@operation("iam", "UpdateSigningCertificate")
def update_signing_certificate(ctx: OperationContext, params: Params) -> None:
    _, certificate = _certificate_or_fail(ctx, params)
    ctx.tx.signing_certificates.update_status(certificate.id, checked_status(params["Status"]))


@operation("iam", "DeleteSigningCertificate")
def delete_signing_certificate(ctx: OperationContext, params: Params) -> None:
    _, certificate = _certificate_or_fail(ctx, params)
    ctx.tx.signing_certificates.delete(certificate.id)
