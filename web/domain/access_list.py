"""The access list: everything one station needs to decide a tap on its own, offline.

For the station's machine: its settings (out of service?), its skill's rules,
the key it hashes UIDs with, and one entry per badge in use. An entry of a
person trained on the skill (an active grant, even if expired or lapsed, so the
station can say which) carries the level, valid-until and last-practice dates
and a first name to greet with. Anyone else's badge is listed with the person's
pseudonymous id only, so the station tells "not trained" from "unknown card"
without holding names it does not need.

The content does not depend on the current time, so its SHA-256 is a stable
ETag. Building it costs tens of milliseconds; `AccessListCache` rebuilds only
when the database's `revision` (bumped by triggers on every table the list
reads) has moved, which makes a 304 one indexed read.
"""

from __future__ import annotations

import hashlib
import json
import threading
from functools import lru_cache
from typing import Any

from sqlite_utils import Database

from common.uid import keyed_hash
from web.domain.badges import station_key
from web.domain.people import first_name
from web.domain.settings import contact_name, station_languages

# A station's key never changes, so neither do its badges' hashes: remembering them
# takes a third off rebuilding a 2,000-badge list (20 stations x 2,500 badges fit).
_station_hash = lru_cache(maxsize=50_000)(keyed_hash)


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
    key = station_key(db, machine_id)
    rows = db.execute(
        """
        SELECT badges.uid, people.id, people.display_name, people.language,
               grants.level, grants.valid_until,
               -- The training day counts as practice.
               max(date(grants.granted_at), coalesce(date(practice.last_at), '')),
               EXISTS (SELECT 1 FROM facilitators
                       WHERE facilitators.person_id = people.id
                         AND facilitators.disabled_at IS NULL)
        FROM badges
        JOIN people ON people.id = badges.person_id AND people.erased_at IS NULL
        LEFT JOIN grants ON grants.person_id = people.id AND grants.skill_id = :skill
                        AND grants.status = 'active'
        LEFT JOIN practice ON practice.person_id = people.id AND practice.skill_id = :skill
        WHERE badges.revoked_at IS NULL
        """,
        {"skill": skill_id},
    ).fetchall()
    badges = []
    for (
        uid,
        person,
        person_name,
        language,
        level,
        valid_until,
        last_practice,
        facilitator,
    ) in rows:
        entry: dict[str, Any] = {"hash": _station_hash(key, uid), "person": person, "level": level}
        supervisor = bool(facilitator) or level == 3
        if level is not None or supervisor or kind == "checkin":  # the entrance greets everyone
            entry["first_name"] = first_name(person_name)
            entry["supervisor"] = supervisor
            if language in languages and language != "fr":
                entry["language"] = language
        if level is not None:
            entry["valid_until"] = valid_until
            entry["last_practice"] = last_practice
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
        "badge_hash": {"algorithm": "hmac-sha256", "key": key.hex()},
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
