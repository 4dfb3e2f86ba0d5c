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
        assert db.execute("SELECT count(*) FROM settings").fetchone()[0] == 0  # no secret
    finally:
        db.close()


def test_secrets_live_in_their_own_file_and_an_older_hubs_are_moved_there(tmp_path):
    """A hub from before kept its secrets in the database: `init` moves them to the file,
    unchanged, and leaves no trace of them in the database file or its log."""
    from web import secrets

    db = open_database(tmp_path / "old.db")
    db.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    for name, function in MIGRATIONS:
        if name >= "0009":
            break
        function(db)
        db.execute("INSERT INTO _migrations VALUES (?, 'before')", [name])
    db.conn.commit()
    kept = dict(db.execute("SELECT key, value FROM settings").fetchall())
    assert set(kept) == {"badge_hash_secret", "web_secret_key", "credential_signing_key"}
    secrets.use(tmp_path / "secrets.toml")
    try:
        assert migrate(db)[0] == "0009_secrets_out_of_the_database"
        moved = secrets.get()
        assert moved.badge.hex() == kept["badge_hash_secret"]
        assert moved.web == kept["web_secret_key"]
        assert moved.credential_key["pem"].strip() == kept["credential_signing_key"].strip()
        assert (tmp_path / "secrets.toml").stat().st_mode & 0o777 == 0o600
        db.close()
        on_disk = b"".join(path.read_bytes() for path in tmp_path.glob("old.db*"))
        pem_body = kept["credential_signing_key"].strip().splitlines()[1]
        for value in (kept["badge_hash_secret"], kept["web_secret_key"], pem_body):
            assert value.encode() not in on_disk
    finally:
        secrets.use(None)


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
