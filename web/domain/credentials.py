"""Open Badges 3.0: a training issued as an `OpenBadgeCredential`, signed as a VC-JWT.

The hub signs with an Ed25519 key made at `init`. Residents have no digital
identity, so the recipient is a salted SHA-256 of their pseudonymous id (an
`IdentityObject`); the salt is in the credential, so the hub (or the person,
shown their id) can prove the link, and nobody else can. Verification checks
the signature and whether the training is still valid (not revoked).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlite_utils import Database

from web.db import fetch_one
from web.domain.errors import NotFound
from web.domain.parcours import parcours

CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
LEVELS = {1: "Découverte", 2: "Autonome", 3: "Référent"}
CRITERIA = {
    1: "A suivi la formation de sécurité et utilise la machine accompagné·e d'un référent.",
    2: "A montré à un formateur qu'il ou elle utilise la machine seul·e, en sécurité.",
    3: "Utilise la machine en autonomie et peut encadrer et former d'autres personnes.",
}


def new_signing_key() -> str:
    key = Ed25519PrivateKey.generate()
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _private_key(db: Database) -> Ed25519PrivateKey:
    from web import secrets

    pem = secrets.get().credential_key["pem"]
    return serialization.load_pem_private_key(pem.encode(), password=None)


def public_key_pem(db: Database) -> str:
    return (
        _private_key(db)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def credential(db: Database, grant_id: int, base_url: str, issuer_name: str) -> dict[str, Any]:
    """The OpenBadgeCredential for an active training (NotFound otherwise)."""
    grant = fetch_one(
        db,
        """
        SELECT grants.*, skills.slug, skills.name_fr, skills.rome_codes
        FROM grants JOIN skills ON skills.id = grants.skill_id
        WHERE grants.id = ? AND grants.status = 'active'
        """,
        [grant_id],
    )
    if grant is None:
        raise NotFound(f"no active training {grant_id}")
    record = next(r for r in parcours(db, grant["person_id"]) if r.slug == grant["slug"])
    salt = secrets.token_hex(8)
    identity = "sha256$" + hashlib.sha256((grant["person_id"] + salt).encode()).hexdigest()
    base = base_url.rstrip("/")
    achievement = {
        "id": f"{base}/badges/{grant['slug']}/{grant['level']}",
        "type": ["Achievement"],
        "name": f"{grant['name_fr']} — niveau {grant['level']} ({LEVELS[grant['level']]})",
        "description": f"Utilisation de la machine « {grant['name_fr']} » au fablab, "
        f"niveau {LEVELS[grant['level']]}.",
        "criteria": {"narrative": CRITERIA[grant["level"]]},
        "achievementType": "Competency",
    }
    codes = json.loads(grant["rome_codes"])
    if codes:
        achievement["alignment"] = [
            {
                "type": ["Alignment"],
                "targetName": f"Fiche ROME {code}",
                "targetUrl": f"https://candidat.francetravail.fr/metierscope/fiche-metier/{code}",
                "targetCode": code,
                "targetFramework": "ROME 4.0 (France Travail)",
            }
            for code in codes
        ]
    issued = {
        "@context": CONTEXT,
        "id": f"{base}/badges/credential/{grant_id}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": f"{base}/badges/issuer", "type": ["Profile"], "name": issuer_name},
        "validFrom": grant["granted_at"].replace(".000Z", "Z"),
        "name": achievement["name"],
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {"type": "IdentityObject", "identityHash": identity, "identityType": "identifier",
                 "hashed": True, "salt": salt}
            ],
            "achievement": achievement,
        },
        "evidence": [
            {
                "type": ["Evidence"],
                "name": "Pratique au fablab",
                "narrative": f"{record.hours:g} heures de pratique en {record.sessions} séances "
                f"({record.supervised_sessions} accompagnées).",
            }
        ],
    }  # fmt: skip
    if grant["valid_until"]:
        issued["validUntil"] = f"{grant['valid_until']}T23:59:59Z"
    return issued


def sign(db: Database, issued: dict[str, Any]) -> str:
    """VC-JWT: the credential is the JWT's payload, signed with the hub's Ed25519 key."""
    return jwt.encode(
        {**issued, "iss": issued["issuer"]["id"], "jti": issued["id"]},
        _private_key(db),
        algorithm="EdDSA",
        headers={"typ": "vc+jwt", "cty": "vc"},
    )


@dataclass(frozen=True)
class Verdict:
    valid: bool
    reason: str  # "ok", "bad_signature", "revoked", "unknown"
    credential: dict[str, Any] | None = None


def verify(db: Database, token: str) -> Verdict:
    try:
        payload = jwt.decode(
            token.strip(), _private_key(db).public_key(), algorithms=["EdDSA"],
            options={"verify_aud": False},
        )  # fmt: skip
    except jwt.PyJWTError:
        return Verdict(False, "bad_signature")
    grant_id = str(payload.get("id", "")).rsplit("/", 1)[-1]
    grant = (
        fetch_one(db, "SELECT status FROM grants WHERE id = ?", [grant_id])
        if grant_id.isdigit()
        else None
    )
    if grant is None:
        return Verdict(False, "unknown", payload)
    if grant["status"] != "active":
        return Verdict(False, "revoked", payload)
    return Verdict(True, "ok", payload)
