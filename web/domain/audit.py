"""The audit log: who did what to whom, for every action a facilitator or installer takes."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from common.clock import now_iso
from web.db import fetch_all


def record(
    db: Database, actor: str, action: str, subject: str | None = None, **details: Any
) -> None:
    db.execute(
        "INSERT INTO audit_log (at, actor, action, subject, details) VALUES (?, ?, ?, ?, ?)",
        [now_iso(), actor, action, subject, json.dumps(details, ensure_ascii=False, default=str)],
    )


def entries(db: Database, limit: int = 100) -> list[dict[str, Any]]:
    return fetch_all(db, "SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", [limit])
