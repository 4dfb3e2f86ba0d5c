"""What the facilitator's Today page and the wall screen show, as plain queries."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from common.clock import parse_timestamp, to_iso
from web.db import fetch_all
from web.domain.machines import CLOCK_TOLERANCE_SECONDS
from web.domain.training_state import LAST_PRACTICE, PRACTICE_JOIN, SOON_DAYS, with_states

PARIS = ZoneInfo("Europe/Paris")
OFFLINE_AFTER = timedelta(seconds=90)  # three missed heartbeats


def machine_states(db: Database, now: datetime | None = None) -> list[dict[str, Any]]:
    """Each machine: free, in use, waiting for a supervisor, fault, offline, out of service."""
    now = now or datetime.now(UTC)
    rows = fetch_all(
        db,
        """
        SELECT machines.id, machines.name, machines.display_name, machines.kind,
               machines.out_of_service, machines.out_of_service_reason,
               machines.last_heartbeat_at, machines.last_heartbeat,
               skills.name_fr AS skill_fr, skills.name_en AS skill_en,
               people.display_name AS user, current.started_at AS since
        FROM machines LEFT JOIN skills ON skills.id = machines.skill_id
        LEFT JOIN sessions AS current ON current.id = (
            SELECT sessions.id FROM sessions
            WHERE sessions.machine_id = machines.id AND sessions.ended_at IS NULL
              AND sessions.started_at IS NOT NULL
            ORDER BY sessions.started_at DESC LIMIT 1)
        LEFT JOIN people ON people.id = current.person_id
        ORDER BY machines.name
        """,
    )
    for row in rows:
        row["shown"] = row["display_name"] or row["name"]
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
                "checklist": "in_use",
                "ending": "in_use",
                "awaiting_supervisor": "awaiting_supervisor",
                "fault": "fault",
                "out_of_service": "out_of_service",
            }.get(beat.get("state"), "free")
    return rows


def paris_day_bounds(day: date) -> tuple[str, str]:
    start = datetime(day.year, day.month, day.day, tzinfo=PARIS)
    return to_iso(start), to_iso(start + timedelta(days=1))


def sessions_on(db: Database, day: date, limit: int = 30) -> list[dict[str, Any]]:
    """The day's latest sessions (the history page has them all)."""
    from web.domain.stats import sessions_between

    return sessions_between(db, day, day + timedelta(days=1), limit=limit)[0]


def trainings_due(db: Database, today: date, days: int = SOON_DAYS) -> list[dict[str, Any]]:
    """Trainings to review: those that expired or lapsed in the last `days` days, and those
    that will within the next `days`, soonest first. SQL keeps the few near those dates
    (SQLite's months are a little off at the end of a month: a margin of a week); the
    station's rule (training_state) decides."""
    since, until = today - timedelta(days=days + 7), today + timedelta(days=days + 7)
    rows = with_states(fetch_all(
        db,
        f"""
        SELECT * FROM (
            SELECT grants.*, people.display_name AS person, skills.slug, skills.name_fr,
                   skills.name_en, skills.inactivity_months, {LAST_PRACTICE}
            FROM grants
            JOIN people ON people.id = grants.person_id AND people.erased_at IS NULL
            JOIN skills ON skills.id = grants.skill_id
            {PRACTICE_JOIN}
            WHERE grants.status = 'active'
        )
        WHERE valid_until BETWEEN :since AND :until
           OR date(last_practice, '+' || inactivity_months || ' months')
              BETWEEN :since AND :until
        """,
        {"since": since.isoformat(), "until": until.isoformat()},
    ), today)  # fmt: skip
    start = today - timedelta(days=days)
    due = [row for row in rows if row["state"].code in ("expired", "lapsed", "expires_soon")
           and row["state"].on is not None and row["state"].on >= start]  # fmt: skip
    return sorted(due, key=lambda row: row["state"].on)


def refused_today(db: Database, day: date) -> list[dict[str, Any]]:
    """Who was refused at a machine that day, and why: the people asking for a training.
    One line per person, machine and reason (the latest), newest first."""
    start, end = paris_day_bounds(day)
    return fetch_all(
        db,
        """
        SELECT people.id AS person_id, people.display_name AS person,
               coalesce(machines.display_name, machines.name) AS machine,
               json_extract(events.data, '$.reason') AS reason, max(events.at) AS at,
               count(*) AS taps
        FROM events
        JOIN machines ON machines.id = events.machine_id
        JOIN people ON people.id = events.person_id AND people.erased_at IS NULL
        WHERE events.type = 'denied' AND events.at >= ? AND events.at < ?
        GROUP BY people.id, machines.id, reason
        ORDER BY at DESC LIMIT 50
        """,
        [start, end],
    )


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
