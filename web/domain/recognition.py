"""Trainings that travel: a credential another fablab issued (a file, a pasted VC-JWT, or
its verification page's address) checked against that fablab's published keys, then
recorded here as a training with its provenance.

The keys come from the list of trusted fablabs (`trusted_issuers`), else from the issuer's
own address (`{issuer.url}/.well-known/jwks.json`, whose host must be the one its
`did:web` names); the facilitator confirms the import, which adds that fablab to the list.
The status list is read the same way; when it cannot be reached the import says so.
A credential is refused with its reason: malformed, tampered, not signed by a known key,
revoked, expired, too old for the local rule, already recognised, or issued here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

import jwt
from sqlite_utils import Database

from common.clock import add_months, now_iso, today
from web.db import fetch_all, fetch_one, fold, writing
from web.domain import audit, credentials, grants, identity, status_list
from web.domain.errors import Invalid

TOKEN = re.compile(r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+")
MAX_BYTES = 1_000_000
TIMEOUT_SECONDS = 5


class Refused(Invalid):
    """Why a credential cannot be recognised; `reason` names it for the page."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


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
        return [str(a.get("targetCode")) for a in self._achievement().get("alignment", [])
                if isinstance(a, dict) and a.get("targetCode")]  # fmt: skip

    def _achievement(self) -> dict[str, Any]:
        subject = self.claims.get("credentialSubject") or {}
        found = subject.get("achievement") if isinstance(subject, dict) else None
        return found if isinstance(found, dict) else {}


# --- reading what the facilitator gives -------------------------------------------------------


def http_get(url: str, accept: str) -> bytes:
    """GET a public document (1 MB at most, 5 s); Refused("unreachable") otherwise."""
    import requests

    if urlsplit(url).scheme not in ("http", "https"):
        raise Refused("malformed", url)
    try:
        with requests.get(url, headers={"Accept": accept}, timeout=TIMEOUT_SECONDS,
                          stream=True, allow_redirects=True) as response:  # fmt: skip
            response.raise_for_status()
            body = response.raw.read(MAX_BYTES + 1, decode_content=True)
    except requests.RequestException as problem:
        raise Refused("unreachable", f"{url}: {type(problem).__name__}") from None
    if len(body) > MAX_BYTES:
        raise Refused("unreachable", f"{url}: more than 1 MB")
    return body


def read(text: str = "", upload: bytes = b"") -> str:
    """The VC-JWT in a pasted text, a verification page's address, or a file (.jwt, .json, or
    a PDF that carries it as an attachment, as this software's badges do)."""
    if upload:
        if upload.startswith(b"%PDF"):
            return _from_pdf(upload)
        text = upload[:MAX_BYTES].decode("utf-8", "replace")
    text = text.strip()
    if text.startswith(("http://", "https://")) and not TOKEN.search(text):
        body = http_get(text.split()[0], "application/json")
        try:
            text = str(json.loads(body).get("credential") or "")
        except (ValueError, AttributeError):
            raise Refused("malformed", "the address gave no credential") from None
    found = TOKEN.search(text)
    if not found:
        raise Refused("malformed")
    return found.group(0)


def _from_pdf(content: bytes) -> str:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        attachments = PdfReader(io.BytesIO(content)).attachments
    except (PyPdfError, ValueError, KeyError):
        raise Refused("malformed", "an unreadable PDF") from None
    for name, versions in attachments.items():
        for version in versions:
            found = TOKEN.search(version.decode("utf-8", "replace"))
            if name.endswith((".jwt", ".json")) and found:
                return found.group(0)
    raise Refused("malformed", "a PDF without a signed badge attached")


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
    if not issuer.startswith("did:web:"):
        raise Refused("unknown_issuer", issuer)
    profile = claims.get("issuer") if isinstance(claims.get("issuer"), dict) else {}
    base = _issuer_address(issuer, str(profile.get("url") or ""))
    trusted = fetch_one(db, "SELECT * FROM trusted_issuers WHERE issuer = ?", [issuer])
    jwks = json.loads(trusted["jwks"]) if trusted else None
    fetched = False
    if jwks is None or not _has_key(jwks, header.get("kid")):
        try:
            jwks = json.loads(http_get(base + "/.well-known/jwks.json", "application/json"))
            fetched = True
        except (Refused, ValueError):
            if jwks is None:
                raise Refused("unknown_issuer", issuer) from None
    verified, reason = credentials.decode(token, _keys(jwks))
    if reason != "ok" or verified is None:
        raise Refused("bad_signature")
    dates = credentials.judge_dates(verified)
    if dates != "ok":
        raise Refused(dates)
    checked = _status_checked(verified, base, jwks)
    level = _level(verified)
    candidate = Candidate(
        token=token, claims=verified, issuer=issuer,
        issuer_name=str(profile.get("name") or (trusted or {}).get("name") or issuer),
        issuer_url=base, jwks=jwks, keys_fetched=fetched or trusted is None,
        status_checked=checked, level=level, skill_name=_skill_name(verified),
        trained_on=_day(verified.get("nbf")) or today(),
        valid_until=_day(verified.get("exp")),
    )  # fmt: skip
    candidate.skills = matching_skills(db, candidate)
    candidate.holder = _holder(candidate.credential_id, base)
    again = "SELECT id FROM grants WHERE json_extract(recognised_from, '$.credential') = ?"
    if fetch_one(db, again, [candidate.credential_id]):
        raise Refused("already")
    return candidate


def _issuer_address(did: str, url: str) -> str:
    """Where the issuer publishes: its profile's url, if its host is the DID's."""
    host = unquote(did.removeprefix("did:web:").split(":")[0])
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.netloc.lower() == host.lower():
        return f"{parts.scheme}://{parts.netloc.lower()}"
    return f"https://{host}"


def _has_key(jwks: dict[str, Any], kid: object) -> bool:
    return any(key.get("kid") == kid for key in jwks.get("keys", []) if isinstance(key, dict))


def _keys(jwks: dict[str, Any]) -> dict[str, Any]:
    found = {}
    for key in jwks.get("keys", []):
        try:
            found[str(key["kid"])] = jwt.PyJWK(key, algorithm="EdDSA").key
        except (jwt.PyJWTError, KeyError, TypeError):
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
        listed, reason = credentials.decode(
            http_get(url, "application/vc+jwt").decode(), _keys(jwks)
        )
        if reason != "ok" or listed is None:
            return False
        revoked = status_list.is_set(listed["credentialSubject"]["encodedList"], index)
    except (Refused, ValueError, KeyError, TypeError, IndexError, OSError):
        return False
    if revoked:
        raise Refused("revoked")
    return True


def _holder(credential_id: str, base: str) -> str | None:
    """The name the issuer's verification page shows, if the person chose to share it."""
    if not credential_id.startswith(base + "/"):
        return None
    try:
        answer = json.loads(http_get(credential_id, "application/json"))
    except (Refused, ValueError):
        return None
    return str(answer["holder"]) if isinstance(answer, dict) and answer.get("holder") else None


def _level(claims: dict[str, Any]) -> int:
    achievement = (claims.get("credentialSubject") or {}).get("achievement") or {}
    last = str(achievement.get("id", "")).rstrip("/").rsplit("/", 1)[-1]
    if last in ("1", "2", "3"):
        return int(last)
    named = re.search(r"niveau (\d)", str(achievement.get("name", "")))
    return int(named.group(1)) if named and named.group(1) in "123" else 1


def _skill_name(claims: dict[str, Any]) -> str:
    achievement = (claims.get("credentialSubject") or {}).get("achievement") or {}
    return str(achievement.get("name") or claims.get("name") or "").split(" — ")[0]


def _day(stamp: object) -> date | None:
    if not isinstance(stamp, int | float):
        return None
    return datetime.fromtimestamp(stamp, UTC).date()


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
    """The training here: from the day it was done there, at a level no higher than the
    credential's, until the local skill's expiry (or the credential's, if sooner)."""
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
    try:
        document = json.loads(http_get(base + "/.well-known/did.json", "application/json"))
        profile = json.loads(http_get(base + "/badges/emetteur", "application/json"))
        jwks = json.loads(http_get(base + "/.well-known/jwks.json", "application/json"))
    except ValueError:
        raise Refused("unknown_issuer", base) from None
    did = str(document.get("id", ""))
    if _issuer_address(did, base) != base or profile.get("id") != did:
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
