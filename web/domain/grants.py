"""Trainings (grants): person × skill × level, by whom, when, until when.

A person holds at most one current grant per skill (active or suspended). A new
training supersedes the current one; nothing is ever deleted, and every change
of status is written to `grant_changes` as well.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlite_utils import Database

from common.clock import YEARS, add_months, now_iso, today
from web.db import fetch_all, fetch_one, writing
from web.domain import audit, people
from web.domain.errors import Conflict, Invalid, NotFound
from web.domain.skills import get_skill

LEVELS = {1: "Découverte", 2: "Autonome", 3: "Référent"}
CURRENT = ("active", "suspended")


def grant(
    db: Database,
    person_id: str,
    skill: str,
    *,
    level: int,
    valid_months: int | None = None,
    by: str | None = None,
    on: date | None = None,
    actor: str,
    valid_until: date | None = None,
    recognised_from: dict[str, Any] | None = None,
) -> int:
    """Record a training; return the new grant's id.

    Validity: `valid_until`, else `valid_months` if given, else the skill's validity (None:
    never expires). The day of training (`on`, default today) counts as practice.
    `recognised_from`: where a training done in another fablab comes from (web.domain.
    recognition), kept with it.
    """
    if level not in LEVELS:
        raise Invalid("level must be 1 (Découverte), 2 (Autonome) or 3 (Référent)")
    if valid_months is not None and valid_months <= 0:
        raise Invalid("validity must be a positive number of months")
    day = on or today()
    if day > today():
        raise Invalid("a training cannot be recorded in the future")
    if day.year < YEARS.start:
        raise Invalid(f"a training is dated from {YEARS.start} on")
    with writing(db):
        people.get_person(db, person_id)
        skill_row = get_skill(db, skill)
        latest = current_grant(db, person_id, skill_row["id"])
        if latest is not None and latest["granted_at"][:10] > day.isoformat():
            raise Conflict("a more recent training of this skill is recorded: an older one "
                           "cannot replace it")  # fmt: skip
        months = valid_months or skill_row["validity_months"]
        until = valid_until or (add_months(day, months) if months else None)
        now = now_iso()
        previous = current_grant(db, person_id, skill_row["id"])
        if previous is not None:
            _change_status(
                db, previous["id"], "superseded", "new training recorded", by=actor, at=now
            )
            from web.domain import status_list

            status_list.revoke(db, "superseded", grant_id=previous["id"])
        granted_at = now if on is None else f"{day.isoformat()}T12:00:00.000Z"
        grant_id = (
            db["grants"]
            .insert(
                {
                    "person_id": person_id,
                    "skill_id": skill_row["id"],
                    "level": level,
                    "granted_by": by,
                    "granted_at": granted_at,
                    "valid_until": until.isoformat() if until else None,
                    "status": "active",
                    "recognised_from": json.dumps(recognised_from) if recognised_from else None,
                    "status_changed_at": now,
                }
            )
            .last_pk
        )
        db["grant_changes"].insert(
            {"grant_id": grant_id, "at": now, "status": "active", "reason": None, "by": actor}
        )
        audit.record(db, actor, "grant.add", person_id, skill=skill, level=level, by=by)
    return grant_id


def revoke(
    db: Database,
    person_id: str,
    skill: str,
    *,
    reason: str | None = None,
    stop_now: bool = False,
    actor: str,
) -> None:
    """End a training. `stop_now`: a session of theirs running now ends after a short
    countdown at the machine; otherwise it runs to its end."""
    _end_or_pause(db, person_id, skill, "revoked", reason, actor, stop_now)


def suspend(
    db: Database, person_id: str, skill: str, *, reason: str, stop_now: bool = False, actor: str
) -> None:
    _end_or_pause(db, person_id, skill, "suspended", reason, actor, stop_now)


def reinstate(db: Database, person_id: str, skill: str, *, actor: str) -> None:
    with writing(db):
        current = current_grant(db, person_id, get_skill(db, skill)["id"])
        if current is None or current["status"] != "suspended":
            raise Conflict("there is no suspended training to reinstate")
        _change_status(db, current["id"], "active", None, by=actor, at=now_iso())
        audit.record(db, actor, "grant.reinstate", person_id, skill=skill)


def _end_or_pause(
    db: Database,
    person_id: str,
    skill: str,
    status: str,
    reason: str | None,
    actor: str,
    stop_now: bool = False,
) -> None:
    with writing(db):
        people.get_person(db, person_id)
        current = current_grant(db, person_id, get_skill(db, skill)["id"])
        if current is None:
            raise NotFound(f"person {person_id} has no current training on {skill}")
        _change_status(db, current["id"], status, reason, by=actor, at=now_iso(),
                       stop_now=stop_now)  # fmt: skip
        from web.domain import status_list

        status_list.revoke(db, status, grant_id=current["id"])  # its credentials, for good
        audit.record(db, actor, f"grant.{status}", person_id, skill=skill, reason=reason,
                     stop_now=stop_now)  # fmt: skip


def _change_status(
    db: Database,
    grant_id: int,
    status: str,
    reason: str | None,
    *,
    by: str,
    at: str,
    stop_now: bool = False,
) -> None:
    db["grants"].update(
        grant_id, {"status": status, "status_reason": reason, "status_changed_at": at}
    )
    db["grant_changes"].insert(
        {"grant_id": grant_id, "at": at, "status": status, "reason": reason, "by": by,
         "stop_now": int(stop_now)}
    )  # fmt: skip


def current_grant(db: Database, person_id: str, skill_id: int) -> dict[str, Any] | None:
    return fetch_one(
        db,
        "SELECT * FROM grants WHERE person_id = ? AND skill_id = ? AND status IN (?, ?)",
        [person_id, skill_id, *CURRENT],
    )


def history(db: Database, person_id: str, today: date | None = None) -> list[dict[str, Any]]:
    """Every grant the person ever had, newest first, with the skill's slug and each one's
    state today (web.domain.training_state)."""
    from web.domain.training_state import LAST_PRACTICE, PRACTICE_JOIN, with_states

    rows = fetch_all(
        db,
        f"""
            SELECT grants.*, skills.slug AS skill, skills.name_fr AS skill_fr,
                   skills.name_en AS skill_en, skills.inactivity_months, {LAST_PRACTICE}
            FROM grants JOIN skills ON skills.id = grants.skill_id
            {PRACTICE_JOIN}
            WHERE grants.person_id = ?
            ORDER BY grants.granted_at DESC, grants.id DESC
            """,
        [person_id],
    )
    return with_states(rows, today or date.today())
