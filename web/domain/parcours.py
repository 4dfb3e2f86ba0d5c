"""A resident's parcours: per skill, what they have learnt and practised, and what comes next.

Built from trainings (with their history) and the practice totals that sessions
are folded into as they arrive, so it is unchanged by the purge of raw detail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlite_utils import Database

from common.clock import add_months, parse_date
from web.db import fetch_all
from web.domain.training_state import state_of

HOURS_MILESTONES = (1, 5, 20, 50)
READY_FOR_AUTONOMY = 3  # supervised sessions before an autonomy check is worth proposing
MENTOR_HOURS = 20


@dataclass
class SkillRecord:
    slug: str
    name_fr: str
    name_en: str | None
    rome_codes: list[str]
    level: int | None
    status: str | None
    granted_at: str | None
    valid_until: date | None
    lapses_on: date | None
    history: list[dict[str, Any]]
    hours: float = 0.0
    busy_hours: float = 0.0
    sessions: int = 0
    supervised_sessions: int = 0
    jobs: int = 0
    first_use: str | None = None
    last_use: str | None = None
    milestones: list[str] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)
    state: Any = None  # TrainingState of the current training (None: none now)


def parcours(db: Database, person_id: str, today: date | None = None) -> list[SkillRecord]:
    import json

    today = today or date.today()
    grants = fetch_all(
        db,
        """
        SELECT grants.*, skills.slug, skills.name_fr, skills.name_en, skills.rome_codes,
               skills.inactivity_months
        FROM grants JOIN skills ON skills.id = grants.skill_id
        WHERE grants.person_id = ? ORDER BY grants.granted_at, grants.id
        """,
        [person_id],
    )
    practice = {
        row["skill_id"]: row
        for row in fetch_all(db, "SELECT * FROM practice WHERE person_id = ?", [person_id])
    }
    records: dict[int, SkillRecord] = {}
    for grant in grants:
        record = records.get(grant["skill_id"])
        if record is None:
            record = records[grant["skill_id"]] = SkillRecord(
                slug=grant["slug"], name_fr=grant["name_fr"], name_en=grant["name_en"],
                rome_codes=json.loads(grant["rome_codes"]), level=None, status=None,
                granted_at=None, valid_until=None, lapses_on=None, history=[],
            )  # fmt: skip
        record.history.append(
            {"level": grant["level"], "granted_at": grant["granted_at"], "status": grant["status"],
             "by": grant["granted_by"]}
        )  # fmt: skip
        if grant["status"] in ("active", "suspended"):
            record.level, record.status = grant["level"], grant["status"]
            record.granted_at = grant["granted_at"]
            record.valid_until = parse_date(grant["valid_until"]) if grant["valid_until"] else None
            practised = practice.get(grant["skill_id"], {}).get("last_at")
            last = max(
                parse_date(grant["granted_at"]), parse_date(practised) if practised else date.min
            )
            months = grant["inactivity_months"]
            record.lapses_on = add_months(last, months) if months else None
            record.state = state_of({**grant, "last_practice": last.isoformat()}, today)
    for skill_id, record in records.items():
        totals = practice.get(skill_id)
        if totals:
            record.hours = round(totals["seconds"] / 3600, 1)
            record.busy_hours = round(totals["busy_seconds"] / 3600, 1)
            record.sessions = totals["sessions"]
            record.supervised_sessions = totals["supervised_sessions"]
            record.jobs = totals["jobs"]
            record.first_use, record.last_use = totals["first_at"], totals["last_at"]
        record.milestones = _milestones(record)
        record.next_steps = _next_steps(record, today)
    return sorted(records.values(), key=lambda r: r.name_fr)


def _milestones(record: SkillRecord) -> list[str]:
    reached = []
    if record.sessions:
        reached.append("first_session")
    if record.sessions > record.supervised_sessions and (record.level or 0) >= 2:
        reached.append("autonomous")
    reached += [f"hours_{hours}" for hours in HOURS_MILESTONES if record.hours >= hours]
    if record.jobs:
        reached.append("first_job")
    return reached


def _next_steps(record: SkillRecord, today: date) -> list[str]:
    steps = []
    if record.state is not None and record.state.code in ("expired", "lapsed"):
        return ["refresher"]
    if record.status != "active":
        return steps
    soon = today + timedelta(days=30)
    if record.level == 1 and record.supervised_sessions >= READY_FOR_AUTONOMY:
        steps.append("autonomy_check")
    if (record.valid_until and record.valid_until <= soon) or (
        record.lapses_on and record.lapses_on <= soon
    ):
        steps.append("refresher")
    if record.level == 2 and record.hours >= MENTOR_HOURS:
        steps.append("could_mentor")
    return steps


def presence(db: Database, person_id: str) -> dict[str, Any]:
    """Visits to the fablab (entrance badge in and out) and the hours spent there."""
    from web.db import fetch_one

    row = fetch_one(db, "SELECT * FROM presence WHERE person_id = ?", [person_id])
    if row is None:
        return {"visits": 0, "hours": 0.0, "first_at": None, "last_at": None}
    return {"visits": row["visits"], "hours": round(row["seconds"] / 3600, 1),
            "first_at": row["first_at"], "last_at": row["last_at"]}  # fmt: skip
