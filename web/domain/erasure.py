"""A person's right to erasure: their identity and badges go; anonymous totals stay.

After `erase`, the person's display name and badge UIDs are nowhere in the
database file or its WAL: rows are deleted or blanked with SQLite's
secure_delete on (freed pages are zeroed), the audit details that named a
card are scrubbed, and the WAL is checkpointed and truncated.
"""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from common.clock import now_iso
from web.db import fetch_all, writing
from web.domain import audit, people, status_list


def export_person(db: Database, person_id: str) -> dict[str, Any]:
    """Everything the hub holds about a person, for them to take away (right of access)."""
    person = people.get_person(db, person_id)
    return {
        "person": person,
        "badges": fetch_all(
            db, "SELECT uid, assigned_at, revoked_at FROM badges WHERE person_id = ?", [person_id]
        ),
        "trainings": fetch_all(
            db,
            """
            SELECT skills.slug AS skill, grants.level, grants.granted_by, grants.granted_at,
                   grants.valid_until, grants.status
            FROM grants JOIN skills ON skills.id = grants.skill_id
            WHERE person_id = ? ORDER BY granted_at
            """,
            [person_id],
        ),
        "practice": fetch_all(db, "SELECT * FROM practice WHERE person_id = ?", [person_id]),
        "sessions": fetch_all(
            db,
            "SELECT sessions.id, machines.name AS machine, started_at, ended_at, end_reason, "
            "busy_seconds FROM sessions JOIN machines ON machines.id = sessions.machine_id "
            "WHERE person_id = ? ORDER BY started_at",
            [person_id],
        ),
    }


def erase(db: Database, person_id: str, *, actor: str) -> None:
    people.get_person(db, person_id)  # NotFound if unknown or already erased
    uids = [row["uid"] for row in fetch_all(db, "SELECT uid FROM badges WHERE person_id = ?",
                                            [person_id])]  # fmt: skip
    db.execute("PRAGMA secure_delete = ON")
    with writing(db):
        db.execute("DELETE FROM badges WHERE person_id = ?", [person_id])
        for uid in uids:  # the stations' hashes of their cards: brute-forced, they give the UID
            db.execute("DELETE FROM badge_hashes WHERE uid = ?", [uid])
        db.execute("DELETE FROM enrolments WHERE person_id = ?", [person_id])
        status_list.revoke(db, "erased", person_id=person_id)
        # The verification page stays (it says "withdrawn"); the signed copy is not served.
        db.execute("UPDATE issued_credentials SET holder_name = NULL, token = '' "
                   "WHERE person_id = ?", [person_id])  # fmt: skip
        db.execute(
            "UPDATE people SET display_name = '', age_band = NULL, gender = NULL, "
            "consent_statistics = 0, consent_partner_sharing = 0, erased_at = ? WHERE id = ?",
            [now_iso(), person_id],
        )
        db.execute("UPDATE facilitators SET person_id = NULL WHERE person_id = ?", [person_id])
        for uid in uids:
            db.execute(
                "DELETE FROM events WHERE type = 'unknown_badge' "
                "AND json_extract(data, '$.uid') = ?",
                [uid],
            )
            for entry in fetch_all(db, "SELECT id, details FROM audit_log WHERE details LIKE ?",
                                   [f"%{uid}%"]):  # fmt: skip
                details = json.loads(entry["details"])
                details = {k: ("(effacé)" if v == uid else v) for k, v in details.items()}
                db.execute("UPDATE audit_log SET details = ? WHERE id = ?",
                           [json.dumps(details), entry["id"]])  # fmt: skip
        audit.record(db, actor, "person.erase", person_id)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("VACUUM")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
