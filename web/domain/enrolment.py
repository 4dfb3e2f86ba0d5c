""" "Tap the badge now": the next unknown card tapped at any station, within 30 seconds,
becomes the chosen person's badge."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlite_utils import Database

from common.clock import now_iso, parse_timestamp, to_iso
from common.uid import InvalidUid, normalise_uid
from web.db import fetch_one, writing
from web.domain import audit, badges, people
from web.domain.errors import HubError
from web.domain.people import first_name

WINDOW_SECONDS = 30


def start(db: Database, person_id: str, *, actor: str, seconds: int = WINDOW_SECONDS) -> int:
    """Wait for a tap for this person; an earlier wait that nobody answered is dropped."""
    with writing(db):
        people.get_person(db, person_id)
        now = now_iso()
        db.execute("UPDATE enrolments SET done_at = ? WHERE done_at IS NULL", [now])
        until = to_iso(parse_timestamp(now) + timedelta(seconds=seconds))
        enrolment_id = (
            db["enrolments"].insert({"person_id": person_id, "until": until, "by": actor}).last_pk
        )
        audit.record(db, actor, "badge.enrol.start", person_id)
    return enrolment_id


def status(db: Database, enrolment_id: int) -> dict[str, Any]:
    """{"state": "waiting" | "done" | "expired", "uid": ...}"""
    row = fetch_one(db, "SELECT * FROM enrolments WHERE id = ?", [enrolment_id])
    if row is None or (row["done_at"] and not row["uid"]):
        return {"state": "expired", "uid": None}
    if row["uid"]:
        return {"state": "done", "uid": row["uid"]}
    if row["until"] < now_iso():
        return {"state": "expired", "uid": None}
    return {"state": "waiting", "uid": None}


def apply_unknown_badge(
    db: Database, machine: dict[str, Any], event: dict[str, Any]
) -> dict[str, str] | None:
    """Called for each unknown_badge event: bind the card if someone is waiting for one, and
    tell the station whose it now is (its screen greets the card instead of refusing it)."""
    waiting = fetch_one(
        db,
        "SELECT * FROM enrolments WHERE done_at IS NULL AND until >= ? ORDER BY id DESC LIMIT 1",
        [event["at"]],
    )
    if waiting is None:
        return
    try:
        uid = normalise_uid(event["uid"])
        badges.assign_badge(db, waiting["person_id"], uid, actor=f"enrolment:{waiting['by']}")
    except (InvalidUid, HubError):
        return  # someone else's card, or not a card: keep waiting
    db.execute(
        "UPDATE enrolments SET uid = ?, done_at = ? WHERE id = ?", [uid, now_iso(), waiting["id"]]
    )
    person = fetch_one(db, "SELECT display_name FROM people WHERE id = ?", [waiting["person_id"]])
    return {"enrolled": first_name(person["display_name"]) if person else ""}
