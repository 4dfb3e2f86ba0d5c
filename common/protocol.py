"""The station protocol, version 1: what a station may send in `POST /api/v1/events`.

The JSON Schemas here are the single source of truth: the hub validates each
event against the schema of its type, and `openapi.json` publishes the same
schemas. Kept free of Flask so that the station agent can import it cheaply.
"""

from __future__ import annotations

from typing import Any

MAX_BATCH = 1000
PERSON_ID = {
    "type": "string",
    "pattern": "^[0-9A-HJKMNP-TV-Z]{8}$",
    "description": "Pseudonymous person id",
}
UUID = {
    "type": "string",
    "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
}
TIMESTAMP = {
    "type": "string",
    "format": "date-time",
    "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
    r"(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})$",
    "description": "ISO 8601 with its offset, e.g. 2026-11-23T09:15:00.123+01:00",
}
BADGE_HASH = {
    "type": "string",
    "pattern": "^[0-9a-f]{64}$",
    "description": "The badge's keyed hash",
}
UID = {
    "type": "string",
    "pattern": "^([0-9A-F]{2}){4,10}$",
    "description": "Card UID, upper-case hex of its bytes",
}
CODE = {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,39}$"}
SHORT_TEXT = {"type": "string", "maxLength": 500}
SECONDS = {"type": "number", "minimum": 0, "maximum": 31_536_000}

END_REASONS = (
    "badge_out",
    "handover",
    "timeout",
    "idle",
    "job_done",
    "interrupted",
    "shutdown",
    "fault",
    "out_of_service",
)
JOB_STATES = ("started", "progress", "done", "failed", "cancelled", "unauthorised")


def _event(type_: str, description: str, required: list[str], **fields: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "required": ["id", "type", "at", *required],
        "properties": {
            "id": {**UUID, "description": "Unique per event; the hub ignores a replay"},
            "type": {"const": type_},
            "at": TIMESTAMP,
            "machine": {"type": "string", "description": "If given, must be the caller's machine"},
            **fields,
        },
    }


EVENT_SCHEMAS: dict[str, dict[str, Any]] = {
    "session_started": _event(
        "session_started",
        "A person was let in: the machine is unlocked for them.",
        ["session", "person"],
        session=UUID,
        person=PERSON_ID,
        level={"type": "integer", "minimum": 1, "maximum": 3},
        supervisor=PERSON_ID,
        badge=BADGE_HASH,
    ),
    "session_ended": _event(
        "session_ended",
        "The machine was locked again; `reason` says why.",
        ["session", "reason"],
        session=UUID,
        person=PERSON_ID,
        reason={"enum": list(END_REASONS)},
        busy_seconds=SECONDS,
    ),
    "denied": _event(
        "denied",
        "A known badge was refused; `reason` is the decision code.",
        ["reason"],
        reason=CODE,
        person=PERSON_ID,
        badge=BADGE_HASH,
    ),
    "unknown_badge": _event(
        "unknown_badge",
        "A card not on the access list was tapped; its UID lets the facilitator enrol it.",
        ["uid"],
        uid=UID,
    ),
    "fault": _event(
        "fault",
        "Something at the station needs attention (reader unplugged, printer gone...).",
        ["code"],
        code=CODE,
        message=SHORT_TEXT,
    ),
    "job": _event(
        "job",
        "Progress of a machine job (a 3D print).",
        ["state"],
        state={"enum": list(JOB_STATES)},
        session=UUID,
        file={"type": "string", "maxLength": 255},
        progress={"type": "number", "minimum": 0, "maximum": 100},
        print_time_seconds=SECONDS,
        filament_mm={"type": "number", "minimum": 0, "maximum": 10_000_000},
    ),
    "heartbeat": _event(
        "heartbeat",
        "The station is alive; only the newest heartbeat is kept.",
        ["version", "state", "outbox_depth"],
        version={"type": "string", "maxLength": 40},
        state=CODE,
        outbox_depth={"type": "integer", "minimum": 0},
        last_sync=TIMESTAMP,
    ),
}
EVENT_TYPES = tuple(EVENT_SCHEMAS)
