"""What a station claims, checked against what the hub knows.

A station decides on its own, offline, so the hub cannot refuse what happened; but a stolen
token, a tampered station or a wrong clock can claim anything. A session that does not fit
(the person was not trained then, a level or a référent that do not match, the machine was
out of service, a duration nobody works, a clock in the future) is kept, held back and
listed for the facilitator as an anomaly: never folded into practice, credentials or exports
until they accept it.

Stations with a wrong clock are a real case (a Pi without a battery, booted without the
network): a timestamp more than `CLOCK_SLACK` ahead of the hub's, or older than `STALE`, is
an anomaly of its own; the heartbeat's clock offset shows on the machines' page.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlite_utils import Database

from common.clock import now_iso, parse_date, parse_timestamp, seconds_between
from web.db import fetch_all, fetch_one

CLOCK_SLACK = timedelta(minutes=10)
STALE = timedelta(days=180)
DEFAULT_PLAUSIBLE_HOURS = 12.0  # machines.settings "max_plausible_hours" changes it
WHY = {
    "not_trained": "no current training on this machine's skill at that time",
    "expired": "the training had expired then",
    "level": "the level sent is above the person's training",
    "unsupervised": "a Découverte session without a référent",
    "supervisor": "the référent sent may not supervise here",
    "out_of_service": "the machine was out of service then",
    "too_long": "longer than anyone works on this machine",
    "negative_duration": "ends before it starts (a clock went back)",
    "clock_ahead": "dated in the future by the station's clock",
    "stale": "dated long before it reached the hub",
    "sign_off": "a step validated at the machine by someone who may not",
}


def check_clock(at: str, received_at: str) -> list[tuple[str, str]]:
    moment, received = parse_timestamp(at), parse_timestamp(received_at)
    if moment > received + CLOCK_SLACK:
        return [("clock_ahead", f"{at} received {received_at}")]
    if moment < received - STALE:
        return [("stale", f"{at} received {received_at}")]
    return []


def check_start(
    db: Database, machine: dict[str, Any], session: dict[str, Any]
) -> list[tuple[str, str]]:
    """Anomalies of a session's start: person, level, référent, machine, at that moment."""
    found = []
    at = session["started_at"]
    service = fetch_one(
        db,
        "SELECT reason FROM machine_service WHERE machine_id = ? AND from_at <= ? "
        "AND (until_at IS NULL OR until_at > ?)",
        [machine["id"], at, at],
    )
    if service is not None:
        found.append(("out_of_service", service["reason"] or ""))
    if machine["skill_id"] is None:  # the entrance: everyone registered may come in
        return found
    supervisor = session.get("supervisor_id")
    if supervisor is not None and not may_supervise(db, supervisor, machine["skill_id"], at):
        found.append(("supervisor", supervisor))
    grant = grant_at(db, session["person_id"], machine["skill_id"], at)
    if grant is None:
        return [*found, ("not_trained", at)]
    level = session.get("level")
    if level is not None and level > grant["level"]:
        found.append(("level", f"sent {level}, trained {grant['level']}"))
    if grant["valid_until"] and parse_date(at) > parse_date(grant["valid_until"]):
        found.append(("expired", grant["valid_until"]))
    if grant["level"] == 1 and supervisor is None:
        found.append(("unsupervised", ""))
    return found


def check_end(machine: dict[str, Any], session: dict[str, Any]) -> list[tuple[str, str]]:
    """Anomalies of a whole session: how long it lasted."""
    seconds = seconds_between(session["started_at"], session["ended_at"])
    if seconds < 0:
        return [("negative_duration", f"{seconds:.0f} s")]
    settings = json.loads(machine.get("settings") or "{}")
    hours = float(settings.get("max_plausible_hours", DEFAULT_PLAUSIBLE_HOURS))
    if seconds > hours * 3600:
        return [("too_long", f"{seconds / 3600:.1f} h")]
    return []


def grant_at(db: Database, person_id: str, skill_id: int, at: str) -> dict[str, Any] | None:
    """The training the person held on the skill at `at`: recorded by then (give or take a
    clock's slack), and not revoked, suspended or replaced at that moment."""
    moment = parse_timestamp(at)
    trainings = fetch_all(
        db,
        "SELECT * FROM grants WHERE person_id = ? AND skill_id = ? ORDER BY id DESC",
        [person_id, skill_id],
    )
    for grant in trainings:
        changes = [
            (parse_timestamp(row["at"]), row["status"])
            for row in fetch_all(
                db,
                "SELECT at, status FROM grant_changes WHERE grant_id = ? ORDER BY at, id",
                [grant["id"]],
            )
        ]
        if not changes or moment < changes[0][0] - CLOCK_SLACK:
            continue  # not recorded yet at that moment
        status = changes[0][1]
        for when, what in changes[1:]:
            if when <= moment:
                status = what
        if status == "active":
            return grant
    return None


def may_supervise(db: Database, person_id: str, skill_id: int, at: str) -> bool:
    """A référent (level 3) then, or a facilitator's own badge."""
    grant = grant_at(db, person_id, skill_id, at)
    if grant is not None and grant["level"] == 3:
        return True
    return bool(fetch_one(db, "SELECT 1 AS yes FROM facilitators WHERE person_id = ?", [person_id]))


def record(
    db: Database,
    machine_id: int,
    found: list[tuple[str, str]],
    *,
    session_id: str | None = None,
    event_id: str | None = None,
    person_id: str | None = None,
) -> None:
    """Keep what was found; a session with any is held back from practice."""
    for code, detail in found:
        db.execute(
            "INSERT INTO anomalies (machine_id, session_id, event_id, person_id, code, detail, "
            "found_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [machine_id, session_id, event_id, person_id, code, detail[:200], now_iso()],
        )
    if found and session_id is not None:
        db.execute("UPDATE sessions SET held = 1 WHERE id = ? AND held = 0", [session_id])


def open_anomalies(db: Database, person_id: str | None = None) -> list[dict[str, Any]]:
    """Anomalies the facilitator has not looked at, newest first (one person's, or all)."""
    return fetch_all(
        db,
        """
        SELECT anomalies.*, machines.name AS machine, people.display_name AS person,
               sessions.started_at, sessions.ended_at
        FROM anomalies JOIN machines ON machines.id = anomalies.machine_id
        LEFT JOIN people ON people.id = anomalies.person_id
        LEFT JOIN sessions ON sessions.id = anomalies.session_id
        WHERE anomalies.resolved_at IS NULL AND (:person IS NULL OR anomalies.person_id = :person)
        ORDER BY anomalies.found_at DESC, anomalies.id DESC LIMIT 200
        """,
        {"person": person_id},
    )


def resolve(db: Database, anomaly_id: int, *, accept: bool, actor: str) -> None:
    """The facilitator's answer: the session counts after all (folded now), or stays out of
    practice, credentials and exports for good. Every anomaly of that session is answered."""
    from web.db import writing
    from web.domain import audit, sessions
    from web.domain.errors import Conflict, NotFound

    with writing(db):
        anomaly = fetch_one(db, "SELECT * FROM anomalies WHERE id = ?", [anomaly_id])
        if anomaly is None:
            raise NotFound(f"no anomaly {anomaly_id}")
        if anomaly["resolved_at"] is not None:
            raise Conflict("this anomaly has been answered already")
        where, key = (
            ("session_id = ?", anomaly["session_id"])
            if anomaly["session_id"]
            else ("id = ?", anomaly_id)
        )
        db.execute(
            f"UPDATE anomalies SET resolved_at = ?, resolved_by = ?, resolution = ? "
            f"WHERE resolved_at IS NULL AND {where}",
            [now_iso(), actor, "accepted" if accept else "left_out", key],
        )
        if anomaly["session_id"]:
            db.execute(
                "UPDATE sessions SET held = ? WHERE id = ?",
                [0 if accept else 2, anomaly["session_id"]],
            )
            if accept:
                session = fetch_one(
                    db,
                    "SELECT sessions.*, machines.skill_id, machines.kind FROM sessions "
                    "JOIN machines ON machines.id = sessions.machine_id WHERE sessions.id = ? "
                    "AND sessions.counted = 0 AND sessions.started_at IS NOT NULL "
                    "AND sessions.ended_at IS NOT NULL AND sessions.person_id IS NOT NULL",
                    [anomaly["session_id"]],
                )
                if session is not None:
                    sessions.fold(db, session)
        if accept and anomaly["code"] == "sign_off" and anomaly["event_id"]:
            from web.domain import at_machine

            at_machine.accept_sign_off(db, anomaly["event_id"], actor=actor)
        audit.record(db, actor, "anomaly.accept" if accept else "anomaly.leave_out",
                     anomaly["person_id"], code=anomaly["code"])  # fmt: skip
