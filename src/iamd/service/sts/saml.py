"""AssumeRoleWithSAML: temporary credentials for the bearer of a signed SAML 2.0 response.

The call is unsigned: the IdP's signature is the proof. `PrincipalArn` names
the SAML provider (iam/saml_providers.py), whose metadata holds the IdP's
signing certificates; the base64 SAML Response must carry an XML signature
(signxml) by one of them over the Response or its Assertion, and everything
read afterwards is read from the signed element only, so that an unsigned
element slipped beside it (signature wrapping) is never believed. Then, as
AWS checks them: the Issuer is the metadata's entity id, the Response is
recent (issued within five minutes) and unexpired (Conditions and
SubjectConfirmationData NotBefore/NotOnOrAfter), the audience is AWS's
sign-in endpoint (`https://signin.aws.amazon.com/saml`, a regional one, or
`urn:amazon:webservices`), the `https://aws.amazon.com/SAML/Attributes/Role`
attribute holds the pair "role ARN,provider ARN" (either order), and a
`RoleSessionName` attribute names the session. The role's trust policy then
decides for the provider as federated principal, with the `saml:` keys
(`aud`, `iss`, `sub`, `sub_type`, `namequalifier`, `doc` and the attributes
AWS maps: eduPerson, mail, uid, ...). `PrincipalTag:*`, `TransitiveTagKeys`
and `SourceIdentity` attributes need sts:TagSession and
sts:SetSourceIdentity from the trust policy too.

The certificates' own validity dates are not checked, as AWS does not; the
session lasts DurationSeconds or until the assertion's SessionNotOnOrAfter,
whichever comes first.

An assertion may come encrypted (saml:EncryptedAssertion, XML Encryption;
sts/saml_encryption.py), for one of the provider's private keys
(iam/saml_keys.py). A signature on the Response covers the encrypted form:
it is verified first and the assertion decrypted inside the verified
Response. Otherwise the decrypted Assertion takes the EncryptedAssertion's
place and the signature is looked for again, now on the Assertion. Either
way the checks above then run unchanged. A Response carrying an
EncryptedAssertion must carry nothing else (no second, plain assertion
beside it); a provider in AssertionEncryptionMode "Required" refuses plain
assertions.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from lxml import etree  # type: ignore[import-untyped]
from signxml.algorithms import SignatureMethod
from signxml.exceptions import SignXMLException
from signxml.verifier import SignatureConfiguration, XMLVerifier

from iamd.model.entities import SamlProvider
from iamd.model.errors import (
    AccessDenied,
    ExpiredTokenException,
    InvalidIdentityToken,
    InvalidParameterValue,
)
from iamd.service import arns
from iamd.service.context import OperationContext
from iamd.service.iam import saml_keys
from iamd.service.iam.saml_providers import SamlMetadata, read_metadata, safe_parser
from iamd.service.registry import Params, operation
from iamd.service.sts.saml_encryption import DecryptionFailed, decrypt_assertion
from iamd.service.sts.sessions import _role_from_arn
from iamd.service.sts.web_identity import (
    FederatedSession,
    base_context,
    issue,
    role_account,
    session_duration,
    session_policies,
    trusts,
)

ACTION = "sts:AssumeRoleWithSAML"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
ATTRIBUTES = "https://aws.amazon.com/SAML/Attributes/"
NAMEID_PREFIX = "urn:oasis:names:tc:SAML:2.0:nameid-format:"
UNSPECIFIED_FORMAT = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
CLOCK_SKEW = timedelta(minutes=5)
REDEEM_WITHIN = timedelta(minutes=5)
MAX_SESSION_TAGS = 50
SESSION_NAME = re.compile(r"[a-zA-Z_0-9+=,.@-]{2,64}")
AWS_AUDIENCE = re.compile(r"https://([a-z0-9-]+\.)?signin\.(aws\.amazon\.com|amazonaws-us-gov\.com|"
                          r"amazonaws\.cn)/saml|urn:amazon:webservices")
SIGNATURE_METHODS = frozenset(m for m in SignatureMethod if m.name.startswith(("RSA_", "ECDSA_"))
                              and "SHA1" not in m.name)

# Attribute names (OIDs, as IdPs send them) for the saml: keys AWS maps.
_EDU_PERSON = "urn:oid:1.3.6.1.4.1.5923.1.1.1."
_EDU_ORG = "urn:oid:1.3.6.1.4.1.5923.1.2.1."
ATTRIBUTE_OIDS: dict[str, tuple[str, ...]] = {
    **{_EDU_PERSON + str(n): (key,) for n, key in enumerate(
        ("edupersonaffiliation", "edupersonnickname", "edupersonorgdn", "edupersonorgunitdn",
         "edupersonprimaryaffiliation", "edupersonprincipalname", "edupersonentitlement",
         "edupersonprimaryorgunitdn", "edupersonscopedaffiliation", "edupersontargetedid",
         "edupersonassurance"), start=1)},
    **{_EDU_ORG + str(n): (key,) for n, key in enumerate(
        ("eduorghomepageuri", "eduorgidentityauthnpolicyuri", "eduorglegalname",
         "eduorgsuperioruri", "eduorgwhitepagesuri"), start=2)},
    "urn:oid:2.5.4.3": ("commonName", "cn"),
    "urn:oid:2.5.4.42": ("givenName",),
    "urn:oid:2.5.4.4": ("surname",),
    "urn:oid:2.5.4.41": ("name",),
    "urn:oid:2.5.4.45": ("x500UniqueIdentifier",),
    "urn:oid:0.9.2342.19200300.100.1.1": ("uid",),
    "urn:oid:0.9.2342.19200300.100.1.3": ("mail",),
}
_COMPUTED_KEYS = frozenset({"aud", "doc", "iss", "namequalifier", "sub", "sub_type"})


def _invalid(message: str) -> InvalidIdentityToken:
    return InvalidIdentityToken(message)


@cache
def _attribute_keys() -> dict[str, str]:
    """Lower-cased attribute name -> saml: key, from the reference's keys and the OIDs above."""
    names: dict[str, str] = {}
    for key in arns.action_condition_keys("sts", "AssumeRoleWithSAML"):
        prefix, _, name = key.partition(":")
        if prefix == "saml" and name not in _COMPUTED_KEYS:
            names[name.lower()] = name
    for oid, keys in ATTRIBUTE_OIDS.items():
        for key in keys:
            if key.lower() in names:
                names.setdefault(oid, names[key.lower()])
    return names


def _time(element: Any, attribute: str) -> datetime | None:
    text = element.get(attribute) if element is not None else None
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise _invalid(f"Invalid {attribute} in the SAML response.") from None
    # xs:dateTime without a zone: SAML's times are UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _verified_element(document: bytes, metadata: SamlMetadata) -> Any:
    """The element the IdP signed (the Response or its Assertion), verified."""
    for certificate in metadata.certificates:
        # Certificates' own dates are not AWS's concern: verify as of their start.
        config = SignatureConfiguration(signature_methods=SIGNATURE_METHODS,
                                        verification_time=certificate.not_valid_before_utc)
        try:
            result = XMLVerifier().verify(document, x509_cert=certificate, expect_config=config)
        except (SignXMLException, ValueError, etree.LxmlError):
            continue
        if isinstance(result, list):
            continue
        return result.signed_xml
    raise _invalid("Response signature invalid")


NOT_ENCRYPTED = ("The SAML provider requires encrypted assertions, but the SAML response's "
                 "assertion is not encrypted.")


def _decrypt_in(element: Any, keys: list[Any]) -> None:
    """Replace `element`'s one EncryptedAssertion child by the Assertion inside it."""
    encrypted = element.findall(f"{{{SAML}}}EncryptedAssertion")
    if len(encrypted) != 1 or element.find(f"{{{SAML}}}Assertion") is not None:
        raise _invalid("Invalid SAML response: a Response with an EncryptedAssertion must "
                       "carry exactly one assertion.")
    try:
        assertion = decrypt_assertion(encrypted[0], keys, safe_parser())
    except DecryptionFailed as failure:
        raise _invalid(str(failure)) from None
    assertion.tail = encrypted[0].tail
    element.replace(encrypted[0], assertion)


def _verified_decrypted(ctx: OperationContext, provider: SamlProvider,
                        encryption: saml_keys.EncryptionSettings, document: bytes,
                        response: Any, metadata: SamlMetadata) -> Any:
    """The signed element of a Response with an EncryptedAssertion, decrypted."""
    keys: list[Any] = saml_keys.private_keys(ctx.runtime, provider.arn, encryption)
    try:  # a signature on the Response, over the encrypted assertion
        signed = _verified_element(document, metadata)
    except InvalidIdentityToken:
        signed = None
    if signed is not None and signed.tag == f"{{{SAMLP}}}Response":
        _decrypt_in(signed, keys)
        return signed
    # Else the signature is the Assertion's, inside the encryption.
    _decrypt_in(response, keys)
    return _verified_element(etree.tostring(response), metadata)


def _assertion(signed: Any) -> Any:
    if signed is None:
        raise _invalid("Response signature invalid")
    if signed.tag == f"{{{SAML}}}Assertion":
        return signed
    if signed.tag == f"{{{SAMLP}}}Response":
        assertions = signed.findall(f"{{{SAML}}}Assertion")
        if len(assertions) == 1:
            return assertions[0]
    raise _invalid("Response signature invalid")


def _attributes(assertion: Any) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for attribute in assertion.iterfind(f"{{{SAML}}}AttributeStatement/{{{SAML}}}Attribute"):
        name = attribute.get("Name") or ""
        for value in attribute.iterfind(f"{{{SAML}}}AttributeValue"):
            values.setdefault(name, []).append("".join(value.itertext()).strip())
    return values


def _role_pairs(values: Iterable[str]) -> set[frozenset[str]]:
    pairs = set()
    for value in values:
        parts = [p.strip() for p in value.split(",")]
        if len(parts) == 2:
            pairs.add(frozenset(parts))
    return pairs


def name_qualifier(issuer: str, provider: SamlProvider) -> str:
    """AWS's NameQualifier: BASE64(SHA1(issuer + account id + "/" + provider name))."""
    text = f"{issuer}{provider.account_id}/{provider.name}"
    return base64.b64encode(hashlib.sha1(text.encode(), usedforsecurity=False).digest()).decode()


def _check_times(signed: Any, assertion: Any, now: datetime) -> tuple[str | None, datetime | None]:
    """Validity windows; the Recipient and SessionNotOnOrAfter of the assertion.

    The issue time is the signed element's (the Response or the Assertion): an
    unsigned Response around a signed Assertion could say anything.
    """
    issued = _time(signed, "IssueInstant")
    if issued is not None and now - issued > REDEEM_WITHIN + CLOCK_SKEW:
        raise ExpiredTokenException("Token must be redeemed within 5 minutes of issuance")
    conditions = assertion.find(f"{{{SAML}}}Conditions")
    recipient = None
    windows = [conditions] if conditions is not None else []
    for data in assertion.iterfind(
            f"{{{SAML}}}Subject/{{{SAML}}}SubjectConfirmation/{{{SAML}}}SubjectConfirmationData"):
        windows.append(data)
        recipient = recipient or data.get("Recipient")
    for window in windows:
        not_before, not_after = _time(window, "NotBefore"), _time(window, "NotOnOrAfter")
        if not_after is not None and now >= not_after + CLOCK_SKEW:
            raise ExpiredTokenException("Response has expired")
        if not_before is not None and now + CLOCK_SKEW < not_before:
            raise _invalid("The SAML response is not yet valid.")
    statement = assertion.find(f"{{{SAML}}}AuthnStatement")
    return recipient, _time(statement, "SessionNotOnOrAfter")


def _check_audience(assertion: Any, recipient: str | None, own_acs: str) -> str:
    """AWS's audience; the recipient is AWS's sign-in endpoint or this server's
    own console (`own_acs`: an IdP set up to post to iamd's /saml)."""
    audiences = ["".join(a.itertext()).strip() for a in assertion.iterfind(
        f"{{{SAML}}}Conditions/{{{SAML}}}AudienceRestriction/{{{SAML}}}Audience")]
    if not any(AWS_AUDIENCE.fullmatch(a) for a in audiences):
        raise _invalid("The SAML response's audience is not AWS: expected "
                       "https://signin.aws.amazon.com/saml")
    if recipient is not None and not AWS_AUDIENCE.fullmatch(recipient) and recipient != own_acs:
        raise _invalid("The SAML response's recipient is not AWS: expected "
                       "https://signin.aws.amazon.com/saml")
    return recipient or next(a for a in audiences if AWS_AUDIENCE.fullmatch(a))


def console_acs(public_url: str) -> str:
    """Where an IdP posts SAML responses for iamd's console."""
    return f"{public_url}/saml"


def roles_offered(saml_response: str) -> list[tuple[str, str]]:
    """The (role ARN, provider ARN) pairs an unencrypted SAML response offers,
    for the console to let a person choose; nothing here is verified (the
    chosen pair goes through AssumeRoleWithSAML, which verifies everything)."""
    try:
        response = etree.fromstring(base64.b64decode(saml_response, validate=False),
                                    parser=safe_parser())
    except (binascii.Error, ValueError, etree.XMLSyntaxError):
        return []
    assertion = response.find(f"{{{SAML}}}Assertion")
    if assertion is None:
        return []
    pairs = []
    for value in _attributes(assertion).get(ATTRIBUTES + "Role", []):
        parts = [p.strip() for p in value.split(",")]
        roles = [p for p in parts if ":role/" in p]
        providers = [p for p in parts if ":saml-provider/" in p]
        if len(parts) == 2 and len(roles) == 1 and len(providers) == 1:
            pairs.append((roles[0], providers[0]))
    return sorted(set(pairs))


def _session_tags(attributes: dict[str, list[str]]) -> tuple[dict[str, str], list[str]]:
    tags: dict[str, str] = {}
    for name, values in attributes.items():
        if name.startswith(ATTRIBUTES + "PrincipalTag:") and values:
            tags[name.removeprefix(ATTRIBUTES + "PrincipalTag:")] = values[0]
    if len(tags) > MAX_SESSION_TAGS:
        raise _invalid(f"A SAML assertion can pass at most {MAX_SESSION_TAGS} session tags.")
    transitive = attributes.get(ATTRIBUTES + "TransitiveTagKeys", [])
    lowered = {k.lower() for k in tags}
    if any(k.lower() not in lowered for k in transitive):
        raise InvalidParameterValue("The specified transitive tag key must be included in the "
                                    "requested tags.")
    return tags, transitive


@operation("sts", "AssumeRoleWithSAML", read_only=True, authorize=False)
def assume_role_with_saml(ctx: OperationContext, params: Params) -> dict[str, Any]:
    role_arn, principal_arn = params["RoleArn"], params["PrincipalArn"]
    role_account(role_arn)
    provider = ctx.tx.saml_providers.get(principal_arn)
    if provider is None:
        raise _invalid("Specified provider doesn't exist")
    try:
        document = base64.b64decode(params["SAMLAssertion"], validate=False)
        response = etree.fromstring(document, parser=safe_parser())
    except (binascii.Error, ValueError, etree.XMLSyntaxError):
        raise _invalid("Invalid SAML response: not a base64-encoded XML document") from None
    if response.tag != f"{{{SAMLP}}}Response":
        raise _invalid("Invalid SAML response: not a SAML 2.0 Response")
    status = response.find(f"{{{SAMLP}}}Status/{{{SAMLP}}}StatusCode")
    if status is None or status.get("Value") != SUCCESS:
        raise _invalid("The SAML response's status is not Success.")

    metadata = read_metadata(provider.metadata_document)
    encryption = saml_keys.load(ctx.tx, provider.arn)
    if response.find(f"{{{SAML}}}EncryptedAssertion") is not None:
        signed = _verified_decrypted(ctx, provider, encryption, document, response, metadata)
    elif encryption.mode == saml_keys.REQUIRED:
        raise _invalid(NOT_ENCRYPTED)
    else:
        signed = _verified_element(document, metadata)
    assertion = _assertion(signed)
    issuer_element = assertion.find(f"{{{SAML}}}Issuer")
    issuer = "".join(issuer_element.itertext()).strip() if issuer_element is not None else ""
    if not issuer or (metadata.entity_id and issuer != metadata.entity_id):
        raise _invalid("Issuer not present in specified provider")
    now = ctx.info.now
    recipient, session_not_after = _check_times(signed, assertion, now)
    audience = _check_audience(assertion, recipient, console_acs(ctx.runtime.public_url))

    attributes = _attributes(assertion)
    session_names = attributes.get(ATTRIBUTES + "RoleSessionName", [])
    session_name = session_names[0] if session_names else ""
    if not SESSION_NAME.fullmatch(session_name):
        raise _invalid("RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}")
    name_id = assertion.find(f"{{{SAML}}}Subject/{{{SAML}}}NameID")
    subject = "".join(name_id.itertext()).strip() if name_id is not None else ""
    subject_format = (name_id.get("Format") if name_id is not None else None) or UNSPECIFIED_FORMAT
    subject_type = subject_format.removeprefix(NAMEID_PREFIX)
    qualifier = name_qualifier(issuer, provider)

    denied = AccessDenied(f"Not authorized to perform {ACTION}")
    role = _role_from_arn(ctx, role_arn)
    if role is None or frozenset((role_arn, principal_arn)) not in _role_pairs(
            attributes.get(ATTRIBUTES + "Role", [])):
        raise denied
    context = base_context(ctx, session_name)
    context.put("saml:aud", audience)
    context.put("saml:iss", issuer)
    context.put("saml:sub", subject)
    context.put("saml:sub_type", subject_type)
    context.put("saml:namequalifier", qualifier)
    context.put("saml:doc", f"{provider.account_id}/{provider.name}")
    keys = _attribute_keys()
    for name, values in attributes.items():
        key = keys.get(name) or keys.get(name.lower())
        if key is not None and values:
            context.put(f"saml:{key}", values if len(values) > 1 else values[0])
    tags, transitive = _session_tags(attributes)
    source_identities = attributes.get(ATTRIBUTES + "SourceIdentity", [])
    source_identity = source_identities[0] if source_identities else None
    if tags:
        context.put("aws:TagKeys", list(tags))
        for key, value in tags.items():
            context.put(f"aws:RequestTag/{key}", value)
    if transitive:
        context.put("sts:TransitiveTagKeys", transitive)
    if source_identity:
        context.put("sts:SourceIdentity", source_identity)
    if not trusts(role, provider.arn, ACTION, context):
        raise denied
    if tags and not trusts(role, provider.arn, "sts:TagSession", context):
        raise denied
    if source_identity and not trusts(role, provider.arn, "sts:SetSourceIdentity", context):
        raise denied

    ceiling = None
    if session_not_after is not None:
        ceiling = int((session_not_after - now).total_seconds())
        if ceiling <= 0:
            raise ExpiredTokenException("Response has expired")
    session = FederatedSession(
        role=role, session_name=session_name, duration=session_duration(params, role, ceiling),
        policies=session_policies(ctx, params, role.account_id), tags=tags,
        transitive_tag_keys=transitive, source_identity=source_identity, provider_arn=provider.arn)
    result = issue(ctx, session)
    result.update({"Subject": subject, "SubjectType": subject_type, "Issuer": issuer,
                   "Audience": audience, "NameQualifier": qualifier})
    return result
