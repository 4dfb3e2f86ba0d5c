"""The station's outbox: every event on disk (SQLite, WAL, synchronous=FULL) before it has effects.

Events leave in the order they were written and are deleted only once the hub
has acknowledged them (accepted, duplicate or rejected), so a `kill -9` or a
power cut loses nothing and a resend is harmless (the hub deduplicates by id).
The same file keeps the journal of the open session: what it was, and the
last moment the agent knew it was alive, to close it as `interrupted` after a crash.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger("kiosk")


def new_event(kind: str, at: datetime | None = None, **fields: Any) -> dict[str, Any]:
    """A station event as the hub's protocol wants it: a UUID, a type, an aware timestamp."""
    moment = (at or datetime.now(UTC)).isoformat(timespec="milliseconds")
    return {"id": str(uuid.uuid4()), "type": kind, "at": moment, **fields}


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=5)


class Outbox:
    def __init__(
        self, path: Path, max_bytes: int | None = None, connect: Callable[[Path], Any] | None = None
    ) -> None:
        """`max_bytes` caps the file (SQLite's page limit): a full outbox refuses new events
        cleanly (sqlite3.Error) instead of filling the SD card; acknowledged events free room.
        `connect`: how to open the file (the power-cut test opens it through its own VFS)."""
        connect = connect or _connect
        self._db = connect(path)
        self._lock = threading.Lock()
        self.appended = threading.Condition(self._lock)
        # The shipper has its own connection, without an fsync per acknowledgement: losing
        # one in a power cut only means sending those events again, which the hub ignores.
        # That keeps its deletes from queueing a tap's write behind their fsync.
        self._shipping = connect(path)
        self._shipping_lock = threading.Lock()
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
        self._shipping.execute("PRAGMA synchronous = NORMAL")
        if max_bytes:
            page_size = self._db.execute("PRAGMA page_size").fetchone()[0]
            for connection in (self._db, self._shipping):
                connection.execute(f"PRAGMA max_page_count = {max(1, max_bytes // page_size)}")

    def append(self, event: dict[str, Any], journal: dict[str, Any] | None = None) -> None:
        """Write the event durably, with journal entries in the same commit (one fsync).

        Raises sqlite3.Error (disk full...) if it cannot be kept; then nothing is written.
        """
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT INTO outbox (id, body) VALUES (?, ?)",
                    [event["id"], json.dumps(event, ensure_ascii=False)],
                )
                for key, value in (journal or {}).items():
                    self._journal_write(key, value)
                self._db.execute("COMMIT")
                log.debug("kept %s %s", event["type"], event["id"])  # the drills count these
            except BaseException:
                # A full disk may have ended the transaction already: then a ROLLBACK would
                # raise "no transaction is active" in place of "database or disk is full".
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            self.appended.notify_all()

    def keep(self, event: dict[str, Any], journal: dict[str, Any] | None = None) -> bool:
        """Append, and when the disk refuses, say so and carry on: for events written once the
        machine is already safe (only a session's start must not happen without its event)."""
        try:
            self.append(event, journal=journal)
        except sqlite3.Error as problem:
            log.error("could not keep event %s (%s): %s", event["type"], event["id"], problem)
            return False
        return True

    def peek(self, limit: int = 100) -> list[dict[str, Any]]:
        with self._shipping_lock:
            rows = self._shipping.execute(
                "SELECT body FROM outbox ORDER BY seq LIMIT ?", [limit]
            ).fetchall()
        return [json.loads(body) for (body,) in rows]

    def acknowledge(self, ids: list[str]) -> None:
        if not ids:
            return
        with self._shipping_lock:
            self._shipping.execute("BEGIN IMMEDIATE")
            self._shipping.executemany("DELETE FROM outbox WHERE id = ?", [[i] for i in ids])
            self._shipping.execute("COMMIT")

    def depth(self) -> int:
        with self._shipping_lock:
            return self._shipping.execute("SELECT count(*) FROM outbox").fetchone()[0]

    def wait_for_events(self, timeout: float) -> None:
        with self.appended:
            if not self._db.execute("SELECT 1 FROM outbox LIMIT 1").fetchone():
                self.appended.wait(timeout)

    # --- the open-session journal -----------------------------------------------------------

    def journal_set(self, key: str, value: Any) -> None:
        with self._lock:
            self._journal_write(key, value)

    def _journal_write(self, key: str, value: Any) -> None:
        if value is None:
            self._db.execute("DELETE FROM journal WHERE key = ?", [key])
            return
        self._db.execute(
            "INSERT INTO journal (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, json.dumps(value)],
        )

    def journal_get(self, key: str) -> Any:
        with self._lock:
            row = self._db.execute("SELECT value FROM journal WHERE key = ?", [key]).fetchone()
        return json.loads(row[0]) if row else None

    def close(self) -> None:
        with self._lock, self._shipping_lock:
            self._db.close()
            self._shipping.close()
