"""Sessions, built at the hub from the stations' events in whatever order they arrive.

A session row is keyed by the station's session UUID. `session_started` and
`session_ended` each fill their half; when both halves are there the session
is folded, once, into the person's practice totals for the machine's skill.
"""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from common.clock import seconds_between
from web.db import fetch_all, fetch_one
from web.domain import claims, people, stats
from web.domain.errors import Conflict, NotFound

TERMINAL_JOB_STATES = ("done", "failed", "cancelled")


class Rejected(Conflict):
    """An event that is well-formed but cannot be applied; the reason goes back to the station.

    Appliers raise it before they write anything: ingestion then only has to
    remove the event's own row, with no savepoint per event.
    """


def _require_person(db: Database, person_id: str | None, role: str = "person") -> None:
    if person_id is not None and not people.exists(db, person_id):
        raise Rejected(f"unknown {role} {person_id}")


def _session(db: Database, machine_id: int, session_id: str) -> dict[str, Any] | None:
    row = fetch_one(db, "SELECT * FROM sessions WHERE id = ?", [session_id])
    if row is not None and row["machine_id"] != machine_id:
        raise Rejected(f"session {session_id} belongs to another machine")
    return row


def _require_half_missing(
    db: Database, machine: dict[str, Any], session_id: str, column: str, verb: str
) -> None:
    """Each half of a session arrives once: a second start or end (new event id) is refused."""
    existing = _session(db, machine["id"], session_id)
    if existing is not None and existing[column] is not None:
        raise Rejected(f"session {session_id} has already {verb}")


def apply_started(db: Database, machine: dict[str, Any], event: dict[str, Any]) -> None:
    _require_person(db, event["person"])
    _require_person(db, event.get("supervisor"), "supervisor")
    _require_half_missing(db, machine, event["session"], "started_at", "started")
    db.execute(
        """
        INSERT INTO sessions (id, machine_id, person_id, supervisor_id, level, started_at,
                              received_at, checklist)
        VALUES (:session, :machine, :person, :supervisor, :level, :at, :received, :checklist)
        ON CONFLICT (id) DO UPDATE SET
            person_id = excluded.person_id,
            supervisor_id = excluded.supervisor_id,
            level = excluded.level,
            started_at = excluded.started_at,
            checklist = excluded.checklist
        """,
        {
            "session": event["session"],
            "machine": machine["id"],
            "person": event["person"],
            "supervisor": event.get("supervisor"),
            "level": event.get("level"),
            "at": event["at"],
            "received": event["received_at"],
            "checklist": json.dumps(event["checklist"], ensure_ascii=False)
            if event.get("checklist")
            else None,
        },
    )
    claimed = {"person_id": event["person"], "supervisor_id": event.get("supervisor"),
               "level": event.get("level"), "started_at": event["at"]}  # fmt: skip
    found = claims.check_clock(event["at"], event["received_at"])
    found += claims.check_start(db, machine, claimed)
    claims.record(db, machine["id"], found, session_id=event["session"], event_id=event["id"],
                  person_id=event["person"])  # fmt: skip
    _fold_if_complete(db, event["session"], machine)


def apply_ended(db: Database, machine: dict[str, Any], event: dict[str, Any]) -> None:
    _require_person(db, event.get("person"))
    _require_half_missing(db, machine, event["session"], "ended_at", "ended")
    db.execute(
        """
        INSERT INTO sessions (id, machine_id, person_id, ended_at, end_reason, busy_seconds,
                              received_at)
        VALUES (:session, :machine, :person, :at, :reason, :busy, :received)
        ON CONFLICT (id) DO UPDATE SET
            person_id = coalesce(sessions.person_id, excluded.person_id),
            ended_at = excluded.ended_at,
            end_reason = excluded.end_reason,
            busy_seconds = excluded.busy_seconds
        """,
        {
            "session": event["session"],
            "machine": machine["id"],
            "person": event.get("person"),
            "at": event["at"],
            "reason": event["reason"],
            "busy": event.get("busy_seconds"),
            "received": event["received_at"],
        },
    )
    found = claims.check_clock(event["at"], event["received_at"])
    claims.record(db, machine["id"], found, session_id=event["session"], event_id=event["id"],
                  person_id=event.get("person"))  # fmt: skip
    _fold_if_complete(db, event["session"], machine)


def apply_job(db: Database, machine: dict[str, Any], event: dict[str, Any]) -> None:
    """Keep the outcome of a session's print job on the session (progress is only logged)."""
    if "session" not in event or event["state"] not in TERMINAL_JOB_STATES:
        return
    existing = _session(db, machine["id"], event["session"])
    job = {
        key: event[key]
        for key in ("state", "file", "print_time_seconds", "filament_mm")
        if key in event
    }
    db.execute(
        """
        INSERT INTO sessions (id, machine_id, job) VALUES (:session, :machine, :job)
        ON CONFLICT (id) DO UPDATE SET job = excluded.job
        """,
        {"session": event["session"], "machine": machine["id"], "job": json.dumps(job)},
    )
    if event["state"] == "done" and existing is not None and existing["counted"]:
        _count_job(db, existing["person_id"], machine["skill_id"])


def _count_job(db: Database, person_id: str | None, skill_id: int | None) -> None:
    if person_id is not None and skill_id is not None:
        db.execute(
            "UPDATE practice SET jobs = jobs + 1 WHERE person_id = ? AND skill_id = ?",
            [person_id, skill_id],
        )


def _fold_if_complete(db: Database, session_id: str, machine: dict[str, Any]) -> None:
    """Fold a whole session into the person's totals, once; checked first, and held back
    (not folded) while an anomaly waits for the facilitator."""
    session = fetch_one(
        db,
        """
            SELECT sessions.*, machines.skill_id, machines.kind
            FROM sessions JOIN machines ON machines.id = sessions.machine_id
            WHERE sessions.id = ? AND sessions.counted = 0 AND sessions.person_id IS NOT NULL
              AND sessions.started_at IS NOT NULL AND sessions.ended_at IS NOT NULL
            """,
        [session_id],
    )
    if session is None:
        return
    found = claims.check_end(machine, session)  # whole now: does its length make sense?
    claims.record(db, machine["id"], found, session_id=session_id,
                  person_id=session["person_id"])  # fmt: skip
    if session["held"] == 0 and not found:
        fold(db, session)


def fold(db: Database, session: dict[str, Any]) -> None:
    """Add a whole session to the person's practice (or presence) totals, once."""
    session_id = session["id"]
    if session["skill_id"] is not None:
        db.execute(
            """
            INSERT INTO practice (person_id, skill_id, sessions, supervised_sessions,
                                  seconds, busy_seconds, first_at, last_at)
            VALUES (:person, :skill, 1, :supervised, :seconds, :busy, :started, :ended)
            ON CONFLICT (person_id, skill_id) DO UPDATE SET
                sessions = sessions + 1,
                supervised_sessions = supervised_sessions + excluded.supervised_sessions,
                seconds = seconds + excluded.seconds,
                busy_seconds = busy_seconds + excluded.busy_seconds,
                first_at = min(coalesce(first_at, excluded.first_at), excluded.first_at),
                last_at = max(coalesce(last_at, excluded.last_at), excluded.last_at)
            """,
            {
                "person": session["person_id"],
                "skill": session["skill_id"],
                "supervised": int(session["supervisor_id"] is not None),
                # A station's clock may step backwards; a session never lasts less than nothing.
                "seconds": max(0.0, seconds_between(session["started_at"], session["ended_at"])),
                "busy": session["busy_seconds"] or 0,
                "started": session["started_at"],
                "ended": session["ended_at"],
            },
        )
        if session["job"] and json.loads(session["job"]).get("state") == "done":
            _count_job(db, session["person_id"], session["skill_id"])
    else:  # the entrance: presence at the fablab
        db.execute(
            """
            INSERT INTO presence (person_id, visits, seconds, first_at, last_at)
            VALUES (:person, 1, :seconds, :started, :ended)
            ON CONFLICT (person_id) DO UPDATE SET
                visits = visits + 1,
                seconds = seconds + excluded.seconds,
                first_at = min(coalesce(first_at, excluded.first_at), excluded.first_at),
                last_at = max(coalesce(last_at, excluded.last_at), excluded.last_at)
            """,
            {
                "person": session["person_id"],
                "seconds": max(0.0, seconds_between(session["started_at"], session["ended_at"])),
                "started": session["started_at"],
                "ended": session["ended_at"],
            },
        )
    stats.record(db, session)
    db.execute("UPDATE sessions SET counted = 1 WHERE id = ?", [session_id])


def list_sessions(db: Database, since: str | None = None) -> list[dict[str, Any]]:
    """Sessions started (or, when the start is not known yet, ended) at or after `since`."""
    return fetch_all(
        db,
        """
            SELECT sessions.id, machines.name AS machine, sessions.person_id AS person,
                   sessions.supervisor_id AS supervisor, sessions.level,
                   sessions.started_at, sessions.ended_at, sessions.end_reason,
                   sessions.busy_seconds, sessions.job
            FROM sessions JOIN machines ON machines.id = sessions.machine_id
            WHERE :since IS NULL OR coalesce(sessions.started_at, sessions.ended_at) >= :since
            ORDER BY coalesce(sessions.started_at, sessions.ended_at), sessions.id
            """,
        {"since": since},
    )


def get_session(db: Database, session_id: str) -> dict[str, Any]:
    row = fetch_one(db, "SELECT * FROM sessions WHERE id = ?", [session_id])
    if row is None:
        raise NotFound(f"no session {session_id}")
    return row
