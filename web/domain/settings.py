"""The hub's settings a facilitator may change: whom residents are sent to, the languages
the stations speak. Kept in the `settings` table; each change reaches the stations.
"""

from __future__ import annotations

from sqlite_utils import Database

from common.languages import LANGUAGES, SOURCE
from web.db import fetch_one, writing
from web.domain import audit
from web.domain.errors import Invalid

SETTINGS = {
    "contact_name": 'Whom the stations send residents to ("Allez voir Claire"): a first name',
    "station_languages": "Languages the stations may speak, comma-separated (French always)",
    "fablab_name": 'The fablab\'s name on attestations and credentials ("Fablab de Saint-Denis")',
    "public_url": "The hub's address as the public reaches it (https://host): credentials "
    "name their issuer and their verification page from it",
    "logo": "The fablab's logo on attestations: a PNG or JPEG data: URI (the pages upload it)",
}
LOGO_MAX_BYTES = 300_000


def get(db: Database, key: str) -> str | None:
    row = fetch_one(db, "SELECT value FROM settings WHERE key = ?", [key])
    return row["value"] if row else None


def set_value(db: Database, key: str, value: str, *, actor: str) -> str:
    """Store a checked value; return it as stored."""
    if key not in SETTINGS:
        raise Invalid(f"no setting {key}; the settings are {', '.join(SETTINGS)}")
    value = " ".join(value.split())
    if key == "fablab_name" and len(value) > 80:
        raise Invalid("a fablab's name has at most 80 characters")
    if key == "public_url":
        from web.domain.identity import check_public_url

        value = check_public_url(value) if value else ""
    if (
        key == "logo"
        and value
        and (
            not value.startswith(("data:image/png;base64,", "data:image/jpeg;base64,"))
            or len(value) > LOGO_MAX_BYTES * 4 // 3 + 30
        )
    ):
        raise Invalid("a logo is a PNG or JPEG image of 300 KB at most")
    if key == "contact_name" and len(value) > 40:
        raise Invalid("a contact name has at most 40 characters")
    if key == "station_languages":
        codes = [code.strip() for code in value.split(",") if code.strip()]
        unknown = [code for code in codes if code not in LANGUAGES]
        if unknown:
            raise Invalid(f"unknown language(s) {', '.join(unknown)}; "
                          f"the stations speak {', '.join(LANGUAGES)}")  # fmt: skip
        value = ",".join([SOURCE, *[code for code in codes if code != SOURCE]])
    with writing(db):
        db.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )
        audit.record(db, actor, "settings.set", key,
                     value=value if key != "logo" else f"{len(value)} characters")  # fmt: skip
    return value


def station_languages(db: Database) -> tuple[str, ...]:
    """The languages a station may use for a person: all of them until the facilitator
    chooses (for instance to hide those no native speaker has reviewed yet)."""
    chosen = get(db, "station_languages")
    return tuple(chosen.split(",")) if chosen else tuple(LANGUAGES)


def contact_name(db: Database) -> str:
    """The contact's name, else the first facilitator's, as a first name ("claire": Claire)."""
    chosen = get(db, "contact_name")
    if chosen:
        return chosen
    row = fetch_one(
        db, "SELECT name FROM facilitators WHERE disabled_at IS NULL ORDER BY id LIMIT 1"
    )
    return row["name"].split()[0].capitalize() if row else ""
