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
    "finished",  # "J'ai fini", touched on the screen
    "absent",  # nobody answered the presence check
    "stopped",  # the facilitator stopped it (a training revoked, the machine out of service)
    "danger",  # someone reported the machine dangerous
    "handover",
    "timeout",
    "idle",
    "job_done",
    "interrupted",
    "shutdown",
    "fault",
    "out_of_service",
)
# Minutes between two "are you there?" on a machine that must not work unattended, by kind,
# unless the machine's settings say otherwise (presence_minutes; 0: never).
PRESENCE_MINUTES = {"laser": 10}
JOB_STATES = ("started", "progress", "done", "failed", "cancelled", "unauthorised")
# Why a machine reported dangerous at its station is out of service, at the station at once
# and at the hub when it hears the report: the same words on both sides.
DANGER_REASON = "Signalée dangereuse à la machine"
REPORT_CATEGORIES = ("broken", "material", "dirty", "dangerous", "other")
SIGN_OFF_ACTIONS = ("level_up", "renew")
CHECKLIST = {
    "type": "object",
    "description": "The safety checklist the person confirmed before the machine unlocked",
    "required": ["seconds", "items"],
    "properties": {
        "seconds": SECONDS,
        "items": {
            "type": "array",
            "maxItems": 20,
            "items": {
                "type": "object",
                "required": ["text", "seconds"],
                "properties": {
                    "text": {"type": "string", "maxLength": 200},
                    "seconds": SECONDS,
                },
            },
        },
        "skipped": {"type": "boolean", "description": "a référent allowed to skip it"},
    },
}


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
        checklist=CHECKLIST,
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
    "call": _event(
        "call",
        "Someone at the machine called the facilitator from the screen.",
        [],
        person=PERSON_ID,
    ),
    "report": _event(
        "report",
        "Someone reported a problem with the machine from the screen; a dangerous one put it "
        "out of service at the station at once.",
        ["category"],
        category={"enum": list(REPORT_CATEGORIES)},
        person=PERSON_ID,
    ),
    "sign_off": _event(
        "sign_off",
        "A référent or the facilitator validated a step of someone's training at the machine: "
        "one level up, or the training renewed.",
        ["person", "by", "action", "level"],
        person=PERSON_ID,
        by=PERSON_ID,
        action={"enum": list(SIGN_OFF_ACTIONS)},
        level={"type": "integer", "minimum": 1, "maximum": 3},
        session=UUID,
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
