"""Retention (RGPD): raw events and per-session detail are kept a few months, then deleted.

Sessions are folded into the per-person practice totals when they complete, so
deleting the detail changes no total: a purge only forgets *when* exactly.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlite_utils import Database

from common.clock import add_months, to_iso
from web.db import writing
from web.domain import audit

DEFAULT_MONTHS = 3


def cutoff(months: int = DEFAULT_MONTHS, now: datetime | None = None) -> datetime:
    now = now or datetime.now(UTC)
    day = add_months(now.date(), -months)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def purge(db: Database, before: datetime, *, actor: str) -> dict[str, int]:
    """Delete events before `before`, and completed (already folded) sessions ended before it."""
    limit = to_iso(before)
    with writing(db):
        events = db.execute("DELETE FROM events WHERE at < ?", [limit]).rowcount
        sessions = db.execute(
            "DELETE FROM sessions WHERE counted = 1 AND ended_at < ?", [limit]
        ).rowcount
        audit.record(db, actor, "purge", None, before=limit, events=events, sessions=sessions)
    return {"events": events, "sessions": sessions}
