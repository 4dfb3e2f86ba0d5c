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

from web.domain import at_machine, station_identity
from web.domain.people import first_name
from web.domain.settings import contact_name, station_languages


def current_revision(db: Database) -> int:
    return db.execute("SELECT value FROM revision WHERE id = 1").fetchone()[0]


def build(db: Database, machine_id: int) -> dict[str, Any]:
    machine = db.execute(
        """
        SELECT machines.name, machines.display_name, machines.kind, machines.out_of_service,
               machines.out_of_service_reason, machines.out_of_service_when, machines.settings,
               skills.settings AS skill_settings, skills.id AS skill_id,
               skills.slug, skills.name_fr, skills.name_en, skills.validity_months,
               skills.inactivity_months
        FROM machines LEFT JOIN skills ON skills.id = machines.skill_id
        WHERE machines.id = ?
        """,
        [machine_id],
    ).fetchone()
    (name, display_name, kind, out_of_service, reason, stop_when, settings, skill_settings,
     skill_id, *skill) = machine  # fmt: skip
    languages = station_languages(db)
    rows = db.execute(
        """
        SELECT badges.uid, people.id, people.display_name, people.language,
               grants.level, grants.status, grants.valid_until,
               coalesce(practice.seconds, 0),
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
    for (
        uid,
        person,
        person_name,
        language,
        level,
        status,
        valid_until,
        seconds,
        practised,
        staff,
    ) in rows:
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
            entry["hours"] = round(seconds / 3600, 1)
        badges.append(entry)
    badges.sort(key=lambda entry: entry["hash"])
    skill_part = None
    if skill_id is not None:
        names = ("slug", "name_fr", "name_en", "validity_months", "inactivity_months")
        skill_part = {
            **dict(zip(names, skill, strict=True)),
            **at_machine.skill_settings({"settings": skill_settings}),
            "checklist": at_machine.checklist(db, skill_id, machine_id),
        }
    return {
        "fablab": {"contact": contact_name(db)},
        "machine": {
            "name": name,
            "display_name": display_name or name,
            "kind": kind,
            "out_of_service": bool(out_of_service),
            "out_of_service_reason": reason,
            "out_of_service_when": stop_when,
            "settings": json.loads(settings),
        },
        "skill": skill_part,
        "badge_hash": scheme.describe(),
        "badges": badges,
        # People whose training the facilitator stopped "now": a session of theirs ends
        # after a short countdown, instead of at its end.
        "stop_now": sorted(
            station_identity.aliases(machine_id, _stopped_now(db, skill_id)).values()
        ),
        # Calls from this station the facilitator has just seen: whoever called is told.
        "calls_seen": [
            row[0]
            for row in db.execute(
                "SELECT event_id FROM calls WHERE machine_id = ? AND seen_at >= "
                "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-15 minutes') ORDER BY event_id",
                [machine_id],
            ).fetchall()
        ],
    }


def _stopped_now(db: Database, skill_id: int | None) -> list[str]:
    if skill_id is None:
        return []
    return [
        row[0]
        for row in db.execute(
            """
            SELECT DISTINCT grants.person_id FROM grant_changes
            JOIN grants ON grants.id = grant_changes.grant_id
            WHERE grants.skill_id = ? AND grant_changes.stop_now = 1
              AND grants.status IN ('revoked', 'suspended')
              AND grant_changes.at >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-7 days')
            """,
            [skill_id],
        ).fetchall()
    ]


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
