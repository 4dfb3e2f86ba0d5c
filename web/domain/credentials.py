"""Open Badges 3.0: a training issued as an `OpenBadgeCredential`, signed as a VC-JWT, that
anyone can verify with standard tools (web.domain.identity publishes the keys).

Residents have no digital identity of their own: the subject's `id` is a `urn:uuid` derived
from the person's pseudonymous id with a secret key (the same person, the same id; nobody
else can compute it), and an `IdentityObject` carries a salted hash of that subject id (a
hash of the short person id itself could be reversed by trying them all).
Each credential issued is kept (its verification page, its bit in the status list); the
hub's own verification checks the signature and key, the issuer, the dates, the status bit
and whether the training has lapsed since, and says which failed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import jwt
from sqlite_utils import Database

from common.clock import now_iso, parse_timestamp
from web.db import fetch_one, writing
from web.domain import audit, identity, status_list
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
VERIFY_PATH = "/verifier/"


def new_signing_key() -> str:
    """An Ed25519 private key, PEM (migration 0006 made the first one with it)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()  # fmt: skip


def _seconds(stamp: str) -> str:
    return stamp[:19] + "Z"


def subject_id(person_id: str) -> str:
    from web import secrets as hub_secrets

    digest = hmac.new(hub_secrets.get().badge, f"subject:{person_id}".encode(),
                      hashlib.sha256).digest()  # fmt: skip
    return f"urn:uuid:{uuid.UUID(bytes=digest[:16], version=4)}"


def achievement(who: identity.Issuer, skill: dict[str, Any], level: int) -> dict[str, Any]:
    """The achievement a training is: its id answers with this JSON."""
    from web.domain.rome import title

    found = {
        "id": f"{who.base}/badges/competences/{skill['slug']}/{level}",
        "type": ["Achievement"],
        "name": f"{skill['name_fr']} — niveau {level} ({LEVELS[level]})",
        "description": f"Utilisation de la machine « {skill['name_fr']} » au fablab, "
        f"niveau {LEVELS[level]}.",
        "criteria": {"narrative": CRITERIA[level]},
        "achievementType": "Competency",
        "creator": identity.profile(who),
    }
    codes = json.loads(skill["rome_codes"] or "[]")
    if codes:
        found["alignment"] = [
            {"type": ["Alignment"], "targetName": title(code) or f"Fiche ROME {code}",
             "targetUrl": f"https://candidat.francetravail.fr/metierscope/fiche-metier/{code}",
             "targetCode": code, "targetFramework": "ROME (France Travail)"}
            for code in codes
        ]  # fmt: skip
    return found


@dataclass(frozen=True)
class Issued:
    id: str  # the UUID
    url: str  # its verification page, the credential's id
    credential: dict[str, Any]
    token: str  # the VC-JWT


def issue(db: Database, person_id: str, grant_id: int, *, holder_name: str | None,
          actor: str) -> Issued:  # fmt: skip
    """A credential for one of the person's valid trainings (NotFound otherwise; NotConfigured
    before the hub's public address is set). `holder_name`: shown on the verification page
    (the first name and initial, if the person agrees), never in the credential itself."""
    from web.domain import grants

    who = identity.issuer(db)
    training = next((row for row in grants.history(db, person_id) if row["id"] == grant_id), None)
    if training is None or not training["state"].valid:
        raise NotFound(f"no valid training {grant_id} for {person_id}")
    skill = fetch_one(db, "SELECT * FROM skills WHERE id = ?", [training["skill_id"]])
    record = next(r for r in parcours(db, person_id) if r.slug == skill["slug"])
    credential_id = str(uuid.uuid4())
    url = who.base + VERIFY_PATH + credential_id
    salt = secrets.token_hex(8)
    subject = subject_id(person_id)
    built = {
        "@context": CONTEXT,
        "id": url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": identity.profile(who),
        "validFrom": _seconds(training["granted_at"]),
        "name": f"{skill['name_fr']} — niveau {training['level']}",
        "credentialSubject": {
            "id": subject,
            "type": ["AchievementSubject"],
            "identifier": [{
                "type": "IdentityObject", "identityType": "identifier", "hashed": True,
                "identityHash": "sha256$" + hashlib.sha256((subject + salt).encode()).hexdigest(),
                "salt": salt,
            }],
            "achievement": achievement(who, skill, training["level"]),
        },
        "evidence": [{
            "type": ["Evidence"], "name": "Pratique au fablab",
            "narrative": _practice(record.hours, record.sessions, record.supervised_sessions),
        }],
    }  # fmt: skip
    if training["valid_until"]:
        built["validUntil"] = f"{training['valid_until']}T23:59:59Z"
    with writing(db):
        index = status_list.new_index(db)
        built["credentialStatus"] = status_list.entry(who.base, index)
        token = sign(built)
        db["issued_credentials"].insert({
            "id": credential_id, "grant_id": grant_id, "person_id": person_id,
            "status_index": index, "holder_name": holder_name or None, "issued_at": now_iso(),
            "token": token,
        })  # fmt: skip
        audit.record(db, actor, "credential.issue", person_id, grant=grant_id,
                     credential=credential_id)  # fmt: skip
    return Issued(credential_id, url, built, token)


def _practice(hours: float, sessions: int, supervised: int) -> str:
    """The evidence, in French as the credential is: only sessions the hub has checked."""
    if not sessions:
        return "Pas encore de pratique comptée par le fablab."
    plural = "s" if sessions > 1 else ""
    told = f"{hours:.1f}".rstrip("0").rstrip(".").replace(".", ",")
    company = f" (dont {supervised} accompagnée{'s' if supervised > 1 else ''})"
    return (f"{told} h de pratique en {sessions} séance{plural}{company if supervised else ''}"
            ", comptées sur les séances que le fablab a vérifiées.")  # fmt: skip


def sign(credential: dict[str, Any]) -> str:
    """VC-JWT: the credential is the payload, with the JWT claims a verifier expects."""
    kid, key = identity.signing_key()
    issuer = credential["issuer"]
    claims = {
        **credential,
        "iss": issuer["id"] if isinstance(issuer, dict) else issuer,
        "jti": credential["id"],
        "iat": int(datetime.now(UTC).timestamp()),
        "nbf": int(parse_timestamp(credential["validFrom"]).timestamp()),
    }
    subject = credential.get("credentialSubject", {})
    if isinstance(subject, dict) and subject.get("id"):
        claims["sub"] = subject["id"]
    if credential.get("validUntil"):
        claims["exp"] = int(parse_timestamp(credential["validUntil"]).timestamp())
    did = claims["iss"]
    return jwt.encode(claims, key, algorithm="EdDSA",
                      headers={"typ": "vc+jwt", "cty": "vc", "kid": f"{did}#{kid}"})  # fmt: skip


# --- verification -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    valid: bool
    reason: str  # ok, malformed, bad_signature, other_issuer, not_yet_valid, expired,
    #              revoked, unknown
    credential: dict[str, Any] | None = None
    record: dict[str, Any] | None = None  # the hub's own row, when it issued it
    detail: str = ""  # for revoked: revoked, suspended, lapsed, erased


def decode(token: str, keys: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    """The claims of a VC-JWT signed by one of `keys` (public keys by their full key id),
    without judging dates: (claims, "ok") or (None or unverified claims, the reason)."""
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None, "malformed"
    key = keys.get(str(header.get("kid", "")))
    if key is None or header.get("alg") != "EdDSA":
        return unverified, "bad_signature"
    try:
        claims = jwt.decode(token, key, algorithms=["EdDSA"],
                            options={"verify_exp": False, "verify_nbf": False,
                                     "verify_iat": False, "verify_aud": False})  # fmt: skip
    except jwt.PyJWTError:
        return unverified, "bad_signature"
    return claims, "ok"


def bounds(claims: dict[str, Any]) -> tuple[datetime | None, datetime | None]:
    """When a credential starts and ends: the later of `nbf` and `validFrom`, the earlier of
    `exp` and `validUntil` (a verifier trusts neither alone); None where it says nothing or
    nonsense."""
    starts = [_moment(claims.get("nbf")), _moment(claims.get("validFrom"))]
    ends = [_moment(claims.get("exp")), _moment(claims.get("validUntil"))]
    start = max((m for m in starts if m), default=None)
    return start, min((m for m in ends if m), default=None)


def _moment(value: object) -> datetime | None:
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, UTC)
        if isinstance(value, str):
            return parse_timestamp(value)
    except (ValueError, OverflowError, OSError):
        return None
    return None


def judge_dates(claims: dict[str, Any], today: date | None = None) -> str:
    now = datetime.now(UTC) if today is None else datetime(
        today.year, today.month, today.day, 12, tzinfo=UTC)  # fmt: skip
    start, end = bounds(claims)
    if start is not None and now < start - timedelta(seconds=60):
        return "not_yet_valid"
    if end is not None and now > end:
        return "expired"
    return "ok"


def verify(db: Database, token: str) -> Verdict:
    """The hub's own verdict on one of its credentials, in the order a verifier checks."""
    token = "".join(token.split())[:20000]
    try:
        who = identity.issuer(db)
    except identity.NotConfigured:
        return Verdict(False, "unknown")
    keys = {who.key_id(kid): key for kid, key in identity.public_keys().items()}
    claims, reason = decode(token, keys)
    if reason != "ok":
        return Verdict(False, reason, claims)
    if claims.get("iss") != who.did:
        return Verdict(False, "other_issuer", claims)
    dates = judge_dates(claims)
    record = own_record(db, str(claims.get("jti", "")))
    if record is None:
        return Verdict(False, "unknown", claims)
    if dates != "ok":
        return Verdict(False, dates, claims, record)
    status_list.sweep(db)
    record = own_record(db, record["id"])
    if record["revoked_at"]:
        return Verdict(False, "revoked", claims, record, record["revoked_why"] or "revoked")
    return Verdict(True, "ok", claims, record)


def own_record(db: Database, credential: str) -> dict[str, Any] | None:
    """The row of a credential this hub issued, by its id (URL or UUID)."""
    key = credential.rsplit("/", 1)[-1]
    return fetch_one(db, "SELECT * FROM issued_credentials WHERE id = ?", [key])


def status_of(db: Database, credential_id: str) -> Verdict:
    """The verdict for the verification page, from the hub's own records (no token)."""
    record = own_record(db, credential_id)
    if record is None:
        return Verdict(False, "unknown")
    status_list.sweep(db)
    record = own_record(db, credential_id)
    if record["revoked_at"]:
        return Verdict(False, "revoked", None, record, record["revoked_why"] or "revoked")
    grant = fetch_one(db, "SELECT valid_until FROM grants WHERE id = ?", [record["grant_id"]])
    if grant and grant["valid_until"] and grant["valid_until"] < date.today().isoformat():
        return Verdict(False, "expired", None, record)
    return Verdict(True, "ok", None, record)
