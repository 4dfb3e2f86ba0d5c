"""Machines and the tokens their stations authenticate with.

A token is shown once, when made; the hub keeps only its SHA-256. Tokens are
long random strings, so a plain (unsalted, fast) hash is the right tool: there
is nothing to brute-force, and lookup by hash is one indexed query.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

from sqlite_utils import Database

from common.clock import now_iso, seconds_between
from web.db import fetch_all, fetch_one, merge_json, writing
from web.domain import audit
from web.domain.errors import Conflict, Invalid, NotFound
from web.domain.skills import SLUG, get_skill

MACHINE_KINDS = ("relay", "laser", "sewing", "printer", "checkin")
CHECKIN = "checkin"  # the entrance: no machine, no skill; its sessions are presence
TOKEN_PREFIX = "fab_"
STOPS = ("now", "end", "cancel")  # when a machine put out of service stops a running session


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, hash_token(token)


def add_machine(
    db: Database,
    name: str,
    *,
    kind: str,
    skill: str | None = None,
    display_name: str | None = None,
    actor: str,
) -> str:
    """Create a machine that requires `skill` (none for the entrance, kind "checkin"), named
    `display_name` for people (its slug `name` when None); return its station token (shown
    only now)."""
    if not SLUG.match(name):
        raise Invalid("a machine's name is lower-case letters, digits and dashes (e.g. laser-1)")
    if kind not in MACHINE_KINDS:
        raise Invalid(f"kind must be one of {', '.join(MACHINE_KINDS)}")
    token, token_hash = _new_token()
    with writing(db):
        if (kind == CHECKIN) != (skill is None):
            raise Invalid("the entrance (checkin) has no skill; every machine needs one")
        skill_row = get_skill(db, skill) if skill else {"id": None}
        if db["machines"].count_where("name = ?", [name]):
            raise Conflict(f"a machine named {name} already exists")
        db["machines"].insert(
            {
                "name": name,
                "display_name": _display_name(display_name),
                "kind": kind,
                "skill_id": skill_row["id"],
                "token_hash": token_hash,
                "created_at": now_iso(),
            }
        )
        audit.record(db, actor, "machine.add", name, kind=kind, skill=skill)
    return token


def _display_name(text: str | None) -> str | None:
    name = " ".join((text or "").split())
    if len(name) > 40:
        raise Invalid("a machine's name has at most 40 characters")
    return name or None


def update_machine(
    db: Database, name: str, *, display_name: str | None, skill: str | None, actor: str
) -> None:
    """Its name as people read it, and the skill it requires (not for the entrance)."""
    with writing(db):
        machine = get_machine(db, name)
        if (machine["kind"] == CHECKIN) != (skill is None):
            raise Invalid("the entrance (checkin) has no skill; every machine needs one")
        skill_id = get_skill(db, skill)["id"] if skill else None
        db["machines"].update(machine["id"], {"display_name": _display_name(display_name),
                                              "skill_id": skill_id})  # fmt: skip
        audit.record(db, actor, "machine.update", name, display_name=display_name, skill=skill)


def rotate_token(db: Database, name: str, *, actor: str) -> str:
    """Give the machine a new token; the old one stops working at once."""
    token, token_hash = _new_token()
    with writing(db):
        machine = get_machine(db, name)
        db["machines"].update(machine["id"], {"token_hash": token_hash})
        audit.record(db, actor, "machine.token", name)
    return token


def get_machine(db: Database, name: str) -> dict[str, Any]:
    row = fetch_one(db, "SELECT * FROM machines WHERE name = ?", [name])
    if row is None:
        raise NotFound(f"no machine named {name}")
    return row


def machine_for_token(db: Database, token: str) -> dict[str, Any] | None:
    return fetch_one(db, "SELECT * FROM machines WHERE token_hash = ?", [hash_token(token)])


def list_machines(db: Database) -> list[dict[str, Any]]:
    return fetch_all(
        db,
        """
            SELECT machines.*, skills.slug AS skill
            FROM machines LEFT JOIN skills ON skills.id = machines.skill_id
            ORDER BY machines.name
            """,
    )


def set_out_of_service(
    db: Database, name: str, reason: str | None, *, when: str = "now", actor: str
) -> None:
    """Take the machine out of service with a reason, or (reason None) put it back. `when`:
    "now" ends a session running on it after a short countdown at the machine (a print goes
    on); "cancel" cancels the print too; "end" lets it run to its end."""
    if when not in STOPS:
        raise Invalid(f"when is one of {', '.join(STOPS)}")
    if reason is not None and not reason.strip():
        raise Invalid("say why the machine is out of service")
    with writing(db):
        machine = get_machine(db, name)
        db["machines"].update(
            machine["id"],
            {"out_of_service": int(reason is not None), "out_of_service_reason": reason,
             "out_of_service_when": when},
        )  # fmt: skip
        # Its history, to check sessions stations report later against it.
        now = now_iso()
        db.execute(
            "UPDATE machine_service SET until_at = ? WHERE machine_id = ? AND until_at IS NULL",
            [now, machine["id"]],
        )
        if reason is not None:
            db.execute(
                "INSERT INTO machine_service (machine_id, from_at, reason) VALUES (?, ?, ?)",
                [machine["id"], now, reason],
            )
        audit.record(db, actor, "machine.out_of_service" if reason else "machine.in_service", name)


CLOCK_TOLERANCE_SECONDS = 120  # a station's clock further off than this is reported


def record_heartbeat(
    db: Database, machine_id: int, at: str, fields: dict[str, Any], received_at: str
) -> None:
    """Keep the newest heartbeat, dated by the hub's clock: a station whose clock says 2099
    neither looks online forever nor hides the heartbeats that follow. How far its clock is
    from the hub's is kept with it (the Today page reports a clock that is off)."""
    offset = round(seconds_between(received_at, at))
    fields = {**fields, "station_at": at, "clock_offset_seconds": offset}
    db.execute(
        """
        UPDATE machines SET last_heartbeat_at = :received, last_heartbeat = :fields
        WHERE id = :id AND (last_heartbeat_at IS NULL OR last_heartbeat_at <= :received)
        """,
        {"id": machine_id, "received": received_at,
         "fields": json.dumps(fields, ensure_ascii=False)},
    )  # fmt: skip


MACHINE_SETTINGS = {
    # key: (lowest, highest, meaning)
    "presence_minutes": (0, 240, 'minutes between two "are you there?" (0: never)'),
    "presence_grace_seconds": (15, 600, "seconds to answer before the session ends"),
}


def set_settings(db: Database, name: str, values: dict[str, int], *, actor: str) -> None:
    """Change what the station of this machine does during a session (the presence check)."""
    for key, value in values.items():
        if key not in MACHINE_SETTINGS:
            raise Invalid(f"unknown setting {key}")
        lowest, highest, _ = MACHINE_SETTINGS[key]
        if not isinstance(value, int) or not lowest <= value <= highest:
            raise Invalid(f"{key} is a whole number from {lowest} to {highest}")
    with writing(db):
        merge_json(db, "machines", get_machine(db, name), values)
        audit.record(db, actor, "machine.settings", name, **values)


def reset_setting(db: Database, name: str, key: str, *, actor: str) -> None:
    """Back to the default of the machine's kind."""
    with writing(db):
        merge_json(db, "machines", get_machine(db, name), {key: None})
        audit.record(db, actor, "machine.settings", name, **{key: None})


def presence_minutes(machine: dict[str, Any]) -> int:
    """Minutes between two "are you there?" on this machine (0: never)."""
    from common.protocol import PRESENCE_MINUTES

    stored = json.loads(machine.get("settings") or "{}")
    return int(stored.get("presence_minutes", PRESENCE_MINUTES.get(machine["kind"], 0)))
