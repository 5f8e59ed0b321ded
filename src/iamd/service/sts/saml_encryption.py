"""Decrypting a SAML EncryptedAssertion (W3C XML Encryption), with `cryptography` only.

An EncryptedAssertion holds an EncryptedData whose content is the Assertion
element, encrypted with a fresh AES key; that key travels in an EncryptedKey
(inside the EncryptedData's KeyInfo, or beside the EncryptedData), encrypted
for the service provider's RSA public key. Supported, as AWS lists them:

- key transport: RSA-OAEP, as `xmlenc#rsa-oaep-mgf1p` (MGF1 with SHA-1) or
  `xmlenc11#rsa-oaep` (MGF1 with SHA-1, SHA-224, SHA-256, SHA-384 or SHA-512),
  with the digest its DigestMethod names (SHA-1 when it names none) and any
  OAEPparams label. RSA PKCS#1 v1.5 key transport is refused: its padding
  oracle is the classic attack on XML Encryption.
- content: AES-128/256 in GCM (`xmlenc11#aes128-gcm`, `#aes256-gcm`: a 12-byte
  IV, then ciphertext and 16-byte tag) or in CBC (`xmlenc#aes128-cbc`,
  `#aes256-cbc`: a 16-byte IV, then ciphertext with XML Encryption's padding,
  whose last byte counts the padding bytes).

Every failure (no key that opens it, a wrong length, bad padding, a bad tag,
plaintext that is not one Assertion) raises the one `DecryptionFailed`, with
one message: callers must not tell an attacker which step failed.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import quoteattr

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from lxml import etree  # type: ignore[import-untyped]

XENC = "http://www.w3.org/2001/04/xmlenc#"
XENC11 = "http://www.w3.org/2009/xmlenc11#"
DS = "http://www.w3.org/2000/09/xmldsig#"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"

RSA_OAEP_MGF1P = XENC + "rsa-oaep-mgf1p"
RSA_OAEP = XENC11 + "rsa-oaep"
AES_CBC = {XENC + "aes128-cbc": 16, XENC + "aes256-cbc": 32}
AES_GCM = {XENC11 + "aes128-gcm": 16, XENC11 + "aes256-gcm": 32}

DIGESTS: dict[str, type[hashes.HashAlgorithm]] = {
    DS + "sha1": hashes.SHA1,
    "http://www.w3.org/2001/04/xmldsig-more#sha224": hashes.SHA224,
    XENC + "sha256": hashes.SHA256,
    "http://www.w3.org/2001/04/xmldsig-more#sha384": hashes.SHA384,
    XENC + "sha512": hashes.SHA512,
}
MGFS: dict[str, type[hashes.HashAlgorithm]] = {
    XENC11 + "mgf1sha1": hashes.SHA1,
    XENC11 + "mgf1sha224": hashes.SHA224,
    XENC11 + "mgf1sha256": hashes.SHA256,
    XENC11 + "mgf1sha384": hashes.SHA384,
    XENC11 + "mgf1sha512": hashes.SHA512,
}
MESSAGE = "Failed to decrypt the SAML assertion with the SAML provider's private keys."


class DecryptionFailed(Exception):
    def __init__(self) -> None:
        super().__init__(MESSAGE)


def _algorithm(element: Any) -> str:
    method = element.find(f"{{{XENC}}}EncryptionMethod")
    if method is None:
        raise DecryptionFailed
    return str(method.get("Algorithm") or "")


def _cipher_value(element: Any) -> bytes:
    value = element.find(f"{{{XENC}}}CipherData/{{{XENC}}}CipherValue")
    if value is None:
        raise DecryptionFailed
    try:
        return base64.b64decode("".join((value.text or "").split()), validate=True)
    except (ValueError, binascii.Error):
        raise DecryptionFailed from None


def _oaep(encrypted_key: Any) -> padding.OAEP:
    method = encrypted_key.find(f"{{{XENC}}}EncryptionMethod")
    algorithm = method.get("Algorithm") if method is not None else None
    if algorithm not in (RSA_OAEP_MGF1P, RSA_OAEP):
        raise DecryptionFailed
    digest_element = method.find(f"{{{DS}}}DigestMethod")
    digest = DIGESTS.get(digest_element.get("Algorithm", "") if digest_element is not None
                         else DS + "sha1")
    mgf: type[hashes.HashAlgorithm] = hashes.SHA1
    mgf_element = method.find(f"{{{XENC11}}}MGF")
    if algorithm == RSA_OAEP and mgf_element is not None:
        found = MGFS.get(mgf_element.get("Algorithm", ""))
        if found is None:
            raise DecryptionFailed
        mgf = found
    if digest is None:
        raise DecryptionFailed
    label = None
    params = method.find(f"{{{XENC}}}OAEPparams")
    if params is not None and (params.text or "").strip():
        try:
            label = base64.b64decode("".join(params.text.split()), validate=True)
        except (ValueError, binascii.Error):
            raise DecryptionFailed from None
    return padding.OAEP(mgf=padding.MGF1(algorithm=mgf()), algorithm=digest(), label=label)


def _content_key(encrypted_keys: Sequence[Any], keys: Sequence[rsa.RSAPrivateKey]) -> bytes:
    for encrypted_key in encrypted_keys:
        scheme = _oaep(encrypted_key)
        ciphertext = _cipher_value(encrypted_key)
        for key in keys:
            try:
                return key.decrypt(ciphertext, scheme)
            except ValueError:
                continue
    raise DecryptionFailed


def _decrypt_content(algorithm: str, key: bytes, data: bytes) -> bytes:
    if algorithm in AES_GCM:
        if len(key) != AES_GCM[algorithm] or len(data) < 12 + 16:
            raise DecryptionFailed
        try:
            return AESGCM(key).decrypt(data[:12], data[12:], None)
        except InvalidTag:
            raise DecryptionFailed from None
    if algorithm in AES_CBC:
        if len(key) != AES_CBC[algorithm] or len(data) < 32 or len(data) % 16:
            raise DecryptionFailed
        decryptor = Cipher(algorithms.AES(key), modes.CBC(data[:16])).decryptor()
        padded = decryptor.update(data[16:]) + decryptor.finalize()
        count = padded[-1]
        if not 1 <= count <= 16:
            raise DecryptionFailed
        return padded[:-count]
    raise DecryptionFailed


def _in_scope_namespaces(element: Any) -> str:
    """xmlns declarations for the namespaces in scope at `element`, for parsing its content."""
    declarations = []
    for prefix, uri in element.nsmap.items():
        name = "xmlns" if prefix is None else f"xmlns:{prefix}"
        declarations.append(f"{name}={quoteattr(uri)}")
    return " ".join(declarations)


def decrypt_assertion(encrypted_assertion: Any, keys: Sequence[rsa.RSAPrivateKey],
                      parser: Any) -> Any:
    """The Assertion inside a saml:EncryptedAssertion element, as a new element."""
    data = encrypted_assertion.find(f"{{{XENC}}}EncryptedData")
    if data is None or not keys:
        raise DecryptionFailed
    encrypted_keys = [*data.findall(f"{{{DS}}}KeyInfo/{{{XENC}}}EncryptedKey"),
                      *encrypted_assertion.findall(f"{{{XENC}}}EncryptedKey")]
    content_key = _content_key(encrypted_keys, keys)
    plaintext = _decrypt_content(_algorithm(data), content_key, _cipher_value(data))
    # The plaintext is the Assertion's serialization; prefixes it uses may be
    # declared only on the enclosing Response, so parse it inside a wrapper
    # declaring the namespaces in scope there.
    try:
        text = plaintext.decode("utf-8")
        if text.lstrip().startswith("<?xml"):
            text = text[text.index("?>") + 2:]
        wrapper = etree.fromstring(
            f"<wrapper {_in_scope_namespaces(encrypted_assertion)}>{text}</wrapper>".encode(),
            parser=parser)
    except (UnicodeDecodeError, ValueError, etree.XMLSyntaxError):
        raise DecryptionFailed from None
    children = list(wrapper)
    if len(children) != 1 or children[0].tag != f"{{{SAML}}}Assertion" or \
            (wrapper.text or "").strip() or (children[0].tail or "").strip():
        raise DecryptionFailed
    assertion = children[0]
    wrapper.remove(assertion)
    return assertion
