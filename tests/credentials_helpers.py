"""What the credential tests share: a hub with a public identity, and an outsider's reading
of what it publishes (with jwcrypto, a JOSE library the project does not use)."""

from __future__ import annotations

import base64
import gzip
import json

import requests
from jwcrypto import jwk, jws

from web.domain import grants, settings


def public_identity(db, url: str, name: str = "Fablab de Saint-Denis") -> None:
    settings.set_value(db, "public_url", url, actor="test")
    settings.set_value(db, "fablab_name", name, actor="test")


def valid_grant(db, person_id: str) -> int:
    return next(row["id"] for row in grants.history(db, person_id) if row["state"].valid)


def outsider_verifies(token: str, base: str) -> dict:
    """Verify a VC-JWT as anyone could: the header's kid, the JWKS at the issuer's address,
    jwcrypto's signature check; the claims, as published."""
    header = json.loads(_b64(token.split(".")[0]))
    keys = requests.get(f"{base}/.well-known/jwks.json", timeout=5).json()
    key = next(k for k in keys["keys"] if k["kid"] == header["kid"])
    checker = jws.JWS()
    checker.deserialize(token)
    checker.verify(jwk.JWK(**key), alg="EdDSA")  # raises InvalidJWSSignature
    return json.loads(checker.payload)


def status_bit(credential: dict, base: str) -> bool:
    """The credential's bit in the status list the issuer publishes (signature checked)."""
    entry = credential["credentialStatus"]
    published = requests.get(entry["statusListCredential"], timeout=5).text
    listed = outsider_verifies(published, base)
    raw = listed["credentialSubject"]["encodedList"][1:]  # multibase "u": base64url
    bits = gzip.decompress(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    index = int(entry["statusListIndex"])
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
