"""Opening the hub's SQLite database, and its lifecycle inside a Flask request.

Every connection gets the same settings: foreign keys enforced, a busy timeout
so concurrent writers queue instead of failing, WAL so stations and pages read
while events are written, and synchronous=FULL because an event acknowledged
to a station (which then deletes it) must survive a power cut at the hub.
"""

from __future__ import annotations

import json
import sqlite3
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlite_utils import Database

BUSY_TIMEOUT_MS = 5000


def open_database(path: str | Path) -> Database:
    """Open (creating if needed) the hub database at `path`, configured for concurrent use."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    db = Database(conn)
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    db.execute("PRAGMA foreign_keys = ON")
    if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal" and str(path) != ":memory:":
        db.enable_wal()
    db.execute("PRAGMA synchronous = FULL")
    # fold(text): for searches that ignore case and accents ("kone" finds "Koné").
    conn.create_function("fold", 1, fold, deterministic=True)
    return db


def fold(text: str | None) -> str:
    """Lower case, without accents or other marks: "Ọ̀là Koné" -> "ola kone"."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


_after_commit: list[Callable[[], None]] = []


def after_commit(hook: Callable[[], None]) -> None:
    """Call `hook` after each write transaction this process commits (the long polls wake
    on it at once, instead of at their next look at the database)."""
    _after_commit.append(hook)


@contextmanager
def writing(db: Database) -> Iterator[Database]:
    """One write transaction that takes the write lock up front (BEGIN IMMEDIATE).

    A deferred transaction that reads first and writes later can fail at once
    with SQLITE_BUSY when another writer got in between; taking the lock at the
    start lets the busy timeout queue writers instead. Nested calls become
    savepoints, so domain functions can be composed.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    db.commit()
    for hook in _after_commit:
        hook()


def fetch_all(db: Database, sql: str, params: Any = ()) -> list[dict[str, Any]]:
    """Rows as dicts. Unlike `Database.query`, no savepoint around each read: hot paths
    (every station request, every event) read several times, and it triples the cost."""
    cursor = db.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def fetch_one(db: Database, sql: str, params: Any = ()) -> dict[str, Any] | None:
    """The first row as a dict, or None."""
    found = fetch_all(db, sql, params)
    return found[0] if found else None


def merge_json(db: Database, table: str, row: dict[str, Any], values: dict[str, Any]) -> None:
    """Merge `values` into the row's `settings` JSON (a key set to None is removed)."""
    stored = {**json.loads(row["settings"] or "{}"), **values}
    kept = {key: value for key, value in stored.items() if value is not None}
    db[table].update(row["id"], {"settings": json.dumps(kept)})
