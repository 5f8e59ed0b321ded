"""SAML providers and AssumeRoleWithSAML end to end, with boto3.

A test IdP made at test time: an RSA key and a self-signed certificate
(cryptography), metadata registered through CreateSAMLProvider, and SAML
Responses whose Assertion is signed with signxml, as IdPs sign them. For
encrypted assertions the IdP also encrypts, as XML Encryption describes it
(written here with `cryptography`): a fresh AES key encrypts the Assertion
(GCM or CBC) and travels RSA-OAEP-encrypted for the service provider's key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID
from lxml import etree  # type: ignore[import-untyped]
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
from signxml.signer import XMLSigner

from iamd.testing import IamdServer

SIGNIN = "https://signin.aws.amazon.com/saml"
ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/"
XENC = "http://www.w3.org/2001/04/xmlenc#"
XENC11 = "http://www.w3.org/2009/xmlenc11#"
DS = "http://www.w3.org/2000/09/xmldsig#"
SAML_NS = "urn:oasis:names:tc:SAML:2.0:assertion"
AES_KEY_BYTES = {"aes128-gcm": 16, "aes256-gcm": 32, "aes128-cbc": 16, "aes256-cbc": 32}
HASH_URIS: dict[str, tuple[str, type[hashes.HashAlgorithm]]] = {
    "sha1": (DS + "sha1", hashes.SHA1), "sha256": (XENC + "sha256", hashes.SHA256)}


@dataclass(frozen=True)
class Encryption:
    """How the test IdP encrypts: content cipher, OAEP flavour, where the EncryptedKey goes."""
    content: str = "aes256-gcm"
    oaep: str = "rsa-oaep-mgf1p"  # or "rsa-oaep" (XML Encryption 1.1), with `mgf`
    digest: str = "sha1"
    mgf: str = "sha1"
    key_beside_data: bool = False  # the EncryptedKey beside EncryptedData, not in its KeyInfo


def private_key_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def encrypt_assertion(assertion: bytes, recipient: rsa.RSAPublicKey,
                      how: Encryption = Encryption()) -> Any:
    """A saml:EncryptedAssertion holding `assertion` (its serialization) for `recipient`."""
    content_key = secrets.token_bytes(AES_KEY_BYTES[how.content])
    if how.content.endswith("gcm"):
        iv = secrets.token_bytes(12)
        encrypted = iv + AESGCM(content_key).encrypt(iv, assertion, None)
        content_uri = XENC11 + how.content
    else:
        iv = secrets.token_bytes(16)
        pad = 16 - len(assertion) % 16  # XML Encryption: the last byte counts the padding
        padded = assertion + secrets.token_bytes(pad - 1) + bytes([pad])
        encryptor = Cipher(algorithms.AES(content_key), modes.CBC(iv)).encryptor()
        encrypted = iv + encryptor.update(padded) + encryptor.finalize()
        content_uri = XENC + how.content
    digest_uri, digest = HASH_URIS[how.digest]
    mgf = HASH_URIS[how.mgf][1] if how.oaep == "rsa-oaep" else hashes.SHA1
    wrapped = recipient.encrypt(content_key, padding.OAEP(
        mgf=padding.MGF1(algorithm=mgf()), algorithm=digest(), label=None))
    transport = (XENC + how.oaep) if how.oaep == "rsa-oaep-mgf1p" else XENC11 + how.oaep
    mgf_element = (f'<xenc11:MGF Algorithm="{XENC11}mgf1{how.mgf}"/>'
                   if how.oaep == "rsa-oaep" else "")
    encrypted_key = (
        f'<xenc:EncryptedKey><xenc:EncryptionMethod Algorithm="{transport}">'
        f'<ds:DigestMethod Algorithm="{digest_uri}"/>{mgf_element}</xenc:EncryptionMethod>'
        f"<xenc:CipherData><xenc:CipherValue>{base64.b64encode(wrapped).decode()}"
        "</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey>")
    inside = "" if how.key_beside_data else f"<ds:KeyInfo>{encrypted_key}</ds:KeyInfo>"
    beside = encrypted_key if how.key_beside_data else ""
    return etree.fromstring(
        f'<saml:EncryptedAssertion xmlns:saml="{SAML_NS}" xmlns:xenc="{XENC}" '
        f'xmlns:xenc11="{XENC11}" xmlns:ds="{DS}">'
        f'<xenc:EncryptedData Type="{XENC}Element"><xenc:EncryptionMethod Algorithm="{content_uri}"/>'
        f"{inside}<xenc:CipherData><xenc:CipherValue>{base64.b64encode(encrypted).decode()}"
        f"</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData>{beside}"
        "</saml:EncryptedAssertion>")


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return str(exc.value.response["Error"]["Code"]), str(exc.value.response["Error"]["Message"])


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class IdP:
    entity_id: str
    key: rsa.RSAPrivateKey
    cert: x509.Certificate

    @classmethod
    def make(cls, entity_id: str | None = None) -> IdP:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test-idp.example.com")])
        now = datetime.now(UTC)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=365))
                .sign(key, hashes.SHA256()))
        return cls(entity_id or f"https://idp-{secrets.token_hex(4)}.example.com/saml", key, cert)

    def metadata(self, valid_until: str | None = None) -> str:
        der = base64.b64encode(self.cert.public_bytes(serialization.Encoding.DER)).decode()
        until = f' validUntil="{valid_until}"' if valid_until else ""
        return f"""<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
    xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{self.entity_id}"{until}>
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false"
      protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>{der}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
        Location="{self.entity_id}/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"""

    def response(self, *, roles: list[str], session_name: str = "alice", subject: str = "alice-id",
                 audience: str = SIGNIN, recipient: str = SIGNIN, issued: datetime | None = None,
                 not_on_or_after: datetime | None = None, issuer: str | None = None,
                 extra: dict[str, list[str]] | None = None,
                 encrypt_for: rsa.RSAPublicKey | None = None,
                 encryption: Encryption = Encryption(), sign_response: bool = False) -> str:
        now = datetime.now(UTC)
        issued = issued or now
        expires = not_on_or_after or now + timedelta(minutes=5)
        assertion_id = "_" + secrets.token_hex(16)
        attributes = {f"{ATTRIBUTE}Role": roles, f"{ATTRIBUTE}RoleSessionName": [session_name],
                      **(extra or {})}
        statements = "".join(
            f'<saml:Attribute Name="{name}">'
            + "".join(f"<saml:AttributeValue>{v}</saml:AttributeValue>" for v in values)
            + "</saml:Attribute>" for name, values in attributes.items())
        # The signature goes on the Assertion, or (sign_response) on the Response only.
        placeholder = "" if sign_response else '<ds:Signature Id="placeholder"/>'
        assertion_xml = f"""<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"
    xmlns:ds="http://www.w3.org/2000/09/xmldsig#" ID="{assertion_id}" Version="2.0"
    IssueInstant="{iso(issued)}"><saml:Issuer>{issuer or self.entity_id}</saml:Issuer>{placeholder}<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">{subject}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="{iso(expires)}" Recipient="{recipient}"/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="{iso(issued - timedelta(seconds=5))}" NotOnOrAfter="{iso(expires)}"><saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AuthnStatement AuthnInstant="{iso(issued)}" SessionIndex="{assertion_id}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement><saml:AttributeStatement>{statements}</saml:AttributeStatement></saml:Assertion>"""
        signer = XMLSigner(signature_algorithm=SignatureMethod.RSA_SHA256,
                           digest_algorithm=DigestAlgorithm.SHA256,
                           c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0)
        assertion = etree.fromstring(assertion_xml)
        if not sign_response:
            assertion = signer.sign(assertion, key=self.key, cert=[self.cert],
                                    reference_uri=assertion_id)
        response_id = "_" + secrets.token_hex(16)
        response = etree.fromstring(f"""<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"
    xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:ds="http://www.w3.org/2000/09/xmldsig#"
    ID="{response_id}" Version="2.0" IssueInstant="{iso(issued)}" Destination="{SIGNIN}"><saml:Issuer>{issuer or self.entity_id}</saml:Issuer>{'<ds:Signature Id="placeholder"/>' if sign_response else ""}<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:Response>""")
        if encrypt_for is not None:
            response.append(encrypt_assertion(etree.tostring(assertion), encrypt_for, encryption))
        else:
            response.append(assertion)
        if sign_response:
            response = signer.sign(response, key=self.key, cert=[self.cert],
                                   reference_uri=response_id)
        return base64.b64encode(etree.tostring(response)).decode()


def unsigned_sts(server: IamdServer) -> Any:
    return boto3.client("sts", endpoint_url=server.endpoint, region_name="us-east-1",
                        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))


def saml_role(iam: Any, name: str, provider_arn: str, condition: dict[str, Any] | None = None) -> str:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"Federated": provider_arn},
                                 "Action": "sts:AssumeRoleWithSAML"}
    if condition is not None:
        statement["Condition"] = condition
    document = {"Version": "2012-10-17", "Statement": [statement]}
    arn: str = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(document))["Role"]["Arn"]
    return arn


# --- IAM: the providers themselves ---------------------------------------------------

def test_saml_provider_lifecycle(iamd_server: IamdServer, iam: Any, unique: Any) -> None:
    idp = IdP.make()
    name = unique("Okta")
    created = iam.create_saml_provider(Name=name, SAMLMetadataDocument=idp.metadata(),
                                       Tags=[{"Key": "team", "Value": "platform"}])
    arn = created["SAMLProviderArn"]
    account = iamd_server.client("sts").get_caller_identity()["Account"]
    assert arn == f"arn:aws:iam::{account}:saml-provider/{name}"
    assert created["Tags"] == [{"Key": "team", "Value": "platform"}]

    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["SAMLMetadataDocument"] == idp.metadata()
    assert got["ValidUntil"].year == got["CreateDate"].year + 100
    assert got["SAMLProviderUUID"].startswith("SAML")
    assert got["Tags"] == [{"Key": "team", "Value": "platform"}]
    assert got["AssertionEncryptionMode"] == "Allowed"
    listed = {p["Arn"]: p for p in iam.list_saml_providers()["SAMLProviderList"]}
    assert listed[arn]["ValidUntil"] == got["ValidUntil"]

    other = IdP.make()
    document = other.metadata(valid_until="2031-01-02T03:04:05Z")
    assert iam.update_saml_provider(SAMLProviderArn=arn, SAMLMetadataDocument=document)[
        "SAMLProviderArn"] == arn
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["SAMLMetadataDocument"] == document
    assert got["ValidUntil"] == datetime(2031, 1, 2, 3, 4, 5, tzinfo=UTC)

    iam.tag_saml_provider(SAMLProviderArn=arn, Tags=[{"Key": "env", "Value": "prod"}])
    iam.untag_saml_provider(SAMLProviderArn=arn, TagKeys=["TEAM"])
    assert iam.list_saml_provider_tags(SAMLProviderArn=arn)["Tags"] == [{"Key": "env", "Value": "prod"}]

    with pytest.raises(ClientError) as exc:
        iam.create_saml_provider(Name=name.upper(), SAMLMetadataDocument=idp.metadata())
    assert error(exc)[0] == "EntityAlreadyExists"

    iam.delete_saml_provider(SAMLProviderArn=arn)
    for call in (iam.get_saml_provider, iam.delete_saml_provider, iam.list_saml_provider_tags):
        with pytest.raises(ClientError) as exc:
            call(SAMLProviderArn=arn)
        assert error(exc) == ("NoSuchEntity", f"Manifest not found for arn {arn}")


def test_saml_metadata_must_name_a_signing_certificate(iam: Any, unique: Any) -> None:
    idp = IdP.make()
    without_certificate = idp.metadata().replace('use="signing"', 'use="encryption"')
    for document in ("<not-xml" + "x" * 1000, f"<a>{'x' * 1000}</a>", without_certificate,
                     idp.metadata().replace("<ds:X509Certificate>", "<ds:X509Certificate>!!")):
        with pytest.raises(ClientError) as exc:
            iam.create_saml_provider(Name=unique("Bad"), SAMLMetadataDocument=document)
        assert error(exc) == ("InvalidInput", "Could not parse metadata")
    with pytest.raises(ClientError) as exc:  # Required, but nothing to decrypt with
        iam.create_saml_provider(Name=unique("Enc"), SAMLMetadataDocument=idp.metadata(),
                                 AssertionEncryptionMode="Required")
    assert error(exc)[0] == "InvalidInput"


# --- STS: AssumeRoleWithSAML ---------------------------------------------------------

def test_saml_assertion_buys_credentials_that_work(
        iamd_server: IamdServer, iam: Any, unique: Any) -> None:
    idp = IdP.make()
    provider_name = unique("Corp")
    provider = iam.create_saml_provider(Name=provider_name, SAMLMetadataDocument=idp.metadata())[
        "SAMLProviderArn"]
    role_name = unique("SamlAdmin")
    role_arn = saml_role(iam, role_name, provider, {"StringEquals": {
        "SAML:aud": SIGNIN, "saml:sub": "alice-id", "saml:sub_type": "persistent",
        "saml:edupersonaffiliation": "staff"}})
    account = role_arn.split(":")[4]
    assertion = idp.response(roles=[f"{provider},{role_arn}"], extra={
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.1": ["staff"]})
    answer = unsigned_sts(iamd_server).assume_role_with_saml(
        RoleArn=role_arn, PrincipalArn=provider, SAMLAssertion=assertion, DurationSeconds=900)
    assumed = f"arn:aws:sts::{account}:assumed-role/{role_name}/alice"
    assert answer["AssumedRoleUser"]["Arn"] == assumed
    assert answer["Subject"] == "alice-id"
    assert answer["SubjectType"] == "persistent"
    assert answer["Issuer"] == idp.entity_id
    assert answer["Audience"] == SIGNIN
    expected = base64.b64encode(hashlib.sha1(
        f"{idp.entity_id}{account}/{provider_name}".encode()).digest()).decode()
    assert answer["NameQualifier"] == expected
    credentials = answer["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")
    identity = iamd_server.client("sts", credentials["AccessKeyId"], credentials["SecretAccessKey"],
                                  credentials["SessionToken"]).get_caller_identity()
    assert identity["Arn"] == assumed
    # The session carries its provider as aws:FederatedProvider.
    iam.put_role_policy(RoleName=role_name, PolicyName="read", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:GetRole", "Resource": "*",
             "Condition": {"StringEquals": {"aws:FederatedProvider": provider}}}]}))
    session_iam = iamd_server.client("iam", credentials["AccessKeyId"],
                                     credentials["SecretAccessKey"], credentials["SessionToken"])
    assert session_iam.get_role(RoleName=role_name)["Role"]["Arn"] == role_arn


def test_saml_refusals(iamd_server: IamdServer, iam: Any, unique: Any) -> None:
    idp = IdP.make()
    provider = iam.create_saml_provider(Name=unique("Refuse"), SAMLMetadataDocument=idp.metadata())[
        "SAMLProviderArn"]
    role_arn = saml_role(iam, unique("SamlUser"), provider)
    other_role = saml_role(iam, unique("SamlOther"), provider)
    pair = f"{role_arn},{provider}"
    sts = unsigned_sts(iamd_server)

    def refused(assertion: str, role: str = role_arn) -> tuple[str, str]:
        with pytest.raises(ClientError) as exc:
            sts.assume_role_with_saml(RoleArn=role, PrincipalArn=provider, SAMLAssertion=assertion)
        return error(exc)

    good = idp.response(roles=[pair])
    assert sts.assume_role_with_saml(RoleArn=role_arn, PrincipalArn=provider,
                                     SAMLAssertion=good)["Subject"] == "alice-id"

    tampered = base64.b64decode(good).replace(b"alice-id", b"mallory-id")
    assert refused(base64.b64encode(tampered).decode()) == (
        "InvalidIdentityToken", "Response signature invalid")
    impostor = IdP.make(idp.entity_id)  # same entity id, another key
    assert refused(impostor.response(roles=[pair])) == (
        "InvalidIdentityToken", "Response signature invalid")

    assert refused(idp.response(roles=[pair], audience="https://app.example.com/saml"))[0] == (
        "InvalidIdentityToken")
    now = datetime.now(UTC)
    assert refused(idp.response(roles=[pair], issued=now - timedelta(minutes=2),
                                not_on_or_after=now - timedelta(minutes=10))) == (
        "ExpiredTokenException", "Response has expired")
    assert refused(idp.response(roles=[pair], issued=now - timedelta(minutes=30),
                                not_on_or_after=now + timedelta(minutes=5))) == (
        "ExpiredTokenException", "Token must be redeemed within 5 minutes of issuance")
    assert refused(idp.response(roles=[pair], issuer="https://someone-else.example.com")) == (
        "InvalidIdentityToken", "Issuer not present in specified provider")
    assert refused(idp.response(roles=[pair], session_name="x")) == (
        "InvalidIdentityToken", "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}")
    # The assertion grants role_arn only: not another role the provider is trusted by.
    assert refused(good, role=other_role) == (
        "AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML")
    unsigned = etree.fromstring(base64.b64decode(good))
    for signature in unsigned.iter("{http://www.w3.org/2000/09/xmldsig#}Signature"):
        signature.getparent().remove(signature)
    assert refused(base64.b64encode(etree.tostring(unsigned)).decode()) == (
        "InvalidIdentityToken", "Response signature invalid")
    for garbage in ("bm90IHhtbA==", base64.b64encode(b"<a/>").decode(), "!!!!"):
        assert refused(garbage)[0] == "InvalidIdentityToken"
    with pytest.raises(ClientError) as exc:
        sts.assume_role_with_saml(RoleArn=role_arn, PrincipalArn=provider + "-missing",
                                  SAMLAssertion=good)
    assert error(exc)[0] == "InvalidIdentityToken"


# --- encrypted assertions ----------------------------------------------------------------

def sp_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_saml_provider_private_keys(iamd_server: IamdServer, iam: Any, unique: Any) -> None:
    idp, first, second, third = IdP.make(), sp_key(), sp_key(), sp_key()
    arn = iam.create_saml_provider(Name=unique("Keys"), SAMLMetadataDocument=idp.metadata(),
                                   AddPrivateKey=private_key_pem(first),
                                   AssertionEncryptionMode="Required")["SAMLProviderArn"]
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["AssertionEncryptionMode"] == "Required"
    [listed] = got["PrivateKeyList"]
    first_id = listed["KeyId"]
    assert 22 <= len(first_id) <= 64 and first_id.isalnum() and first_id.upper() == first_id
    assert abs((listed["Timestamp"] - datetime.now(UTC)).total_seconds()) < 120

    iam.update_saml_provider(SAMLProviderArn=arn, AddPrivateKey=private_key_pem(second))
    keys = iam.get_saml_provider(SAMLProviderArn=arn)["PrivateKeyList"]
    assert len(keys) == 2 and keys[0]["KeyId"] == first_id
    second_id = keys[1]["KeyId"]
    with pytest.raises(ClientError) as exc:
        iam.update_saml_provider(SAMLProviderArn=arn, AddPrivateKey=private_key_pem(third))
    assert error(exc) == ("LimitExceeded", "Cannot exceed quota for PrivateKeysPerSAMLProvider: 2")
    for bad in ("not a key", private_key_pem(first).replace("A", "B", 40)):
        with pytest.raises(ClientError) as exc:
            iam.update_saml_provider(SAMLProviderArn=arn, AddPrivateKey=bad)
        assert error(exc)[0] == "InvalidInput" and "PRIVATE KEY" not in error(exc)[1]
    with pytest.raises(ClientError) as exc:
        iam.update_saml_provider(SAMLProviderArn=arn, RemovePrivateKey="A" * 26)
    assert error(exc)[0] == "NoSuchEntity"

    iam.update_saml_provider(SAMLProviderArn=arn, RemovePrivateKey=first_id)
    assert [k["KeyId"] for k in iam.get_saml_provider(SAMLProviderArn=arn)["PrivateKeyList"]] == [
        second_id]
    with pytest.raises(ClientError) as exc:  # Required would be left with nothing to decrypt with
        iam.update_saml_provider(SAMLProviderArn=arn, RemovePrivateKey=second_id)
    assert error(exc)[0] == "InvalidInput"
    iam.update_saml_provider(SAMLProviderArn=arn, AssertionEncryptionMode="Allowed",
                             RemovePrivateKey=second_id)
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["AssertionEncryptionMode"] == "Allowed" and got["PrivateKeyList"] == []

    # Keys go with their provider: one made again under the name starts with none.
    name = unique("Again")
    arn = iam.create_saml_provider(Name=name, SAMLMetadataDocument=idp.metadata(),
                                   AddPrivateKey=private_key_pem(first))["SAMLProviderArn"]
    with pytest.raises(ClientError) as exc:  # the same key twice
        iam.update_saml_provider(SAMLProviderArn=arn, AddPrivateKey=private_key_pem(first))
    assert error(exc)[0] == "EntityAlreadyExists"
    iam.delete_saml_provider(SAMLProviderArn=arn)
    arn = iam.create_saml_provider(Name=name, SAMLMetadataDocument=idp.metadata())["SAMLProviderArn"]
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["AssertionEncryptionMode"] == "Allowed" and got["PrivateKeyList"] == []
    iam.delete_saml_provider(SAMLProviderArn=arn)


def test_encrypted_saml_assertions(iamd_server: IamdServer, iam: Any, unique: Any) -> None:
    idp, old, new = IdP.make(), sp_key(), sp_key()
    provider = iam.create_saml_provider(Name=unique("Encrypted"), SAMLMetadataDocument=idp.metadata(),
                                        AddPrivateKey=private_key_pem(old))["SAMLProviderArn"]
    role_name = unique("SamlEncrypted")
    role_arn = saml_role(iam, role_name, provider, {"StringEquals": {"saml:sub": "alice-id"}})
    pair = f"{role_arn},{provider}"
    sts = unsigned_sts(iamd_server)

    def assume(assertion: str) -> Any:
        return sts.assume_role_with_saml(RoleArn=role_arn, PrincipalArn=provider,
                                         SAMLAssertion=assertion)

    def refused(assertion: str) -> tuple[str, str]:
        with pytest.raises(ClientError) as exc:
            assume(assertion)
        return error(exc)

    answer = assume(idp.response(roles=[pair], encrypt_for=old.public_key()))
    credentials = answer["Credentials"]
    identity = iamd_server.client("sts", credentials["AccessKeyId"], credentials["SecretAccessKey"],
                                  credentials["SessionToken"]).get_caller_identity()
    assert identity["Arn"].endswith(f":assumed-role/{role_name}/alice")
    # Allowed mode: a plain assertion still works; every cipher AWS lists; the
    # signature on the Response (over the encrypted assertion) or on the Assertion.
    assert assume(idp.response(roles=[pair]))["Subject"] == "alice-id"
    for how in (Encryption("aes128-gcm"), Encryption("aes128-cbc"), Encryption("aes256-cbc"),
                Encryption(oaep="rsa-oaep", digest="sha256", mgf="sha256"),
                Encryption(oaep="rsa-oaep", mgf="sha1", key_beside_data=True)):
        assert assume(idp.response(roles=[pair], encrypt_for=old.public_key(),
                                   encryption=how))["Subject"] == "alice-id", how
    assert assume(idp.response(roles=[pair], encrypt_for=old.public_key(),
                               sign_response=True))["Subject"] == "alice-id"

    # The decrypted assertion goes through every check, as a plain one does.
    assert refused(IdP.make(idp.entity_id).response(roles=[pair], encrypt_for=old.public_key())) == (
        "InvalidIdentityToken", "Response signature invalid")
    assert refused(idp.response(roles=[pair], subject="bob-id", encrypt_for=old.public_key())) == (
        "AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML")
    assert refused(idp.response(roles=[pair], audience="https://app.example.com/saml",
                                encrypt_for=old.public_key()))[0] == "InvalidIdentityToken"
    # Encrypted for a key the provider does not have; tampered ciphertext.
    stranger = sp_key()
    assert refused(idp.response(roles=[pair], encrypt_for=stranger.public_key()))[0] == (
        "InvalidIdentityToken")
    tampered = etree.fromstring(base64.b64decode(idp.response(roles=[pair],
                                                             encrypt_for=old.public_key())))
    value = tampered.find(f"{{{SAML_NS}}}EncryptedAssertion/{{{XENC}}}EncryptedData/"
                          f"{{{XENC}}}CipherData/{{{XENC}}}CipherValue")
    raw = bytearray(base64.b64decode(value.text))
    raw[40] ^= 1
    value.text = base64.b64encode(bytes(raw)).decode()
    decrypt_failure = refused(base64.b64encode(etree.tostring(tampered)).decode())
    assert decrypt_failure[0] == "InvalidIdentityToken"

    # Required: a plain assertion is refused.
    iam.update_saml_provider(SAMLProviderArn=provider, AssertionEncryptionMode="Required")
    code, message = refused(idp.response(roles=[pair]))
    assert code == "InvalidIdentityToken" and "encrypted" in message

    # Rotation: add the new key, then remove the old one; the old key's assertions fail.
    iam.update_saml_provider(SAMLProviderArn=provider, AddPrivateKey=private_key_pem(new))
    assert assume(idp.response(roles=[pair], encrypt_for=new.public_key()))["Subject"] == "alice-id"
    old_id = next(k["KeyId"] for k in iam.get_saml_provider(SAMLProviderArn=provider)[
        "PrivateKeyList"] if k["Timestamp"] == min(
            k["Timestamp"] for k in iam.get_saml_provider(SAMLProviderArn=provider)[
                "PrivateKeyList"]))
    iam.update_saml_provider(SAMLProviderArn=provider, RemovePrivateKey=old_id)
    assert refused(idp.response(roles=[pair], encrypt_for=old.public_key())) == decrypt_failure
    assert assume(idp.response(roles=[pair], encrypt_for=new.public_key()))["Subject"] == "alice-id"

    # The private keys are never in the server's log or, sealed, in its files.
    secrets_seen = [private_key_pem(k).encode() for k in (old, new)]
    for key in (old, new):
        body = private_key_pem(key).splitlines()[1:-1]
        secrets_seen += [line.encode() for line in body[:3]]
        secrets_seen.append(key.private_bytes(serialization.Encoding.DER,
                                              serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()))
    for path in iamd_server.data_dir.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            assert not any(secret in content for secret in secrets_seen), path
    iam.delete_saml_provider(SAMLProviderArn=provider)
