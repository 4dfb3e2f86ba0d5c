"""The OpenAPI 3.1 description of the station API, built from the protocol's schemas."""

from __future__ import annotations

from typing import Any

from common import __version__
from common.languages import LANGUAGES, SOURCE
from common.protocol import BADGE_HASH, EVENT_SCHEMAS, MAX_BATCH, PERSON_ID, UUID

_DATE = {"type": ["string", "null"], "format": "date"}


def _error_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


_ERRORS = {
    "400": _error_response("Malformed request; `message` says what to fix"),
    "401": _error_response("Missing or unknown machine token"),
}

_ACCESS_LIST = {
    "type": "object",
    "required": ["fablab", "machine", "skill", "badge_hash", "badges"],
    "properties": {
        "fablab": {
            "type": "object",
            "required": ["contact"],
            "properties": {
                "contact": {
                    "type": "string",
                    "description": "Whom the station sends residents to (a first name)",
                }
            },
        },
        "machine": {
            "type": "object",
            "required": [
                "name",
                "display_name",
                "kind",
                "out_of_service",
                "out_of_service_reason",
                "settings",
            ],
            "properties": {
                "name": {"type": "string"},
                "display_name": {"type": "string", "description": "As people read it"},
                "kind": {"type": "string"},
                "out_of_service": {"type": "boolean"},
                "out_of_service_reason": {"type": ["string", "null"]},
                "out_of_service_when": {
                    "enum": ["now", "end"],
                    "description": "now: a running session ends after a short countdown; "
                    "end: it goes on to its end",
                },
                "settings": {
                    "type": "object",
                    "description": "presence_minutes (between two 'are you there?'; 0: "
                    "never), presence_grace_seconds, busy_pin, ...",
                },
            },
        },
        "skill": {
            "type": ["object", "null"],
            "required": ["slug", "name_fr", "name_en", "validity_months", "inactivity_months"],
            "properties": {
                "slug": {"type": "string"},
                "name_fr": {"type": "string"},
                "name_en": {"type": ["string", "null"]},
                "validity_months": {"type": ["integer", "null"]},
                "inactivity_months": {"type": ["integer", "null"]},
                "checklist_seconds": {"type": "integer", "description": "to confirm it all"},
                "checklist_skip_level3": {"type": "boolean"},
                "hours_to_autonomous": {"type": "number"},
                "hours_to_referent": {"type": "number"},
                "checklist": {
                    "type": "array",
                    "description": "Confirmed item by item before the machine unlocks",
                    "items": {
                        "type": "object",
                        "required": ["icon", "text"],
                        "properties": {
                            "icon": {"type": "string", "description": "A pictogram's name"},
                            "text": {
                                "type": "object",
                                "required": ["fr"],
                                "description": "The sentence by language code",
                                "additionalProperties": {"type": "string"},
                            },
                        },
                    },
                },
            },
        },
        "calls_seen": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Ids of this station's call events the facilitator has seen "
            "(the last 15 minutes)",
        },
        "stop_now": {
            "type": "array",
            "items": PERSON_ID,
            "description": "People whose training was stopped 'now': their running session "
            "ends after a countdown",
        },
        "badge_hash": {
            "type": "object",
            "description": "Hash a tapped UID (upper-case hex, ASCII) with scrypt under this salt "
            "and these parameters, and look the hex digest up in `badges`",
            "required": ["algorithm", "salt", "n", "r", "p", "length"],
            "properties": {
                "algorithm": {"const": "scrypt"},
                "salt": {"type": "string", "description": "hex; this station's own"},
                "n": {"type": "integer"},
                "r": {"type": "integer"},
                "p": {"type": "integer"},
                "length": {"type": "integer", "description": "bytes of the digest"},
            },
        },
        "badges": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["hash", "person", "level"],
                "properties": {
                    "hash": BADGE_HASH,
                    "person": {
                        **PERSON_ID,
                        "description": "The person's id for this "
                        "station only; events about them name it",
                    },
                    "level": {
                        "type": ["integer", "null"],
                        "minimum": 1,
                        "maximum": 3,
                        "description": "null: the person is not trained on this machine's skill",
                    },
                    "first_name": {"type": "string"},
                    "supervisor": {"type": "boolean"},
                    "valid_until": _DATE,
                    "last_practice": _DATE,
                    "hours": {"type": "number", "description": "Practice on this skill so far"},
                    "language": {
                        "enum": [code for code in LANGUAGES if code != SOURCE],
                        "description": "The screen's and the voice's language for this "
                        "person; French when absent",
                    },
                },
            },
        },
    },
}

_BATCH_RESULT = {
    "type": "object",
    "required": ["accepted", "duplicates", "rejected"],
    "properties": {
        "accepted": {"type": "array", "items": {"type": "string"}},
        "duplicates": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Already received earlier; safe to delete from the outbox",
        },
        "notes": {
            "type": "object",
            "description": "By event id, what the station may tell the person: "
            "{'enrolled': first name} when a card was just enrolled",
            "additionalProperties": {"type": "object"},
        },
        "rejected": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["index", "id", "reason"],
                "properties": {
                    "index": {"type": "integer", "description": "Position in the batch"},
                    "id": {"type": ["string", "null"]},
                    "reason": {"type": "string"},
                },
            },
        },
    },
}


def spec(max_wait: int = 60) -> dict[str, Any]:
    """The description, with the long-poll limit this hub is configured with."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Fablab hub: station API",
            "version": f"1 ({__version__})",
            "description": "What a machine station reads (its access list) and writes (events).",
        },
        "servers": [{"url": "/"}],
        "security": [{"machineToken": []}],
        "paths": {
            "/api/v1/access-list": {
                "get": {
                    "operationId": "getAccessList",
                    "summary": "Everything the station needs to decide taps offline",
                    "parameters": [
                        {
                            "name": "wait",
                            "in": "query",
                            "description": "Long poll: with If-None-Match, wait up to this many "
                            "seconds for the list to change",
                            "schema": {"type": "integer", "minimum": 0, "maximum": max_wait},
                        },
                        {"name": "If-None-Match", "in": "header", "schema": {"type": "string"}},
                    ],
                    "responses": {
                        "200": {
                            "description": "The current list",
                            "headers": {"ETag": {"schema": {"type": "string"}, "required": True}},
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/AccessList"}
                                }
                            },
                        },
                        "304": {"description": "Unchanged since the ETag sent"},
                        **_ERRORS,
                    },
                }
            },
            "/api/v1/events": {
                "post": {
                    "operationId": "postEvents",
                    "summary": "Report a batch of station events (idempotent by event id)",
                    "description": "Each event is validated against the schema of its `type` "
                    "(components `Event_*`). A bad event is listed under `rejected` with a "
                    "reason and does not stop the others.",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["events"],
                                    "properties": {
                                        "events": {
                                            "type": "array",
                                            "maxItems": MAX_BATCH,
                                            "items": {
                                                "description": "An event (components "
                                                "`Event_*`); anything else is listed "
                                                "under `rejected` with a reason"
                                            },
                                        }
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "What happened to each event",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/BatchResult"}
                                }
                            },
                        },
                        **_ERRORS,
                        "413": _error_response("Body over 1 MiB: send smaller batches"),
                    },
                }
            },
            "/api/v1/openapi.json": {
                "get": {
                    "operationId": "getOpenApi",
                    "summary": "This description",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "OpenAPI 3.1",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        },
                        "400": _ERRORS["400"],
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {"machineToken": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["status", "code", "message"],
                            "properties": {
                                "status": {"type": "integer"},
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                            },
                        }
                    },
                },
                "AccessList": _ACCESS_LIST,
                "BatchResult": _BATCH_RESULT,
                "Uuid": UUID,
                **{f"Event_{kind}": schema for kind, schema in EVENT_SCHEMAS.items()},
            },
        },
    }
