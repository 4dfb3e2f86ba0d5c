"""Skills: what a machine requires, how long a training stays valid, and the jobs it leads to."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlite_utils import Database

from web.db import fetch_all, fetch_one, writing
from web.domain import audit
from web.domain.errors import Conflict, Invalid, NotFound

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
# France Travail's ROME 4.0 job codes: a letter for the domain, four digits.
ROME_CODE = re.compile(r"^[A-N][0-9]{4}$")
DEFAULT_VALIDITY_MONTHS = 24
DEFAULT_INACTIVITY_MONTHS = 6


def add_skill(
    db: Database,
    slug: str,
    *,
    name_fr: str,
    name_en: str | None = None,
    validity_months: int | None = DEFAULT_VALIDITY_MONTHS,
    inactivity_months: int | None = DEFAULT_INACTIVITY_MONTHS,
    rome_codes: list[str] | tuple[str, ...] = (),
    actor: str,
) -> int:
    """Create a skill; `None` months mean the training never expires or never lapses."""
    if not SLUG.match(slug):
        raise Invalid(
            "a skill's slug is lower-case letters, digits and dashes (e.g. decoupe-laser)"
        )
    if not name_fr.strip():
        raise Invalid("a skill needs a French name")
    for months in (validity_months, inactivity_months):
        if months is not None and months <= 0:
            raise Invalid("months must be a positive number")
    codes = _rome(rome_codes)
    with writing(db):
        if db["skills"].count_where("slug = ?", [slug]):
            raise Conflict(f"a skill named {slug} already exists")
        skill_id = (
            db["skills"]
            .insert(
                {
                    "slug": slug,
                    "name_fr": name_fr.strip(),
                    "name_en": (name_en or "").strip() or None,
                    "validity_months": validity_months,
                    "inactivity_months": inactivity_months,
                    "rome_codes": json.dumps(codes),
                }
            )
            .last_pk
        )
        audit.record(db, actor, "skill.add", slug)
    return skill_id


def update_skill(
    db: Database,
    slug: str,
    *,
    name_fr: str,
    name_en: str | None,
    validity_months: int | None,
    inactivity_months: int | None,
    rome_codes: list[str] | tuple[str, ...],
    actor: str,
) -> None:
    """Change a skill's names, durations and ROME codes (trainings given keep their dates)."""
    codes = _rome(rome_codes)
    if not name_fr.strip():
        raise Invalid("a skill needs a French name")
    with writing(db):
        skill = get_skill(db, slug)
        db["skills"].update(
            skill["id"],
            {
                "name_fr": name_fr.strip(),
                "name_en": (name_en or "").strip() or None,
                "validity_months": validity_months,
                "inactivity_months": inactivity_months,
                "rome_codes": json.dumps(codes),
            },
        )
        audit.record(db, actor, "skill.update", slug)


def _rome(rome_codes: list[str] | tuple[str, ...]) -> list[str]:
    codes = [code.strip().upper() for code in rome_codes]
    bad = [code for code in codes if not ROME_CODE.match(code)]
    if bad:
        raise Invalid(f"not a ROME code (letter and four digits, e.g. H2905): {', '.join(bad)}")
    return codes


def get_skill(db: Database, slug: str) -> dict[str, Any]:
    row = fetch_one(db, "SELECT * FROM skills WHERE slug = ?", [slug])
    if row is None:
        raise NotFound(f"no skill named {slug}")
    return row


def skill_by_id(db: Database, skill_id: int) -> dict[str, Any]:
    row = fetch_one(db, "SELECT * FROM skills WHERE id = ?", [skill_id])
    if row is None:
        raise NotFound(f"no skill {skill_id}")
    return row


def list_skills(db: Database) -> list[dict[str, Any]]:
    return fetch_all(db, "SELECT * FROM skills ORDER BY slug")
