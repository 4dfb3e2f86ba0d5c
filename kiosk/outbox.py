"""The station's outbox: every event on disk (SQLite, WAL, synchronous=FULL) before it has effects.

Events leave in the order they were written and are deleted only once the hub
has acknowledged them (accepted, duplicate or rejected), so a `kill -9` or a
power cut loses nothing and a resend is harmless (the hub deduplicates by id).
The same file keeps the journal of the open session: what it was, and the
last moment the agent knew it was alive, to close it as `interrupted` after a crash.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def new_event(kind: str, at: datetime | None = None, **fields: Any) -> dict[str, Any]:
    """A station event as the hub's protocol wants it: a UUID, a type, an aware timestamp."""
    moment = (at or datetime.now(UTC)).isoformat(timespec="milliseconds")
    return {"id": str(uuid.uuid4()), "type": kind, "at": moment, **fields}


class Outbox:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=5)
        self._lock = threading.Lock()
        self.appended = threading.Condition(self._lock)
        with self._lock:
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = FULL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
                " id TEXT NOT NULL UNIQUE, body TEXT NOT NULL)"
            )
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS journal (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
            )

    def append(self, event: dict[str, Any]) -> None:
        """Write the event durably; raises sqlite3.Error (disk full...) if it cannot be kept."""
        with self._lock:
            self._db.execute(
                "INSERT INTO outbox (id, body) VALUES (?, ?)",
                [event["id"], json.dumps(event, ensure_ascii=False)],
            )
            self.appended.notify_all()

    def peek(self, limit: int = 100) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT body FROM outbox ORDER BY seq LIMIT ?", [limit]
            ).fetchall()
        return [json.loads(body) for (body,) in rows]

    def acknowledge(self, ids: list[str]) -> None:
        if not ids:
            return
        with self._lock:
            self._db.executemany("DELETE FROM outbox WHERE id = ?", [[i] for i in ids])

    def depth(self) -> int:
        with self._lock:
            return self._db.execute("SELECT count(*) FROM outbox").fetchone()[0]

    def wait_for_events(self, timeout: float) -> None:
        with self.appended:
            if not self._db.execute("SELECT 1 FROM outbox LIMIT 1").fetchone():
                self.appended.wait(timeout)

    # --- the open-session journal -----------------------------------------------------------

    def journal_set(self, key: str, value: Any) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO journal (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, json.dumps(value)],
            )

    def journal_get(self, key: str) -> Any:
        with self._lock:
            row = self._db.execute("SELECT value FROM journal WHERE key = ?", [key]).fetchone()
        return json.loads(row[0]) if row else None

    def journal_delete(self, key: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM journal WHERE key = ?", [key])

    def close(self) -> None:
        with self._lock:
            self._db.close()
