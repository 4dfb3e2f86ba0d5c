"""What the facilitator's Today page and the wall screen show, as plain queries."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from common.clock import add_months, parse_timestamp, to_iso
from web.db import fetch_all
from web.domain.machines import CLOCK_TOLERANCE_SECONDS

PARIS = ZoneInfo("Europe/Paris")
OFFLINE_AFTER = timedelta(seconds=90)  # three missed heartbeats


def machine_states(db: Database, now: datetime | None = None) -> list[dict[str, Any]]:
    """Each machine: free, in use, waiting for a supervisor, fault, offline, out of service."""
    now = now or datetime.now(UTC)
    rows = fetch_all(
        db,
        """
        SELECT machines.id, machines.name, machines.kind, machines.out_of_service,
               machines.out_of_service_reason, machines.last_heartbeat_at,
               machines.last_heartbeat, skills.name_fr AS skill_fr, skills.name_en AS skill_en,
               (SELECT people.display_name
                FROM sessions JOIN people ON people.id = sessions.person_id
                WHERE sessions.machine_id = machines.id AND sessions.ended_at IS NULL
                  AND sessions.started_at IS NOT NULL
                ORDER BY sessions.started_at DESC LIMIT 1) AS user
        FROM machines LEFT JOIN skills ON skills.id = machines.skill_id
        ORDER BY machines.name
        """,
    )
    for row in rows:
        beat = json.loads(row["last_heartbeat"]) if row["last_heartbeat"] else {}
        seen = parse_timestamp(row["last_heartbeat_at"]) if row["last_heartbeat_at"] else None
        row["outbox_depth"] = beat.get("outbox_depth")
        row["version"] = beat.get("version")
        offset = beat.get("clock_offset_seconds") or 0
        row["clock_off_by"] = offset if abs(offset) > CLOCK_TOLERANCE_SECONDS else None
        row["seen"] = seen
        if row["out_of_service"]:
            row["status"] = "out_of_service"
        elif seen is None or now - seen > OFFLINE_AFTER:
            row["status"] = "offline"
        else:
            row["status"] = {
                "in_use": "in_use",
                "ending": "in_use",
                "awaiting_supervisor": "awaiting_supervisor",
                "fault": "fault",
                "out_of_service": "out_of_service",
            }.get(beat.get("state"), "free")
    return rows


def paris_day_bounds(day: date) -> tuple[str, str]:
    start = datetime(day.year, day.month, day.day, tzinfo=PARIS)
    return to_iso(start), to_iso(start + timedelta(days=1))


def sessions_on(db: Database, day: date) -> list[dict[str, Any]]:
    start, end = paris_day_bounds(day)
    return fetch_all(
        db,
        """
        SELECT sessions.*, machines.name AS machine, people.display_name AS person,
               supervisors.display_name AS supervisor
        FROM sessions
        JOIN machines ON machines.id = sessions.machine_id
        LEFT JOIN people ON people.id = sessions.person_id
        LEFT JOIN people AS supervisors ON supervisors.id = sessions.supervisor_id
        WHERE sessions.started_at >= ? AND sessions.started_at < ?
        ORDER BY sessions.started_at DESC
        """,
        [start, end],
    )


def trainings_due(db: Database, today: date, days: int = 30) -> list[dict[str, Any]]:
    """Active trainings that expire, or lapse for lack of practice, within `days` days."""
    horizon = today + timedelta(days=days)
    rows = fetch_all(
        db,
        """
        SELECT grants.id, grants.person_id, people.display_name AS person, skills.slug,
               skills.name_fr, skills.name_en, grants.level, grants.valid_until,
               skills.inactivity_months,
               max(date(grants.granted_at), coalesce(date(practice.last_at), '')) AS last_practice
        FROM grants
        JOIN people ON people.id = grants.person_id AND people.erased_at IS NULL
        JOIN skills ON skills.id = grants.skill_id
        LEFT JOIN practice ON practice.person_id = grants.person_id
                          AND practice.skill_id = grants.skill_id
        WHERE grants.status = 'active'
        """,
    )
    due = []
    for row in rows:
        dates = []
        if row["valid_until"]:
            dates.append(("expires", date.fromisoformat(row["valid_until"])))
        if row["inactivity_months"] and row["last_practice"]:
            lapse = add_months(date.fromisoformat(row["last_practice"]), row["inactivity_months"])
            dates.append(("lapses", lapse))
        soonest = min(dates, key=lambda item: item[1], default=None)
        if soonest and today <= soonest[1] <= horizon:
            due.append({**row, "what": soonest[0], "on": soonest[1]})
    return sorted(due, key=lambda row: row["on"])


def unknown_badges(db: Database, since: datetime) -> list[dict[str, Any]]:
    """Cards tapped recently that nobody owns now, newest first, one line per card."""
    return fetch_all(
        db,
        """
        SELECT json_extract(events.data, '$.uid') AS uid, max(events.at) AS at,
               machines.name AS machine
        FROM events JOIN machines ON machines.id = events.machine_id
        WHERE events.type = 'unknown_badge' AND events.at >= ?
          AND NOT EXISTS (SELECT 1 FROM badges WHERE badges.revoked_at IS NULL
                          AND badges.uid = json_extract(events.data, '$.uid'))
        GROUP BY uid ORDER BY at DESC LIMIT 20
        """,
        [to_iso(since)],
    )
