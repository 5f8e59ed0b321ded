"""Decrypting SAML EncryptedAssertions (service/sts/saml_encryption.py), without a server.

The encryptor here is written from the XML Encryption spec with `cryptography`,
so that each branch (OAEP flavours, GCM and CBC, the EncryptedKey's two
places, each way to fail) is tested with exactly the bytes it should see.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from lxml import etree  # type: ignore[import-untyped]

from iamd.service.iam.saml_providers import safe_parser
from iamd.service.sts.saml_encryption import (
    DS,
    MESSAGE,
    SAML,
    XENC,
    XENC11,
    DecryptionFailed,
    decrypt_assertion,
)

ASSERTION = (f'<saml:Assertion xmlns:saml="{SAML}" ID="_a1" Version="2.0">'
             "<saml:Issuer>https://idp.example.com</saml:Issuer></saml:Assertion>").encode()
# An assertion whose prefix is declared only on the enclosing Response.
ASSERTION_WITHOUT_DECLARATION = (b'<saml:Assertion ID="_a2" Version="2.0">'
                                 b"<saml:Issuer>https://idp.example.com</saml:Issuer>"
                                 b"</saml:Assertion>")


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def gcm(content_key: bytes, plaintext: bytes) -> bytes:
    iv = secrets.token_bytes(12)
    return iv + AESGCM(content_key).encrypt(iv, plaintext, None)


def cbc(content_key: bytes, plaintext: bytes, last: int | None = None) -> bytes:
    """AES-CBC with XML Encryption's padding; `last` overrides the padding count byte."""
    pad = 16 - len(plaintext) % 16
    padded = plaintext + secrets.token_bytes(pad - 1) + bytes([pad if last is None else last])
    iv = secrets.token_bytes(16)
    encryptor = Cipher(algorithms.AES(content_key), modes.CBC(iv)).encryptor()
    return iv + encryptor.update(padded) + encryptor.finalize()


def encrypted_assertion(public: rsa.RSAPublicKey, *, plaintext: bytes = ASSERTION,
                        content: str = XENC11 + "aes256-gcm", key_bytes: int = 32,
                        encrypt: Callable[[bytes, bytes], bytes] = gcm,
                        transport: str = XENC + "rsa-oaep-mgf1p",
                        digest: tuple[str, hashes.HashAlgorithm] | None = None,
                        mgf: tuple[str, hashes.HashAlgorithm] | None = None,
                        beside: bool = False) -> object:
    content_key = secrets.token_bytes(key_bytes)
    data = encrypt(content_key, plaintext)
    oaep_digest = digest[1] if digest else hashes.SHA1()
    oaep_mgf = mgf[1] if mgf else hashes.SHA1()
    if transport == XENC + "rsa-1_5":
        wrapped = public.encrypt(content_key, padding.PKCS1v15())
    else:
        wrapped = public.encrypt(content_key, padding.OAEP(
            mgf=padding.MGF1(algorithm=oaep_mgf), algorithm=oaep_digest, label=None))
    method = (f'<ds:DigestMethod Algorithm="{digest[0]}"/>' if digest else "") + (
        f'<xenc11:MGF Algorithm="{mgf[0]}"/>' if mgf else "")
    encrypted_key = (f'<xenc:EncryptedKey><xenc:EncryptionMethod Algorithm="{transport}">{method}'
                     f"</xenc:EncryptionMethod><xenc:CipherData><xenc:CipherValue>"
                     f"{base64.b64encode(wrapped).decode()}</xenc:CipherValue></xenc:CipherData>"
                     "</xenc:EncryptedKey>")
    response = etree.fromstring(
        f'<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="{SAML}">'
        f'<saml:EncryptedAssertion xmlns:xenc="{XENC}" xmlns:xenc11="{XENC11}" xmlns:ds="{DS}">'
        f'<xenc:EncryptedData Type="{XENC}Element"><xenc:EncryptionMethod Algorithm="{content}"/>'
        + ("" if beside else f"<ds:KeyInfo>{encrypted_key}</ds:KeyInfo>")
        + f"<xenc:CipherData><xenc:CipherValue>{base64.b64encode(data).decode()}</xenc:CipherValue>"
        f"</xenc:CipherData></xenc:EncryptedData>{encrypted_key if beside else ''}"
        "</saml:EncryptedAssertion></samlp:Response>")
    return response[0]


SHA256 = (XENC + "sha256", hashes.SHA256())


@pytest.mark.parametrize("options", [
    {},
    {"content": XENC11 + "aes128-gcm", "key_bytes": 16},
    {"content": XENC + "aes128-cbc", "key_bytes": 16, "encrypt": cbc},
    {"content": XENC + "aes256-cbc", "encrypt": cbc},
    {"digest": SHA256},
    {"transport": XENC11 + "rsa-oaep"},
    {"transport": XENC11 + "rsa-oaep", "digest": SHA256,
     "mgf": (XENC11 + "mgf1sha256", hashes.SHA256())},
    {"beside": True},
], ids=["aes256-gcm", "aes128-gcm", "aes128-cbc", "aes256-cbc", "oaep-sha256-digest",
        "xenc11-oaep", "xenc11-oaep-sha256-mgf1sha256", "key-beside-data"])
def test_decrypts(key: rsa.RSAPrivateKey, other_key: rsa.RSAPrivateKey,
                  options: dict[str, object]) -> None:
    element = encrypted_assertion(key.public_key(), **options)  # type: ignore[arg-type]
    assertion = decrypt_assertion(element, [other_key, key], safe_parser())
    assert assertion.tag == f"{{{SAML}}}Assertion" and assertion.get("ID") == "_a1"
    assert assertion.findtext(f"{{{SAML}}}Issuer") == "https://idp.example.com"


def test_prefixes_declared_on_the_response(key: rsa.RSAPrivateKey) -> None:
    element = encrypted_assertion(key.public_key(), plaintext=ASSERTION_WITHOUT_DECLARATION)
    assert decrypt_assertion(element, [key], safe_parser()).get("ID") == "_a2"


def _tamper(element: object) -> object:
    value = element.find(f"{{{XENC}}}EncryptedData/{{{XENC}}}CipherData/{{{XENC}}}CipherValue")  # type: ignore[attr-defined]
    raw = bytearray(base64.b64decode(value.text))
    raw[-1] ^= 1
    value.text = base64.b64encode(bytes(raw)).decode()
    return element


@pytest.mark.parametrize("case", [
    "wrong-key", "no-keys", "tampered-gcm", "bad-cbc-padding", "rsa-1_5", "unknown-cipher",
    "key-length-mismatch", "not-an-assertion", "two-elements", "not-xml", "unknown-mgf"])
def test_every_failure_is_one_error(key: rsa.RSAPrivateKey, other_key: rsa.RSAPrivateKey,
                                    case: str) -> None:
    public = key.public_key()
    keys = [key]
    element: object
    if case == "wrong-key":
        element, keys = encrypted_assertion(public), [other_key]
    elif case == "no-keys":
        element, keys = encrypted_assertion(public), []
    elif case == "tampered-gcm":
        element = _tamper(encrypted_assertion(public))
    elif case == "bad-cbc-padding":
        element = encrypted_assertion(public, content=XENC + "aes256-cbc",
                                      encrypt=lambda k, p: cbc(k, p, last=0))
    elif case == "rsa-1_5":
        element = encrypted_assertion(public, transport=XENC + "rsa-1_5")
    elif case == "unknown-cipher":
        element = encrypted_assertion(public, content=XENC + "tripledes-cbc")
    elif case == "key-length-mismatch":
        element = encrypted_assertion(public, key_bytes=16)  # aes256-gcm with 128 bits
    elif case == "not-an-assertion":
        element = encrypted_assertion(public, plaintext=f'<saml:Issuer xmlns:saml="{SAML}"/>'.encode())
    elif case == "two-elements":
        element = encrypted_assertion(public, plaintext=ASSERTION + ASSERTION)
    elif case == "not-xml":
        element = encrypted_assertion(public, plaintext=b"\xff\xfe<saml:Assertion")
    else:
        element = encrypted_assertion(public, transport=XENC11 + "rsa-oaep",
                                      mgf=(XENC11 + "mgf1md5", hashes.SHA1()))
    with pytest.raises(DecryptionFailed) as failure:
        decrypt_assertion(element, keys, safe_parser())
    assert str(failure.value) == MESSAGE
