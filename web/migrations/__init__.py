"""Schema changes as small registered functions, applied in order, each in its own transaction.

`migrate()` brings any file, including an empty one, to the current schema and
records each step in `_migrations`, so running it again does nothing. Add a
change by writing a new function decorated with `@migration`; never edit one
that has shipped.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from sqlite_utils import Database

from common.clock import now_iso
from web.db import fetch_all, writing

Migration = Callable[[Database], None]
MIGRATIONS: list[tuple[str, Migration]] = []


def migration(name: str) -> Callable[[Migration], Migration]:
    def register(function: Migration) -> Migration:
        if any(existing == name for existing, _ in MIGRATIONS):
            raise ValueError(f"migration {name} registered twice")
        MIGRATIONS.append((name, function))
        return function

    return register


def applied(db: Database) -> set[str]:
    if not db["_migrations"].exists():
        return set()
    return {row["name"] for row in fetch_all(db, "SELECT name FROM _migrations")}


def pending(db: Database) -> list[str]:
    done = applied(db)
    return [name for name, _ in MIGRATIONS if name not in done]


def migrate(db: Database) -> list[str]:
    """Apply every pending migration; return the names applied (empty when up to date)."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    done = applied(db)
    ran = []
    for name, function in MIGRATIONS:
        if name in done:
            continue
        with writing(db):
            function(db)
            db.execute(
                "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)", [name, now_iso()]
            )
        ran.append(name)
    if ran:  # nothing a migration removed stays in the write-ahead log
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return ran


def _statements(db: Database, sql: str) -> None:
    """Run a script statement by statement inside the current transaction.

    `executescript` would commit first; sqlite3.complete_statement tells where
    a statement ends, even inside a trigger's BEGIN ... END.
    """
    buffer = ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            db.execute(buffer)
            buffer = ""
    if buffer.strip():
        db.execute(buffer)


# Tables whose changes can alter some station's access list, and for UPDATE the
# columns that matter (None: any). Each change bumps `revision`, which the
# access-list cache and the long poll watch.
_ACCESS_LIST_SOURCES: dict[str, tuple[str, ...] | None] = {
    "people": ("display_name", "erased_at"),
    "badges": None,
    "skills": None,
    "grants": None,
    "machines": ("name", "kind", "skill_id", "out_of_service", "out_of_service_reason", "settings"),
    "facilitators": ("person_id", "disabled_at"),
}


# The steps, registered in order as their modules are imported.
from web.migrations import steps_2025, steps_2026  # noqa: E402, F401
