"""Residents. A person is known by a random pseudonymous id, a display name and nothing more
than what statistics need (optional age band and gender) and what they consented to."""

from __future__ import annotations

import secrets
from typing import Any

from sqlite_utils import Database

from common.clock import now_iso
from common.languages import LANGUAGES
from web.db import fetch_one, writing
from web.domain import audit
from web.domain.errors import Invalid, NotFound

AGE_BANDS = ("under_26", "26_44", "45_54", "55_plus")
GENDERS = ("female", "male", "other")
# Crockford's base32: no I, L, O or U, so an id read aloud or copied by hand survives.
_ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_ID_LENGTH = 8
MAX_NAME_LENGTH = 80


def new_person_id() -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(_ID_LENGTH))


def first_name(display_name: str) -> str:
    """What a station may greet with: the first word of the display name."""
    return display_name.split()[0] if display_name.strip() else ""


def add_person(
    db: Database,
    display_name: str,
    *,
    age_band: str | None = None,
    gender: str | None = None,
    consent_statistics: bool = False,
    consent_partner_sharing: bool = False,
    language: str | None = None,
    actor: str,
) -> str:
    """Register a person and return their new pseudonymous id. `language`: the one the
    stations speak to them (French when None)."""
    name = _checked(display_name, age_band, gender, language)
    with writing(db):
        person_id = new_person_id()
        while db["people"].count_where("id = ?", [person_id]):
            person_id = new_person_id()
        db["people"].insert(
            {
                "id": person_id,
                "display_name": name,
                "age_band": age_band,
                "gender": gender,
                "consent_statistics": int(consent_statistics),
                "consent_partner_sharing": int(consent_partner_sharing),
                "language": language,
                "created_at": now_iso(),
            }
        )
        audit.record(db, actor, "person.add", person_id)
    return person_id


def _checked(display_name: str, age_band: str | None, gender: str | None,
             language: str | None) -> str:  # fmt: skip
    """The display name as kept (spaces folded); Invalid for anything the hub cannot keep."""
    name = " ".join(display_name.split())
    if not name:
        raise Invalid("a display name is required")
    if len(name) > MAX_NAME_LENGTH:
        raise Invalid(f"a display name has at most {MAX_NAME_LENGTH} characters")
    if age_band is not None and age_band not in AGE_BANDS:
        raise Invalid(f"age band must be one of {', '.join(AGE_BANDS)}")
    if gender is not None and gender not in GENDERS:
        raise Invalid(f"gender must be one of {', '.join(GENDERS)}")
    _check_language(language)
    return name


def update_person(
    db: Database,
    person_id: str,
    display_name: str,
    *,
    age_band: str | None,
    gender: str | None,
    consent_statistics: bool,
    consent_partner_sharing: bool,
    language: str | None,
    actor: str,
) -> list[str]:
    """Correct what the hub holds about a person (their right to rectification); the names
    of the fields that changed, for the audit log and the message."""
    fields = {
        "display_name": _checked(display_name, age_band, gender, language),
        "age_band": age_band,
        "gender": gender,
        "consent_statistics": int(consent_statistics),
        "consent_partner_sharing": int(consent_partner_sharing),
        "language": language,
    }
    with writing(db):
        before = get_person(db, person_id)
        changed = [key for key, value in fields.items() if before[key] != value]
        if changed:
            db["people"].update(person_id, {key: fields[key] for key in changed})
            audit.record(db, actor, "person.update", person_id, fields=changed)
    return changed


def _check_language(language: str | None) -> None:
    if language is not None and language not in LANGUAGES:
        raise Invalid(f"language must be one of {', '.join(LANGUAGES)}")


def set_language(db: Database, person_id: str, language: str | None, *, actor: str) -> None:
    """The language the stations speak to the person (None: French)."""
    _check_language(language)
    with writing(db):
        get_person(db, person_id)
        db["people"].update(person_id, {"language": language})
        audit.record(db, actor, "person.language", person_id, language=language)


def get_person(db: Database, person_id: str) -> dict[str, Any]:
    """The person's row; NotFound if unknown or erased."""
    row = fetch_one(db, "SELECT * FROM people WHERE id = ? AND erased_at IS NULL", [person_id])
    if row is None:
        raise NotFound(f"no person with id {person_id}")
    return row


def exists(db: Database, person_id: str) -> bool:
    return bool(db["people"].count_where("id = ? AND erased_at IS NULL", [person_id]))
