"""Everything the hub holds about one person (the right of access), table by table.

`PERSONAL` names every table that can hold a person's data and how to read their part;
`NOT_PERSONAL`, every other table and why. tests/test_person_record.py enumerates the
database's tables and fails on one in neither, so a new table cannot be forgotten here (or
in web.domain.erasure, which must say what it does with each personal table).
"""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from web.db import fetch_all
from web.domain import people

PERSONAL: dict[str, str] = {
    "people": "SELECT * FROM people WHERE id = :me",
    "badges": "SELECT uid, assigned_at, revoked_at, revoked_reason FROM badges "
    "WHERE person_id = :me ORDER BY assigned_at",
    "badge_hashes": "SELECT salt, hash FROM badge_hashes WHERE uid IN "
    "(SELECT uid FROM badges WHERE person_id = :me)",
    "enrolments": "SELECT until, by, uid, done_at FROM enrolments WHERE person_id = :me",
    "grants": "SELECT grants.id, skills.name_fr AS skill, grants.level, grants.granted_by, "
    "grants.granted_at, grants.valid_until, grants.status, grants.status_reason, "
    "grants.recognised_from FROM grants JOIN skills ON skills.id = grants.skill_id "
    "WHERE grants.person_id = :me ORDER BY grants.granted_at",
    "grant_changes": "SELECT grant_changes.* FROM grant_changes JOIN grants "
    "ON grants.id = grant_changes.grant_id WHERE grants.person_id = :me ORDER BY at",
    "sessions": "SELECT sessions.id, coalesce(machines.display_name, machines.name) AS machine, "
    "sessions.person_id = :me AS yours, "
    "coalesce(sessions.supervisor_id = :me, 0) AS supervised_by_you, "
    "sessions.level, sessions.started_at, sessions.ended_at, sessions.end_reason, "
    "sessions.busy_seconds, sessions.job, sessions.checklist, sessions.held "
    "FROM sessions JOIN machines ON machines.id = sessions.machine_id "
    "WHERE sessions.person_id = :me OR sessions.supervisor_id = :me ORDER BY started_at",
    "practice": "SELECT skills.name_fr AS skill, practice.sessions, practice.supervised_sessions, "
    "practice.seconds, practice.busy_seconds, practice.first_at, practice.last_at, practice.jobs "
    "FROM practice JOIN skills ON skills.id = practice.skill_id WHERE person_id = :me",
    "presence": "SELECT visits, seconds, first_at, last_at FROM presence WHERE person_id = :me",
    "events": "SELECT events.type, coalesce(machines.display_name, machines.name) AS machine, "
    "events.at, events.data FROM events JOIN machines ON machines.id = events.machine_id "
    "WHERE events.person_id = :me ORDER BY events.at",
    "anomalies": "SELECT code, detail, found_at, resolved_at, resolution FROM anomalies "
    "WHERE person_id = :me",
    "calls": "SELECT at, seen_at FROM calls WHERE person_id = :me",
    "reports": "SELECT category, at, handled_at, outcome FROM reports WHERE person_id = :me",
    "issued_credentials": "SELECT id, grant_id, holder_name, issued_at, revoked_at, revoked_why "
    "FROM issued_credentials WHERE person_id = :me",
    "usage_people": "SELECT period, scope FROM usage_people WHERE person_id = :me",
    "facilitators": "SELECT name, role, created_at, disabled_at FROM facilitators "
    "WHERE person_id = :me",
    "audit_log": "SELECT at, actor, action, details FROM audit_log WHERE subject = :me ORDER BY at",
}
NOT_PERSONAL: dict[str, str] = {
    "_migrations": "the schema's history",
    "settings": "the hub's settings",
    "revision": "the access list's version number",
    "skills": "the skills and their rules",
    "machines": "the machines and their stations",
    "checklist_items": "the safety checklists' texts",
    "machine_service": "when machines were out of service",
    "web_sessions": "the facilitators' logins (their own accounts, not residents')",
    "usage_periods": "sessions and hours per machine and period, counted without people",
    "usage_counts": "numbers of people per period, without who",
    "trusted_issuers": "other fablabs' public keys",
    "partners": "the partner agreements",
}


def export_person(db: Database, person_id: str) -> dict[str, Any]:
    """Everything about the person, table by table (NotFound if unknown or erased)."""
    people.get_person(db, person_id)
    return {table: fetch_all(db, query, {"me": person_id}) for table, query in PERSONAL.items()}
