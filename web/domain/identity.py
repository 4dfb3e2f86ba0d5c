"""The fablab's public identity as an issuer of credentials: its name and public address (the
hub's settings, never a request's Host header), a `did:web` identifier derived from that
address, and the signing keys, published as a DID document and as a JWKS.

A verifier needs nothing from this project: the credential's `iss` is the DID; its JOSE
header's `kid` is `<did>#<key id>`; https://<host>/.well-known/did.json and
https://<host>/.well-known/jwks.json carry that key (and every older one, so credentials
signed before a rotation still verify). docs/credentials.md shows it step by step.
"""

from __future__ import annotations

import base64
import ipaddress
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlite_utils import Database

from web.domain.errors import Invalid


class NotConfigured(Invalid):
    """The hub has no public address yet: credentials cannot name their issuer."""


@dataclass(frozen=True)
class Issuer:
    base: str  # https://fablab.example.org (no path, no trailing slash)
    name: str
    logo: str | None  # a data: URI (PNG or JPEG), or None

    @property
    def did(self) -> str:
        host = urlsplit(self.base).netloc
        return "did:web:" + quote(host, safe="")

    def key_id(self, kid: str) -> str:
        return f"{self.did}#{kid}"

    @property
    def reachable_outside(self) -> bool:
        """False for an address only the fablab's network knows (hub.local, 192.168...)."""
        host = urlsplit(self.base).hostname or ""
        if host == "localhost" or host.endswith((".local", ".lan", ".home", ".internal")):
            return False
        try:
            return ipaddress.ip_address(host).is_global
        except ValueError:
            return "." in host


def check_public_url(url: str) -> str:
    """The address as kept: scheme and host (and port), nothing else."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise Invalid("the public address starts with https:// and names a host")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise Invalid("the public address is the hub's own root: https://host, no path")
    return f"{parts.scheme}://{parts.netloc.lower()}"


def issuer(db: Database) -> Issuer:
    """The fablab as the issuer of its credentials; NotConfigured before its public address
    is set (Réglages, or `fablab-hub settings set public_url https://...`)."""
    from web.domain import settings

    base = settings.get(db, "public_url")
    if not base:
        raise NotConfigured("set the hub's public address first (public_url)")
    name = settings.get(db, "fablab_name") or "Fablab"
    return Issuer(base, name, settings.get(db, "logo"))


# --- keys ----------------------------------------------------------------------------------------


def signing_key() -> tuple[str, Ed25519PrivateKey]:
    """The newest key (kid, private key): it signs from now on."""
    from web import secrets

    key = secrets.get().credential_key
    return key["kid"], _private(key["pem"])


def public_keys() -> dict[str, Ed25519PublicKey]:
    """Every key ever used, by kid: all of them still verify what they signed."""
    from web import secrets

    return {key["kid"]: _private(key["pem"]).public_key() for key in secrets.get().credential_keys}


def _private(pem: str) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    return key


def public_jwk(key: Ed25519PublicKey) -> dict[str, str]:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    return {"kty": "OKP", "crv": "Ed25519", "x": x}


def jwks(who: Issuer) -> dict[str, Any]:
    """JSON Web Key Set: each key's `kid` is the one a credential's header names."""
    return {"keys": [{**public_jwk(key), "kid": who.key_id(kid), "alg": "EdDSA", "use": "sig"}
                     for kid, key in public_keys().items()]}  # fmt: skip


def did_document(who: Issuer) -> dict[str, Any]:
    methods = [
        {"id": who.key_id(kid), "type": "JsonWebKey2020", "controller": who.did,
         "publicKeyJwk": public_jwk(key)}
        for kid, key in public_keys().items()
    ]  # fmt: skip
    return {
        "@context": [
            "https://www.w3.org/ns/did/v1",
            "https://w3id.org/security/suites/jws-2020/v1",
        ],
        "id": who.did,
        "alsoKnownAs": [who.base],
        "verificationMethod": methods,
        "assertionMethod": [method["id"] for method in methods],
    }


def profile(who: Issuer) -> dict[str, Any]:
    """The Open Badges 3.0 issuer profile, as credentials embed it and the hub serves it."""
    found = {"id": who.did, "type": ["Profile"], "name": who.name, "url": who.base}
    if who.logo:
        found["image"] = {"id": f"{who.base}/badges/logo", "type": "Image"}
    return found
