"""Statistics for the history pages: sessions, hours, people and new trainings per week and
per month, by machine or skill, read from totals kept as each session is counted (so a page
reads a few hundred rows, whatever the number of sessions, and totals outlive the purge of
raw sessions). Charts are drawn on the server (pygal), in black and white, as SVG.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from common.clock import parse_timestamp, seconds_between
from web.db import fetch_all

PARIS = ZoneInfo("Europe/Paris")
UNITS = ("week", "month")


def local_day(stamp: str) -> date:
    return parse_timestamp(stamp).astimezone(PARIS).date()


def week_of(day: date) -> str:
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


def month_of(day: date) -> str:
    return f"{day.year}-{day.month:02d}"


def record(db: Database, session: dict[str, Any]) -> None:
    """Add a counted session to the totals (called once per session, by sessions.fold)."""
    day = local_day(session["started_at"])
    seconds = max(0.0, seconds_between(session["started_at"], session["ended_at"]))
    for period in (week_of(day), month_of(day)):
        db.execute(
            """
            INSERT INTO usage_periods (period, machine_id, sessions, seconds, busy_seconds)
            VALUES (?, ?, 1, ?, ?)
            ON CONFLICT (period, machine_id) DO UPDATE SET
                sessions = sessions + 1,
                seconds = seconds + excluded.seconds,
                busy_seconds = busy_seconds + excluded.busy_seconds
            """,
            [period, session["machine_id"], seconds, session["busy_seconds"] or 0],
        )
    for row in _people_rows(day, session["machine_id"], session["skill_id"],
                            session["person_id"], session.get("kind")):  # fmt: skip
        new = db.execute(
            "INSERT OR IGNORE INTO usage_people (period, scope, person_id) VALUES (?, ?, ?)", row
        ).rowcount
        if new:  # someone not yet counted in this period and scope
            db.execute(
                "INSERT INTO usage_counts (scope, period, people) VALUES (?, ?, 1) "
                "ON CONFLICT (scope, period) DO UPDATE SET people = people + 1",
                [row[1], row[0]],
            )


def _people_rows(day: date, machine_id: int, skill_id: int | None, person_id: str,
                 kind: str | None) -> list[tuple[str, str, str]]:  # fmt: skip
    """Who used what in that day's week and month: the machine, its skill, and every machine
    together (the entrance, a visit rather than a use, only as itself)."""
    scopes = [f"m:{machine_id}"]
    if skill_id is not None and kind != "checkin":
        scopes += ["*", f"s:{skill_id}"]
    return [(period, scope, person_id) for period in (week_of(day), month_of(day))
            for scope in scopes]  # fmt: skip


def rebuild(db: Database) -> None:
    """Fill the totals again from the sessions counted so far, in one pass (the migration
    that made them; a bench's made-up year)."""
    periods: dict[tuple[str, int], list[float]] = {}
    people: set[tuple[str, str, str]] = set()
    for session in db.query(
        "SELECT sessions.machine_id, sessions.person_id, sessions.started_at, sessions.ended_at,"
        " sessions.busy_seconds, machines.skill_id, machines.kind FROM sessions"
        " JOIN machines ON machines.id = sessions.machine_id WHERE sessions.counted = 1"
        " AND sessions.person_id IS NOT NULL AND sessions.started_at IS NOT NULL"
        " AND sessions.ended_at IS NOT NULL"
    ):
        day = local_day(session["started_at"])
        seconds = max(0.0, seconds_between(session["started_at"], session["ended_at"]))
        for period in (week_of(day), month_of(day)):
            total = periods.setdefault((period, session["machine_id"]), [0, 0.0, 0.0])
            total[0] += 1
            total[1] += seconds
            total[2] += session["busy_seconds"] or 0
        people.update(_people_rows(day, session["machine_id"], session["skill_id"],
                                   session["person_id"], session["kind"]))  # fmt: skip
    for table in ("usage_periods", "usage_people", "usage_counts"):
        db.execute(f"DELETE FROM {table}")
    db.conn.executemany(
        "INSERT INTO usage_periods (period, machine_id, sessions, seconds, busy_seconds) "
        "VALUES (?, ?, ?, ?, ?)",
        [(period, machine, *total) for (period, machine), total in periods.items()],
    )
    db.conn.executemany(
        "INSERT INTO usage_people (period, scope, person_id) VALUES (?, ?, ?)", people
    )
    counts: dict[tuple[str, str], int] = {}
    for period, scope, _ in people:
        counts[scope, period] = counts.get((scope, period), 0) + 1
    db.conn.executemany(
        "INSERT INTO usage_counts (scope, period, people) VALUES (?, ?, ?)",
        [(scope, period, n) for (scope, period), n in counts.items()],
    )


@dataclass(frozen=True)
class Period:
    unit: str  # "week" or "month"
    label: str  # 2026-W48, 2026-11
    start: date
    end: date  # the day after

    @classmethod
    def containing(cls, unit: str, day: date) -> Period:
        if unit == "week":
            start = day - timedelta(days=day.weekday())
            return cls(unit, week_of(start), start, start + timedelta(days=7))
        start = day.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1)
        return cls(unit, month_of(start), start, end)

    def previous(self) -> Period:
        return Period.containing(self.unit, self.start - timedelta(days=1))

    def following(self) -> Period:
        return Period.containing(self.unit, self.end)


def recent(unit: str, count: int, today: date) -> list[Period]:
    """The `count` periods up to today's, oldest first."""
    periods = [Period.containing(unit, today)]
    while len(periods) < count:
        periods.append(periods[-1].previous())
    return periods[::-1]


def totals(db: Database, periods: list[Period], scope: str = "*",
           machines: list[int] | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """Per period: sessions, hours, busy hours, people (each counted once per period) and new
    trainings. `scope`: "*" (every machine but the entrance), "m:ID" or "s:ID", with
    `machines` its machines' ids (None: all)."""
    if not periods:
        return []
    first, last = periods[0], periods[-1]
    where, params = _machines(machines)
    labels = [period.label for period in periods]
    marks = ", ".join("?" * len(labels))
    days = fetch_all(
        db,
        f"SELECT period, sum(sessions) AS sessions, sum(seconds) AS seconds, "
        f"sum(busy_seconds) AS busy FROM usage_periods WHERE period IN ({marks}) {where} "
        f"GROUP BY period",
        [*labels, *params],
    )
    people = dict(db.execute(
        f"SELECT period, people FROM usage_counts WHERE scope = ? "
        f"AND period IN ({', '.join('?' * len(labels))})",
        [scope, *labels],
    ).fetchall())  # fmt: skip
    skill_where = "" if machines is None else (
        f"AND grants.skill_id IN (SELECT skill_id FROM machines WHERE id IN "
        f"({', '.join('?' * len(machines))}))")  # fmt: skip
    trained = fetch_all(
        db,
        f"SELECT substr(granted_at, 1, 10) AS day, count(*) AS n FROM grants "
        f"WHERE granted_at >= ? AND granted_at < ? {skill_where} GROUP BY day",
        [first.start.isoformat(), last.end.isoformat(), *(machines or [])],
    )
    rows = {period.label: {"period": period, "sessions": 0, "seconds": 0.0, "busy": 0.0,
                           "people": people.get(period.label, 0), "trainings": 0}
            for period in periods}  # fmt: skip
    find = _finder(periods)
    for row in days:
        total = rows[row["period"]]
        total["sessions"] += row["sessions"]
        total["seconds"] += row["seconds"]
        total["busy"] += row["busy"]
    for row in trained:
        label = find(date.fromisoformat(row["day"]))
        if label in rows:
            rows[label]["trainings"] += row["n"]
    return [rows[label] for label in labels]


def _machines(machines: list[int] | None) -> tuple[str, list[int]]:
    if machines is None:
        return "", []
    return f"AND machine_id IN ({', '.join('?' * len(machines))})", list(machines)


def _finder(periods: list[Period]):  # type: ignore[no-untyped-def]
    unit = periods[0].unit
    return (lambda day: week_of(day)) if unit == "week" else (lambda day: month_of(day))


def sessions_between(db: Database, start: date, end: date, *, machines: list[int] | None = None,
                     person: str | None = None, limit: int = 100, offset: int = 0
                     ) -> tuple[list[dict[str, Any]], int]:  # fmt: skip
    """The sessions started in [start, end) (local days), newest first, a page at a time,
    and how many there are in all."""
    bounds = [_utc(start), _utc(end)]
    where = "sessions.started_at >= ? AND sessions.started_at < ?"
    params: list[Any] = list(bounds)
    if machines is not None:
        where += f" AND sessions.machine_id IN ({', '.join('?' * len(machines))})"
        params += machines
    if person:
        where += " AND sessions.person_id = ?"
        params.append(person)
    count = db.execute(f"SELECT count(*) FROM sessions WHERE {where}", params).fetchone()[0]
    rows = fetch_all(
        db,
        f"""
        SELECT sessions.*, coalesce(machines.display_name, machines.name) AS machine,
               people.display_name AS person, supervisors.display_name AS supervisor
        FROM sessions
        JOIN machines ON machines.id = sessions.machine_id
        LEFT JOIN people ON people.id = sessions.person_id
        LEFT JOIN people AS supervisors ON supervisors.id = sessions.supervisor_id
        WHERE {where} ORDER BY sessions.started_at DESC LIMIT ? OFFSET ?
        """,
        [*params, limit, offset],
    )
    return rows, count


def _utc(day: date) -> str:
    from common.clock import to_iso

    return to_iso(datetime(day.year, day.month, day.day, tzinfo=PARIS))
