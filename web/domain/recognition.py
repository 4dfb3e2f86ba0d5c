"""Trainings that travel: a credential another fablab issued (a file, a pasted VC-JWT, or
its verification page's address) checked against that fablab's published keys, then
recorded here as a training with its provenance.

The keys come from the list of trusted fablabs (`trusted_issuers`), else from
`https://<the host its did:web names>/.well-known/jwks.json` (web.domain.credential_sources
says how fetching is kept safe); the facilitator confirms the import, which adds that fablab
to the list. The status list is read the same way; when it cannot be reached the import
says so. A credential is refused with its reason: malformed, tampered, not signed by a key
of its issuer, revoked, expired, too old for the local rule, already recognised, already
held here at that level or more, or issued here.
"""

from __future__ import annotations

import json
import re
import zlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import jwt
from sqlite_utils import Database

from common.clock import add_months, now_iso, today
from web.db import fetch_all, fetch_one, fold, writing
from web.domain import audit, credentials, grants, identity
from web.domain.credential_sources import MAX_BYTES, Refused, http_get, http_json, issuer_address
from web.domain.credential_sources import read as read  # the pages read through this module
from web.domain.errors import Invalid

__all__ = ["MAX_BYTES", "Candidate", "Refused", "examine", "read", "record", "trust"]


@dataclass
class Candidate:
    """A verified credential from another fablab, and what it would become here."""

    token: str
    claims: dict[str, Any]
    issuer: str  # its did:web
    issuer_name: str
    issuer_url: str
    jwks: dict[str, Any]
    keys_fetched: bool  # read from the issuer's address now (not yet in the trusted list)
    status_checked: bool  # False: its status list could not be read
    level: int
    skill_name: str
    trained_on: date
    valid_until: date | None  # the credential's own expiry
    holder: str | None = None  # the name the issuer's page shows, if the person shared it
    skills: list[str] = field(default_factory=list)  # local skills that match (slugs)

    @property
    def credential_id(self) -> str:
        return str(self.claims.get("jti") or self.claims.get("id") or "")

    @property
    def codes(self) -> list[str]:
        alignment = _achievement(self.claims).get("alignment")
        if not isinstance(alignment, list):
            return []
        return [
            str(a["targetCode"]) for a in alignment if isinstance(a, dict) and a.get("targetCode")
        ]


def _achievement(claims: dict[str, Any]) -> dict[str, Any]:
    subject = claims.get("credentialSubject")
    found = subject.get("achievement") if isinstance(subject, dict) else None
    return found if isinstance(found, dict) else {}


# --- checking it --------------------------------------------------------------------------------


def examine(db: Database, token: str) -> Candidate:
    """Verify a credential from another fablab; what it would become here, or Refused."""
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise Refused("malformed") from None
    issuer = str(claims.get("iss") or "")
    try:
        if issuer == identity.issuer(db).did:
            raise Refused("own")
    except identity.NotConfigured:
        pass
    profile = claims.get("issuer") if isinstance(claims.get("issuer"), dict) else {}
    base = issuer_address(issuer, str(profile.get("url") or ""))
    trusted = fetch_one(db, "SELECT * FROM trusted_issuers WHERE issuer = ?", [issuer])
    jwks = json.loads(trusted["jwks"]) if trusted else None
    fetched = False
    if jwks is None or not _has_key(jwks, header.get("kid")):
        try:
            jwks = http_json(base + "/.well-known/jwks.json")
            fetched = True
        except Refused:
            if jwks is None:
                raise Refused("unknown_issuer", issuer) from None
    verified, reason = credentials.decode(token, _keys(jwks))
    if reason != "ok" or verified is None:
        raise Refused("bad_signature")
    start, end = credentials.bounds(verified)
    if start is None:
        raise Refused("malformed", "no validFrom")
    dates = credentials.judge_dates(verified)
    if dates != "ok":
        raise Refused(dates)
    checked = _status_checked(verified, base, jwks)
    candidate = Candidate(
        token=token, claims=verified, issuer=issuer,
        # A name the trusted list holds; a new fablab's own claim, with its address beside it.
        issuer_name=str(trusted["name"] if trusted else profile.get("name") or issuer)[:80],
        issuer_url=base, jwks=jwks, keys_fetched=fetched or trusted is None,
        status_checked=checked, level=_level(verified, base), skill_name=_skill_name(verified),
        trained_on=start.date(), valid_until=end.date() if end else None,
    )  # fmt: skip
    candidate.skills = matching_skills(db, candidate)
    candidate.holder = _holder(candidate.credential_id, base)
    again = "SELECT id FROM grants WHERE json_extract(recognised_from, '$.credential') = ?"
    if fetch_one(db, again, [candidate.credential_id]):
        raise Refused("already")
    return candidate


def _has_key(jwks: dict[str, Any], kid: object) -> bool:
    keys = jwks.get("keys")
    return isinstance(keys, list) and any(isinstance(k, dict) and k.get("kid") == kid
                                          for k in keys)  # fmt: skip


def _keys(jwks: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    for key in keys if isinstance(keys, list) else []:
        try:
            found[str(key["kid"])] = jwt.PyJWK(key, algorithm="EdDSA").key
        except (jwt.PyJWTError, KeyError, TypeError, ValueError):
            continue
    return found


def _status_checked(claims: dict[str, Any], base: str, jwks: dict[str, Any]) -> bool:
    """True when the status list was read and its bit is clear; Refused when it is set."""
    entry = claims.get("credentialStatus")
    if not isinstance(entry, dict):
        return False
    url = str(entry.get("statusListCredential") or "")
    if not url.startswith(base + "/"):
        return False
    try:
        index = int(entry.get("statusListIndex", ""))
        published = http_get(url, "application/vc+jwt").decode()
        listed, reason = credentials.decode(published, _keys(jwks))
        if reason != "ok" or listed is None or not 0 <= index < 8 * MAX_BYTES:
            return False
        revoked = _bit(listed["credentialSubject"]["encodedList"], index)
    except Refused:
        return False
    except Exception:
        return False
    if revoked:
        raise Refused("revoked")
    return True


def _bit(encoded: str, index: int) -> bool:
    """A bit of a GZIP'd, base64url list, unpacking no more than needed to reach it."""
    import base64

    text = encoded.removeprefix("u")  # multibase: "u" is base64url without padding
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    bits = zlib.decompressobj(wbits=31).decompress(raw, index // 8 + 1)
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def _holder(credential_id: str, base: str) -> str | None:
    """The name the issuer's verification page shows, if the person chose to share it."""
    if not credential_id.startswith(base + "/"):
        return None
    try:
        holder = http_json(credential_id).get("holder")
    except Refused:
        return None
    return str(holder)[:60] if holder else None


def _level(claims: dict[str, Any], base: str) -> int:
    """The level, read only from an achievement this software's hubs publish
    (`<issuer>/badges/competences/<skill>/<level>`); 1 otherwise."""
    found = re.fullmatch(re.escape(base) + r"/badges/competences/[a-z0-9-]+/([123])",
                         str(_achievement(claims).get("id", "")))  # fmt: skip
    return int(found.group(1)) if found else 1


def _skill_name(claims: dict[str, Any]) -> str:
    name = _achievement(claims).get("name") or claims.get("name") or ""
    return str(name).split(" — ")[0][:120]


def matching_skills(db: Database, candidate: Candidate) -> list[str]:
    """Local skills that share a ROME code with the credential, or its name: one is a clear
    mapping; none or several, the facilitator chooses."""
    codes = set(candidate.codes)
    wanted = fold(candidate.skill_name)
    found = []
    for skill in fetch_all(db, "SELECT slug, name_fr, rome_codes FROM skills ORDER BY name_fr"):
        shared = codes & set(json.loads(skill["rome_codes"] or "[]"))
        if shared or fold(skill["name_fr"]) == wanted:
            found.append(skill["slug"])
    named = [slug for slug in found if fold(_name(db, slug)) == wanted]
    return named if len(found) > 1 and len(named) == 1 else found


def _name(db: Database, slug: str) -> str:
    return fetch_one(db, "SELECT name_fr FROM skills WHERE slug = ?", [slug])["name_fr"]


# --- recording it -------------------------------------------------------------------------------


def record(db: Database, person_id: str, candidate: Candidate, *, skill: str, level: int,
           actor: str) -> int:  # fmt: skip
    """The training here, recorded today (the issuer's status list says it had not lapsed
    there), at a level no higher than the credential's, until the local skill's expiry
    counted from the day it was done there (or the credential's, if sooner)."""
    if not 1 <= level <= candidate.level:
        raise Invalid(f"the level is at most the credential's ({candidate.level})")
    row = fetch_one(db, "SELECT validity_months FROM skills WHERE slug = ?", [skill])
    if row is None:
        raise Invalid(f"no skill {skill}")
    local = (
        add_months(candidate.trained_on, row["validity_months"]) if row["validity_months"] else None
    )
    until = min([day for day in (local, candidate.valid_until) if day], default=None)
    if until is not None and until < today():
        raise Refused("too_old", until.isoformat())
    here = next((g for g in grants.history(db, person_id) if g["skill"] == skill
                 and g["state"].valid and g["level"] >= level), None)  # fmt: skip
    if here is not None:
        raise Refused("held_here", str(here["level"]))
    provenance = {
        "issuer": candidate.issuer, "name": candidate.issuer_name, "url": candidate.issuer_url,
        "credential": candidate.credential_id, "level": candidate.level,
        "trained_on": candidate.trained_on.isoformat(), "recognised_at": now_iso(),
        "status_checked": candidate.status_checked,
    }  # fmt: skip
    with writing(db):
        grant_id = grants.grant(
            db,
            person_id,
            skill,
            level=level,
            by=f"Reconnue de : {candidate.issuer_name}",
            actor=actor,
            recognised_from=provenance,
            valid_until=until,
        )
        if candidate.keys_fetched:
            trust(db, candidate.issuer, candidate.issuer_name, candidate.jwks, actor=actor)
        audit.record(db, actor, "grant.recognise", person_id, skill=skill, level=level,
                     issuer=candidate.issuer, credential=candidate.credential_id)  # fmt: skip
    return grant_id


# --- the trusted fablabs ------------------------------------------------------------------------


def trust(db: Database, issuer: str, name: str, jwks: dict[str, Any], *, actor: str) -> None:
    """Add a fablab to the trusted list, or refresh its keys (old ones stay: they still
    verify what they signed)."""
    if not _keys(jwks):
        raise Invalid("no Ed25519 public key in that key set")
    with writing(db):
        known = fetch_one(db, "SELECT jwks FROM trusted_issuers WHERE issuer = ?", [issuer])
        keys = {key["kid"]: key for key in (json.loads(known["jwks"])["keys"] if known else [])}
        keys.update(
            {key["kid"]: key for key in jwks["keys"] if isinstance(key, dict) and "kid" in key}
        )
        db.execute(
            "INSERT INTO trusted_issuers (issuer, name, jwks, fetched_at, added_by, added_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (issuer) DO UPDATE SET name = excluded.name, "
            "jwks = excluded.jwks, fetched_at = excluded.fetched_at",
            [issuer, name, json.dumps({"keys": list(keys.values())}), now_iso(), actor, now_iso()],
        )
        audit.record(db, actor, "issuer.trust", issuer, name=name)


def trust_address(db: Database, url: str, *, actor: str) -> str:
    """Trust the fablab at an address (its hub's public root): read its profile and keys."""
    base = identity.check_public_url(url)
    document = http_json(base + "/.well-known/did.json")
    profile = http_json(base + "/badges/emetteur")
    jwks = http_json(base + "/.well-known/jwks.json")
    did = str(document.get("id", ""))
    if issuer_address(did, base) != base or profile.get("id") != did:
        raise Refused("unknown_issuer", base)
    trust(db, did, str(profile.get("name") or did), jwks, actor=actor)
    return did


def distrust(db: Database, issuer: str, *, actor: str) -> None:
    with writing(db):
        db.execute("DELETE FROM trusted_issuers WHERE issuer = ?", [issuer])
        audit.record(db, actor, "issuer.distrust", issuer)


def trusted(db: Database) -> list[dict[str, Any]]:
    return fetch_all(db, "SELECT issuer, name, fetched_at, added_by, added_at, jwks "
                         "FROM trusted_issuers ORDER BY name")  # fmt: skip
