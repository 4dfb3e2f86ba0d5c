import sqlite3

import pytest

from web import migrations
from web.db import open_database
from web.migrations import MIGRATIONS, migrate, pending

TABLES = {
    "people",
    "badges",
    "machines",
    "skills",
    "grants",
    "grant_changes",
    "sessions",
    "practice",
    "events",
    "facilitators",
    "audit_log",
    "settings",
    "revision",
}


def test_an_empty_file_gets_the_whole_schema_and_settings(tmp_path):
    db = open_database(tmp_path / "new.db")
    try:
        assert pending(db) == [name for name, _ in MIGRATIONS]
        assert migrate(db) == [name for name, _ in MIGRATIONS]
        assert set(db.table_names()) >= TABLES
        assert pending(db) == []
        assert migrate(db) == []
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
        secret = db.execute("SELECT value FROM settings WHERE key = 'badge_hash_secret'").fetchone()
        assert len(bytes.fromhex(secret[0])) == 32
    finally:
        db.close()


def test_each_database_gets_its_own_badge_secret(tmp_path):
    secrets = []
    for name in ("a.db", "b.db"):
        db = open_database(tmp_path / name)
        migrate(db)
        secrets.append(db.execute("SELECT value FROM settings").fetchone()[0])
        db.close()
    assert secrets[0] != secrets[1]


def test_a_failing_migration_leaves_nothing_behind(tmp_path, monkeypatch):
    def broken(db):
        db.execute("CREATE TABLE half_done (id INTEGER)")
        raise RuntimeError("boom")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*MIGRATIONS, ("9999_broken", broken)])
    db = open_database(tmp_path / "x.db")
    try:
        with pytest.raises(RuntimeError):
            migrations.migrate(db)
        assert "half_done" not in db.table_names()
        assert migrations.pending(db) == ["9999_broken"]
        assert "people" in db.table_names()  # earlier migrations stay applied
    finally:
        db.close()


def test_a_migration_name_cannot_be_registered_twice():
    with pytest.raises(ValueError, match="twice"):
        migrations.migration(MIGRATIONS[0][0])(lambda db: None)


def test_training_history_cannot_be_deleted(db, fablab):
    fablab.person("Amina", "DEADBEEF", decoupe_laser=2)
    with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
        db.execute("DELETE FROM grants")
    with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
        db.execute("DELETE FROM grant_changes")


def test_foreign_keys_are_enforced(db, fablab):
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(
            "INSERT INTO badges (uid, person_id, assigned_at) VALUES ('DEADBEEF', 'NOBODY00', 'x')"
        )
