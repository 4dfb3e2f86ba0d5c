"""Retention (RGPD): raw events and per-session detail are kept a few months, then deleted.

What counts is when the hub *received* a record, not the date a station wrote on it: a
station's clock can say anything (2099, year 1), and a record must not escape the purge for
that. Incomplete sessions (only a start, or only an end) go too, and so do the anomalies
about purged sessions, the cards enrolled by tapping and the badge numbers in the audit log
of that age: no raw UID outlives its retention. Sessions are folded into the per-person
practice totals when they complete, so deleting the detail changes no total: a purge only
forgets *when* exactly.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

from common.clock import add_months, to_iso
from common.uid import is_uid
from web.db import fetch_all, writing
from web.domain import audit

DEFAULT_MONTHS = 3


def cutoff(months: int = DEFAULT_MONTHS, now: datetime | None = None) -> datetime:
    """Midnight UTC, `months` calendar months before `now`."""
    now = now or datetime.now(UTC)
    day = add_months(now.date(), -months)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def purge(db: Database, before: datetime, *, actor: str) -> dict[str, int]:
    """Delete what arrived before `before`: events, sessions (complete or not), the answered
    anomalies about them, finished enrolments; blank badge numbers in older audit entries."""
    limit = to_iso(before)
    with writing(db):
        events = db.execute("DELETE FROM events WHERE received_at < ?", [limit]).rowcount
        old_sessions = (
            "SELECT id FROM sessions WHERE coalesce(received_at, started_at, ended_at) < ?"
        )
        db.execute(
            f"DELETE FROM anomalies WHERE session_id IN ({old_sessions}) OR found_at < ?",
            [limit, limit],
        )
        sessions = db.execute(
            "DELETE FROM sessions WHERE coalesce(received_at, started_at, ended_at) < ?", [limit]
        ).rowcount
        db.execute("DELETE FROM enrolments WHERE done_at IS NOT NULL AND done_at < ?", [limit])
        _unlink_usage(db, before)
        scrubbed = _scrub_audit(db, limit)
        audit.record(db, actor, "purge", None, before=limit, events=events, sessions=sessions,
                     audit_scrubbed=scrubbed)  # fmt: skip
    return {"events": events, "sessions": sessions}


def _unlink_usage(db: Database, before: datetime) -> None:
    """Who used the machines in weeks and months over before `before`: the same counts, but
    each person a random token of that period only, linked to nobody."""
    import secrets

    from web.domain.stats import month_of, week_of

    last = before.date() - timedelta(days=1)
    done = (week_of(last), month_of(last))
    rows = fetch_all(db, "SELECT DISTINCT period, person_id FROM usage_people "
                         "WHERE person_id NOT LIKE 'anon-%'")  # fmt: skip
    for row in rows:
        period = row["period"]
        if (period < done[0]) if "-W" in period else (period < done[1]):
            db.execute("UPDATE usage_people SET person_id = ? WHERE period = ? AND person_id = ?",
                       [f"anon-{secrets.token_hex(6)}", period, row["person_id"]])  # fmt: skip


def _scrub_audit(db: Database, limit: str) -> int:
    """Badge numbers in audit entries older than `limit` become "(purgé)"."""
    count = 0
    for entry in fetch_all(
        db, "SELECT id, details FROM audit_log WHERE at < ? AND details LIKE '%uid%'", [limit]
    ):
        details = json.loads(entry["details"] or "{}")
        scrubbed = {key: ("(purgé)" if isinstance(value, str) and key == "uid" and is_uid(value)
                          else value) for key, value in details.items()}  # fmt: skip
        if scrubbed != details:
            db.execute("UPDATE audit_log SET details = ? WHERE id = ?",
                       [json.dumps(scrubbed, ensure_ascii=False), entry["id"]])  # fmt: skip
            count += 1
    return count
