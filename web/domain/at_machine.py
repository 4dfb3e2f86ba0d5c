"""What happens at the machine beyond a tap, as the hub keeps it: the safety checklist a
skill (or one machine) asks for, calls for the facilitator, problem reports, and trainings
validated at the machine by a référent.

Stations send calls, reports and sign-offs as events (applied once, by event id); the
facilitator answers calls and reports from the Today page.
"""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from common.clock import now_iso
from common.protocol import DANGER_REASON
from web.db import fetch_all, fetch_one, merge_json, writing
from web.domain import audit
from web.domain.errors import Conflict, Invalid, NotFound

ICONS_ALLOWED = 64  # pictogram names are a few words of a-z and dashes
SKILL_SETTINGS = {
    # key: (kind, default, meaning)
    "checklist_seconds": (int, 90, "seconds to go through the checklist"),
    "checklist_skip_level3": (bool, True, "référents may skip the checklist"),
    "hours_to_autonomous": (float, 3.0, "hours of practice before the autonomy check"),
    "hours_to_referent": (float, 20.0, "hours of practice before becoming a référent"),
}


def skill_settings(row: dict[str, Any]) -> dict[str, Any]:
    """A skill's settings for the machine, each with its default."""
    stored = json.loads(row.get("settings") or "{}")
    return {key: kind(stored.get(key, default))
            for key, (kind, default, _) in SKILL_SETTINGS.items()}  # fmt: skip


def set_skill_settings(db: Database, slug: str, values: dict[str, Any], *, actor: str) -> None:
    from web.domain.skills import get_skill

    unknown = set(values) - set(SKILL_SETTINGS)
    if unknown:
        raise Invalid(f"unknown setting(s): {', '.join(sorted(unknown))}")
    with writing(db):
        merge_json(db, "skills", get_skill(db, slug), values)
        audit.record(db, actor, "skill.settings", slug, **values)


def checklist(db: Database, skill_id: int, machine_id: int | None = None) -> list[dict[str, Any]]:
    """The items a session on this machine asks for: the machine's own if it has some, else
    its skill's."""
    rows = fetch_all(
        db,
        "SELECT icon, text_fr, text_en, text_ar, machine_id FROM checklist_items "
        "WHERE skill_id = ? AND (machine_id IS NULL OR machine_id = ?) ORDER BY position, id",
        [skill_id, machine_id],
    )
    own = [row for row in rows if row["machine_id"] is not None]
    return [
        {"icon": row["icon"],
         "text": {code: row[f"text_{code}"] for code in ("fr", "en", "ar") if row[f"text_{code}"]}}
        for row in (own or rows)
    ]  # fmt: skip


def set_checklist(db: Database, slug: str, items: list[dict[str, str]], *, actor: str) -> None:
    """Replace the skill's checklist: each item a pictogram and a plain sentence in French
    (English and Arabic optional)."""
    from common.icons import exists
    from web.domain.skills import get_skill

    for item in items:
        if not item.get("text_fr", "").strip():
            raise Invalid("each item needs its sentence in French")
        if not exists(item.get("icon", "")):
            raise Invalid(f"no pictogram named {item.get('icon')!r}")
    with writing(db):
        skill = get_skill(db, slug)
        db.execute("DELETE FROM checklist_items WHERE skill_id = ? AND machine_id IS NULL",
                   [skill["id"]])  # fmt: skip
        for position, item in enumerate(items):
            db["checklist_items"].insert({
                "skill_id": skill["id"], "position": position, "icon": item["icon"],
                "text_fr": " ".join(item["text_fr"].split())[:200],
                "text_en": (item.get("text_en") or "").strip()[:200] or None,
                "text_ar": (item.get("text_ar") or "").strip()[:200] or None,
            })  # fmt: skip
        audit.record(db, actor, "skill.checklist", slug, items=len(items))


# --- calls and reports ------------------------------------------------------------------------


def apply_call(db: Database, machine: dict[str, Any], event: dict[str, Any]) -> None:
    db.execute(
        "INSERT INTO calls (event_id, machine_id, person_id, at) VALUES (?, ?, ?, ?)",
        [event["id"], machine["id"], event.get("person"), event["received_at"]],
    )


def apply_report(db: Database, machine: dict[str, Any], event: dict[str, Any]) -> None:
    """Kept for the facilitator; a dangerous machine goes out of service at the hub too (the
    station did already), so every list says so."""
    db.execute(
        "INSERT INTO reports (event_id, machine_id, person_id, category, at) "
        "VALUES (?, ?, ?, ?, ?)",
        [event["id"], machine["id"], event.get("person"), event["category"],
         event["received_at"]],
    )  # fmt: skip
    if event["category"] == "dangerous" and not machine["out_of_service"]:
        _out_of_service(db, machine, DANGER_REASON, event["received_at"])


def _out_of_service(db: Database, machine: dict[str, Any], reason: str, at: str) -> None:
    db.execute(
        "UPDATE machines SET out_of_service = 1, out_of_service_reason = ?, "
        "out_of_service_when = 'now' WHERE id = ?",
        [reason, machine["id"]],
    )
    db.execute("INSERT INTO machine_service (machine_id, from_at, reason) VALUES (?, ?, ?)",
               [machine["id"], at, reason])  # fmt: skip
    audit.record(db, f"station:{machine['name']}", "machine.out_of_service", machine["name"],
                 reason=reason)  # fmt: skip


def open_calls(db: Database) -> list[dict[str, Any]]:
    return fetch_all(
        db,
        """
        SELECT calls.*, machines.name AS machine, machines.display_name,
               people.display_name AS person
        FROM calls JOIN machines ON machines.id = calls.machine_id
        LEFT JOIN people ON people.id = calls.person_id
        WHERE calls.seen_at IS NULL ORDER BY calls.at
        """,
    )


def mark_call_seen(db: Database, call_id: int, *, actor: str) -> None:
    with writing(db):
        done = db.execute("UPDATE calls SET seen_at = ?, seen_by = ? WHERE id = ? "
                          "AND seen_at IS NULL", [now_iso(), actor, call_id]).rowcount  # fmt: skip
        if not done:
            raise Conflict("this call has been seen already")


def open_reports(db: Database) -> list[dict[str, Any]]:
    return fetch_all(
        db,
        """
        SELECT reports.*, machines.name AS machine, machines.display_name,
               machines.out_of_service, people.display_name AS person
        FROM reports JOIN machines ON machines.id = reports.machine_id
        LEFT JOIN people ON people.id = reports.person_id
        WHERE reports.handled_at IS NULL ORDER BY reports.at DESC
        """,
    )


def handle_report(db: Database, report_id: int, *, out_of_service: bool, actor: str) -> None:
    """The facilitator's answer to a report: dealt with, or the machine out of service now."""
    from web.domain.machines import set_out_of_service

    with writing(db):
        report = fetch_one(db, "SELECT reports.*, machines.name FROM reports JOIN machines ON "
                               "machines.id = reports.machine_id WHERE reports.id = ?",
                           [report_id])  # fmt: skip
        if report is None:
            raise NotFound(f"no report {report_id}")
        if report["handled_at"]:
            raise Conflict("this report has been dealt with already")
        if out_of_service:
            set_out_of_service(db, report["name"], f"Signalement : {report['category']}",
                               actor=actor)  # fmt: skip
        db.execute("UPDATE reports SET handled_at = ?, handled_by = ?, outcome = ? WHERE id = ?",
                   [now_iso(), actor, "out_of_service" if out_of_service else "handled",
                    report_id])  # fmt: skip


# --- trainings validated at the machine ------------------------------------------------------


def apply_sign_off(db: Database, machine: dict[str, Any], event: dict[str, Any]) -> None:
    """A step validated at the machine becomes a training, as if recorded on the pages, with
    who signed it and where; unless the signer could not (then an anomaly, nothing else)."""
    from web.domain import claims

    if machine["skill_id"] is None:
        return
    if not claims.may_supervise(db, event["by"], machine["skill_id"], event["at"]):
        signer = fetch_one(db, "SELECT display_name FROM people WHERE id = ?", [event["by"]])
        claims.record(db, machine["id"], [("sign_off", (signer or {}).get("display_name", ""))],
                      event_id=event["id"], person_id=event["person"])  # fmt: skip
        return
    _grant_signed(db, machine, event)


def accept_sign_off(db: Database, event_id: str, *, actor: str) -> None:
    """The facilitator counts a sign-off the hub doubted (the signer could not sign it)."""
    row = fetch_one(db, "SELECT events.*, machines.name AS machine_name FROM events JOIN "
                        "machines ON machines.id = events.machine_id WHERE events.id = ?",
                    [event_id])  # fmt: skip
    if row is None:
        return
    machine = fetch_one(db, "SELECT * FROM machines WHERE id = ?", [row["machine_id"]])
    event = {**json.loads(row["data"]), "person": row["person_id"], "id": event_id}
    if machine is not None and machine["skill_id"] is not None:
        _grant_signed(db, machine, event, actor=actor)


def _grant_signed(
    db: Database, machine: dict[str, Any], event: dict[str, Any], actor: str | None = None
) -> None:
    from web.domain import grants, people
    from web.domain.skills import skill_by_id

    skill = skill_by_id(db, machine["skill_id"])
    signer = people.get_person(db, event["by"])
    current = grants.current_grant(db, event["person"], machine["skill_id"])
    level = event["level"] if event["action"] == "level_up" else (current or {}).get("level")
    if level is None:
        return
    where = machine.get("display_name") or machine["name"]
    grants.grant(
        db, event["person"], skill["slug"], level=min(3, level),
        by=f"{signer['display_name']} (à la machine {where})",
        actor=actor or f"station:{machine['name']}",
    )  # fmt: skip
