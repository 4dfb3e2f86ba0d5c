"""The access list: everything one station needs to decide a tap on its own, offline, and
no more than that.

For the station's machine: its settings (out of service?), its skill's rules, how it hashes
UIDs (scrypt under its own salt), and one entry per badge that matters to it: people with a
current training on its skill (even expired or lapsed, or suspended, so the station can say
which) and facilitators, who may supervise. Anyone else's badge is not listed: the station
calls it unknown, and tells them where to go. An entry carries the person's id *for this
station* (web/domain/station_identity.py), a first name to greet with, the level,
valid-until and last-practice dates and the language to speak. The entrance (`checkin`)
lists every badge: it greets everyone.

The content does not depend on the current time, so its SHA-256 is a stable ETag. Building
it costs tens of milliseconds; `AccessListCache` rebuilds only when the database's
`revision` (bumped by triggers on every table the list reads) has moved, which makes a 304
one indexed read.
"""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

from sqlite_utils import Database

from web.domain import station_identity
from web.domain.people import first_name
from web.domain.settings import contact_name, station_languages


def current_revision(db: Database) -> int:
    return db.execute("SELECT value FROM revision WHERE id = 1").fetchone()[0]


def build(db: Database, machine_id: int) -> dict[str, Any]:
    machine = db.execute(
        """
        SELECT machines.name, machines.display_name, machines.kind, machines.out_of_service,
               machines.out_of_service_reason, machines.settings, skills.id AS skill_id,
               skills.slug, skills.name_fr, skills.name_en, skills.validity_months,
               skills.inactivity_months
        FROM machines LEFT JOIN skills ON skills.id = machines.skill_id
        WHERE machines.id = ?
        """,
        [machine_id],
    ).fetchone()
    (name, display_name, kind, out_of_service, reason, settings, skill_id, *skill) = machine
    languages = station_languages(db)
    rows = db.execute(
        """
        SELECT badges.uid, people.id, people.display_name, people.language,
               grants.level, grants.status, grants.valid_until,
               -- The training day counts as practice.
               max(date(grants.granted_at), coalesce(date(practice.last_at), '')),
               EXISTS (SELECT 1 FROM facilitators
                       WHERE facilitators.person_id = people.id
                         AND facilitators.disabled_at IS NULL)
        FROM badges
        JOIN people ON people.id = badges.person_id AND people.erased_at IS NULL
        LEFT JOIN grants ON grants.person_id = people.id AND grants.skill_id = :skill
                        AND grants.status IN ('active', 'suspended')
        LEFT JOIN practice ON practice.person_id = people.id AND practice.skill_id = :skill
        WHERE badges.revoked_at IS NULL
          AND (:everyone OR grants.id IS NOT NULL OR EXISTS (
                SELECT 1 FROM facilitators WHERE facilitators.person_id = people.id
                  AND facilitators.disabled_at IS NULL))
        """,
        {"skill": skill_id, "everyone": kind == "checkin"},
    ).fetchall()
    scheme = station_identity.badge_hash(machine_id)
    hashed = station_identity.hashes(db, scheme, [row[0] for row in rows])
    aliases = station_identity.aliases(machine_id, [row[1] for row in rows])
    badges = []
    for uid, person, person_name, language, level, status, valid_until, practised, staff in rows:
        level = level if status == "active" else None  # suspended: known, not trained now
        entry: dict[str, Any] = {
            "hash": hashed[uid],
            "person": aliases[person],
            "level": level,
            "first_name": first_name(person_name),
            "supervisor": bool(staff) or level == 3,
        }
        if language in languages and language != "fr":
            entry["language"] = language
        if level is not None:
            entry["valid_until"] = valid_until
            entry["last_practice"] = practised
        badges.append(entry)
    badges.sort(key=lambda entry: entry["hash"])
    return {
        "fablab": {"contact": contact_name(db)},
        "machine": {
            "name": name,
            "display_name": display_name or name,
            "kind": kind,
            "out_of_service": bool(out_of_service),
            "out_of_service_reason": reason,
            "settings": json.loads(settings),
        },
        "skill": dict(
            zip(
                ("slug", "name_fr", "name_en", "validity_months", "inactivity_months"),
                skill,
                strict=True,
            )
        )
        if skill_id is not None
        else None,
        "badge_hash": scheme.describe(),
        "badges": badges,
    }


def serialise(access_list: dict[str, Any]) -> tuple[str, bytes]:
    """The list as JSON bytes and its (unquoted) strong ETag."""
    body = json.dumps(
        access_list, ensure_ascii=False, separators=(",", ":"), sort_keys=True
    ).encode()
    return hashlib.sha256(body).hexdigest()[:32], body


class AccessListCache:
    """Per machine, the last list built and the revision it was built at (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[int, tuple[int, str, bytes]] = {}

    def get(self, db: Database, machine_id: int) -> tuple[int, str, bytes]:
        """Return (revision, etag, body), rebuilding only if the revision has moved.

        The revision is read before the list is built, so a cached body is never
        older than the revision it is filed under.
        """
        revision = current_revision(db)
        with self._lock:
            entry = self._entries.get(machine_id)
        if entry is not None and entry[0] == revision:
            return entry
        etag, body = serialise(build(db, machine_id))
        entry = (revision, etag, body)
        with self._lock:
            cached = self._entries.get(machine_id)
            if cached is None or cached[0] <= revision:
                self._entries[machine_id] = entry
        return entry
