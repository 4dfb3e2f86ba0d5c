"""Schema changes as small registered functions, applied in order, each in its own transaction.

`migrate()` brings any file, including an empty one, to the current schema and
records each step in `_migrations`, so running it again does nothing. Add a
change by writing a new function decorated with `@migration`; never edit one
that has shipped.
"""

from __future__ import annotations

import secrets
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


@migration("0001_initial")
def _initial(db: Database) -> None:
    _statements(
        db,
        """
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE revision (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
);
INSERT INTO revision (id, value) VALUES (1, 0);

CREATE TABLE people (
    id                      TEXT PRIMARY KEY,   -- pseudonymous, random, never reused
    display_name            TEXT NOT NULL,
    age_band                TEXT CHECK (age_band IN ('under_26', '26_44', '45_54', '55_plus')),
    gender                  TEXT CHECK (gender IN ('female', 'male', 'other')),
    consent_statistics      INTEGER NOT NULL DEFAULT 0 CHECK (consent_statistics IN (0, 1)),
    consent_partner_sharing INTEGER NOT NULL DEFAULT 0 CHECK (consent_partner_sharing IN (0, 1)),
    created_at              TEXT NOT NULL,
    erased_at               TEXT
);

CREATE TABLE badges (
    id             INTEGER PRIMARY KEY,
    uid            TEXT NOT NULL,                   -- the card's bytes, upper-case hex
    person_id      TEXT NOT NULL REFERENCES people(id),
    assigned_at    TEXT NOT NULL,
    revoked_at     TEXT,
    revoked_reason TEXT
);
CREATE UNIQUE INDEX badges_uid_in_use ON badges(uid) WHERE revoked_at IS NULL;
CREATE INDEX badges_person ON badges(person_id);

CREATE TABLE skills (
    id                INTEGER PRIMARY KEY,
    slug              TEXT NOT NULL UNIQUE,
    name_fr           TEXT NOT NULL,
    name_en           TEXT,
    validity_months   INTEGER CHECK (validity_months > 0),    -- NULL: never expires
    inactivity_months INTEGER CHECK (inactivity_months > 0),  -- NULL: never lapses
    rome_codes        TEXT NOT NULL DEFAULT '[]'               -- JSON array of ROME codes
);

CREATE TABLE machines (
    id                    INTEGER PRIMARY KEY,
    name                  TEXT NOT NULL UNIQUE,
    kind                  TEXT NOT NULL,
    skill_id              INTEGER REFERENCES skills(id),
    token_hash            TEXT NOT NULL UNIQUE,          -- sha256 of the bearer token
    out_of_service        INTEGER NOT NULL DEFAULT 0 CHECK (out_of_service IN (0, 1)),
    out_of_service_reason TEXT,
    settings              TEXT NOT NULL DEFAULT '{}',    -- JSON, passed to the station
    created_at            TEXT NOT NULL,
    last_heartbeat_at     TEXT,
    last_heartbeat        TEXT                           -- JSON: version, state, outbox depth
);

CREATE TABLE grants (
    id                INTEGER PRIMARY KEY,
    person_id         TEXT NOT NULL REFERENCES people(id),
    skill_id          INTEGER NOT NULL REFERENCES skills(id),
    level             INTEGER NOT NULL CHECK (level BETWEEN 1 AND 3),
    granted_by        TEXT,
    granted_at        TEXT NOT NULL,
    valid_until       TEXT,                              -- a date; NULL: no expiry
    status            TEXT NOT NULL DEFAULT 'active'
                      CHECK (status IN ('active', 'suspended', 'revoked', 'superseded')),
    status_reason     TEXT,
    status_changed_at TEXT
);
CREATE UNIQUE INDEX grants_current ON grants(person_id, skill_id)
    WHERE status IN ('active', 'suspended');
CREATE INDEX grants_person ON grants(person_id, skill_id, status);
CREATE INDEX grants_skill ON grants(skill_id, status);
CREATE TRIGGER grants_are_history BEFORE DELETE ON grants
BEGIN
    SELECT RAISE(ABORT, 'training history is never deleted');
END;

CREATE TABLE grant_changes (
    id       INTEGER PRIMARY KEY,
    grant_id INTEGER NOT NULL REFERENCES grants(id),
    at       TEXT NOT NULL,
    status   TEXT NOT NULL,
    reason   TEXT,
    by       TEXT
);
CREATE INDEX grant_changes_grant ON grant_changes(grant_id);
CREATE TRIGGER grant_changes_are_history BEFORE DELETE ON grant_changes
BEGIN
    SELECT RAISE(ABORT, 'training history is never deleted');
END;

CREATE TABLE sessions (
    id            TEXT PRIMARY KEY,                  -- the station's session UUID
    machine_id    INTEGER NOT NULL REFERENCES machines(id),
    person_id     TEXT REFERENCES people(id),
    supervisor_id TEXT REFERENCES people(id),
    level         INTEGER,
    started_at    TEXT,                              -- NULL until session_started arrives
    ended_at      TEXT,                              -- NULL while open or until session_ended
    end_reason    TEXT,
    busy_seconds  REAL,
    job           TEXT,                              -- JSON: print job details
    counted       INTEGER NOT NULL DEFAULT 0         -- folded into practice
);
CREATE INDEX sessions_started ON sessions(started_at);
CREATE INDEX sessions_person ON sessions(person_id, started_at);
CREATE INDEX sessions_machine ON sessions(machine_id, started_at);

-- Per person and skill, what the sessions add up to. Kept when raw sessions
-- are purged, and the source of 'last practice' for lapses by inactivity.
CREATE TABLE practice (
    person_id           TEXT NOT NULL REFERENCES people(id),
    skill_id            INTEGER NOT NULL REFERENCES skills(id),
    sessions            INTEGER NOT NULL DEFAULT 0,
    supervised_sessions INTEGER NOT NULL DEFAULT 0,
    seconds             REAL NOT NULL DEFAULT 0,
    busy_seconds        REAL NOT NULL DEFAULT 0,
    first_at            TEXT,
    last_at             TEXT,
    PRIMARY KEY (person_id, skill_id)
);

CREATE TABLE events (
    id          TEXT PRIMARY KEY,                    -- the station's event UUID
    machine_id  INTEGER NOT NULL REFERENCES machines(id),
    type        TEXT NOT NULL,
    at          TEXT NOT NULL,
    received_at TEXT NOT NULL,
    person_id   TEXT,
    data        TEXT NOT NULL                        -- JSON: the event's own fields
);
CREATE INDEX events_at ON events(at);
CREATE INDEX events_type_at ON events(type, at);
CREATE INDEX events_person ON events(person_id);

CREATE TABLE facilitators (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    password_hash TEXT,
    person_id     TEXT REFERENCES people(id),        -- their own badge supervises level 1
    created_at    TEXT NOT NULL,
    disabled_at   TEXT
);

CREATE INDEX facilitators_person ON facilitators(person_id);

CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    subject TEXT,
    details TEXT                                     -- JSON
);
CREATE INDEX audit_log_at ON audit_log(at)
""",
    )
    for table, columns in _ACCESS_LIST_SOURCES.items():
        for change in ("INSERT", "UPDATE", "DELETE"):
            what = f"UPDATE OF {', '.join(columns)}" if change == "UPDATE" and columns else change
            db.execute(
                f"CREATE TRIGGER {table}_{change.lower()}_revision AFTER {what} ON {table} "
                "BEGIN UPDATE revision SET value = value + 1 WHERE id = 1; END"
            )
    # The last-practice *date* is in the access list; a later time the same day is not.
    db.execute(
        "CREATE TRIGGER practice_insert_revision AFTER INSERT ON practice "
        "BEGIN UPDATE revision SET value = value + 1 WHERE id = 1; END"
    )
    db.execute(
        "CREATE TRIGGER practice_update_revision AFTER UPDATE OF last_at ON practice "
        "WHEN date(NEW.last_at) IS NOT date(OLD.last_at) "
        "BEGIN UPDATE revision SET value = value + 1 WHERE id = 1; END"
    )
    db.execute(
        "INSERT INTO settings (key, value) VALUES ('badge_hash_secret', ?)",
        [secrets.token_hex(32)],
    )


@migration("0002_web_secret")
def _web_secret(db: Database) -> None:
    """The key that signs the facilitators' session cookies and CSRF tokens."""
    db.execute(
        "INSERT INTO settings (key, value) VALUES ('web_secret_key', ?)", [secrets.token_hex(32)]
    )


@migration("0003_badge_enrolment")
def _badge_enrolment(db: Database) -> None:
    """ "Tap the badge now": the person whose badge the next unknown tap will be, until when."""
    db.execute(
        """
        CREATE TABLE enrolments (
            id         INTEGER PRIMARY KEY,
            person_id  TEXT NOT NULL REFERENCES people(id),
            until      TEXT NOT NULL,
            by         TEXT NOT NULL,
            uid        TEXT,            -- the card bound, once tapped
            done_at    TEXT
        )
        """
    )


@migration("0004_open_sessions_index")
def _open_sessions_index(db: Database) -> None:
    """Who is on each machine now, without reading a year of closed sessions."""
    db.execute(
        "CREATE INDEX sessions_open ON sessions(machine_id, started_at) WHERE ended_at IS NULL"
    )


@migration("0005_practice_jobs")
def _practice_jobs(db: Database) -> None:
    """Prints completed, per person and skill: part of the parcours, kept through purges."""
    db.execute("ALTER TABLE practice ADD COLUMN jobs INTEGER NOT NULL DEFAULT 0")


@migration("0006_credential_key")
def _credential_key(db: Database) -> None:
    """The Ed25519 key the hub signs Open Badges credentials with."""
    from web.domain.credentials import new_signing_key

    db.execute(
        "INSERT INTO settings (key, value) VALUES ('credential_signing_key', ?)",
        [new_signing_key()],
    )


@migration("0007_presence")
def _presence(db: Database) -> None:
    """Time spent at the fablab (entrance badge in and out), per person, kept through purges."""
    db.execute(
        """
        CREATE TABLE presence (
            person_id TEXT PRIMARY KEY REFERENCES people(id),
            visits    INTEGER NOT NULL DEFAULT 0,
            seconds   REAL NOT NULL DEFAULT 0,
            first_at  TEXT,
            last_at   TEXT
        )
        """
    )


@migration("0008_station_screen")
def _station_screen(db: Database) -> None:
    """What the station's screen and voice need: each person's language, each machine's name
    as people read it; and the access list follows them (and the hub's contact settings)."""
    db.execute("ALTER TABLE people ADD COLUMN language TEXT")
    db.execute("ALTER TABLE machines ADD COLUMN display_name TEXT")
    for table, column in (("people", "language"), ("machines", "display_name")):
        db.execute(
            f"CREATE TRIGGER {table}_{column}_revision AFTER UPDATE OF {column} ON {table} "
            "BEGIN UPDATE revision SET value = value + 1 WHERE id = 1; END"
        )
    for change, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
        db.execute(
            f"CREATE TRIGGER settings_{change.lower()}_revision AFTER {change} ON settings "
            f"WHEN {row}.key IN ('contact_name', 'station_languages') "
            "BEGIN UPDATE revision SET value = value + 1 WHERE id = 1; END"
        )


_SECRET_SETTINGS = ("badge_hash_secret", "web_secret_key", "credential_signing_key")


@migration("0009_secrets_out_of_the_database")
def _secrets_out(db: Database) -> None:
    """The hub's secrets move to their own file (web/secrets.py): a copy of the database no
    longer gives a login, the badges or a signature. Zeroed where they were (secure_delete);
    `migrate` then empties the write-ahead log."""
    from web import secrets

    kept = dict(
        db.execute(
            f"SELECT key, value FROM settings WHERE key IN ({','.join('?' * 3)})",
            list(_SECRET_SETTINGS),
        ).fetchall()
    )
    signing = kept.get("credential_signing_key")
    secrets.ensure(
        {
            "badge": kept.get("badge_hash_secret"),
            "web": kept.get("web_secret_key"),
            "credential_key": {"kid": "key-1", "pem": signing, "created": ""} if signing else None,
        }
    )
    db.execute("PRAGMA secure_delete = ON")
    db.execute(f"DELETE FROM settings WHERE key IN ({','.join('?' * 3)})", list(_SECRET_SETTINGS))


@migration("0010_badge_hashes")
def _badge_hashes(db: Database) -> None:
    """The stations' badge hashes the hub has made (slow on purpose: scrypt), by salt, so a
    list is rebuilt in milliseconds; erased with the badge."""
    db.execute(
        """
        CREATE TABLE badge_hashes (
            salt TEXT NOT NULL,
            uid  TEXT NOT NULL,
            hash TEXT NOT NULL,
            PRIMARY KEY (salt, uid)
        ) WITHOUT ROWID
        """
    )
    db.execute("CREATE INDEX badge_hashes_uid ON badge_hashes(uid)")


@migration("0011_trusting_stations")
def _trusting_stations(db: Database) -> None:
    """What the hub needs to check what stations claim, and to forget by arrival time:
    when each session first arrived, whether it is held back, the anomalies found, and when
    each machine was out of service."""
    _statements(
        db,
        """
ALTER TABLE sessions ADD COLUMN received_at TEXT;
-- 0: folded as usual; 1: held back until the facilitator looks; 2: left out by them.
ALTER TABLE sessions ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
UPDATE sessions SET received_at = coalesce(started_at, ended_at);
CREATE INDEX sessions_received ON sessions(received_at);
CREATE INDEX events_received ON events(received_at);

CREATE TABLE anomalies (
    id          INTEGER PRIMARY KEY,
    machine_id  INTEGER NOT NULL REFERENCES machines(id),
    session_id  TEXT,
    event_id    TEXT,
    person_id   TEXT REFERENCES people(id),
    code        TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '',
    found_at    TEXT NOT NULL,
    resolved_at TEXT,
    resolved_by TEXT,
    resolution  TEXT CHECK (resolution IN ('accepted', 'left_out'))
);
CREATE INDEX anomalies_open ON anomalies(resolved_at, found_at);
CREATE INDEX anomalies_session ON anomalies(session_id);
CREATE INDEX anomalies_person ON anomalies(person_id);

CREATE TABLE machine_service (
    id         INTEGER PRIMARY KEY,
    machine_id INTEGER NOT NULL REFERENCES machines(id),
    from_at    TEXT NOT NULL,
    until_at   TEXT,
    reason     TEXT
);
CREATE INDEX machine_service_machine ON machine_service(machine_id, from_at);
INSERT INTO machine_service (machine_id, from_at, reason)
    SELECT id, created_at, out_of_service_reason FROM machines WHERE out_of_service = 1;
""",
    )


@migration("0012_facilitator_sessions_and_roles")
def _facilitator_sessions(db: Database) -> None:
    """Logins the hub can end (logout, a disabled account, a new password, a lifetime), and
    two roles: facilitators, and administrators (erasure, tokens, accounts, machines). The
    accounts that exist already keep every right they had: administrators."""
    _statements(
        db,
        """
ALTER TABLE facilitators ADD COLUMN role TEXT NOT NULL DEFAULT 'facilitator'
    CHECK (role IN ('facilitator', 'admin'));
UPDATE facilitators SET role = 'admin';
CREATE TABLE web_sessions (
    id             TEXT PRIMARY KEY,              -- random; only its hash would do, but it
    facilitator_id INTEGER NOT NULL REFERENCES facilitators(id),  -- lives in a signed cookie
    created_at     TEXT NOT NULL,
    last_seen_at   TEXT NOT NULL,
    ended_at       TEXT,
    address        TEXT
);
CREATE INDEX web_sessions_facilitator ON web_sessions(facilitator_id);
""",
    )


@migration("0013_at_the_machine")
def _at_the_machine(db: Database) -> None:
    """What happens at the machine beyond a tap: a safety checklist per skill (or machine),
    progress thresholds, calls for the facilitator, problem reports, and stops the
    facilitator asks for now rather than at the end of a session."""
    _statements(
        db,
        """
ALTER TABLE skills ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
-- now: a session running ends after a countdown (a print goes on); cancel: the print too;
-- end: the session runs to its end.
ALTER TABLE machines ADD COLUMN out_of_service_when TEXT NOT NULL DEFAULT 'now'
    CHECK (out_of_service_when IN ('now', 'end', 'cancel'));
-- The safety checklist confirmed before the session, as the station sent it (JSON).
ALTER TABLE sessions ADD COLUMN checklist TEXT;
ALTER TABLE grant_changes ADD COLUMN stop_now INTEGER NOT NULL DEFAULT 0;

CREATE TABLE checklist_items (
    id         INTEGER PRIMARY KEY,
    skill_id   INTEGER NOT NULL REFERENCES skills(id),
    machine_id INTEGER REFERENCES machines(id),   -- NULL: every machine of the skill
    position   INTEGER NOT NULL,
    icon       TEXT NOT NULL,
    text_fr    TEXT NOT NULL,
    text_en    TEXT,
    text_ar    TEXT
);
CREATE INDEX checklist_items_skill ON checklist_items(skill_id, position);

CREATE TABLE calls (
    id         INTEGER PRIMARY KEY,
    event_id   TEXT NOT NULL UNIQUE,
    machine_id INTEGER NOT NULL REFERENCES machines(id),
    person_id  TEXT REFERENCES people(id),
    at         TEXT NOT NULL,
    seen_at    TEXT,
    seen_by    TEXT
);
CREATE INDEX calls_open ON calls(seen_at, at);

CREATE TABLE reports (
    id         INTEGER PRIMARY KEY,
    event_id   TEXT NOT NULL UNIQUE,
    machine_id INTEGER NOT NULL REFERENCES machines(id),
    person_id  TEXT REFERENCES people(id),
    category   TEXT NOT NULL,
    at         TEXT NOT NULL,
    handled_at TEXT,
    handled_by TEXT,
    outcome    TEXT
);
CREATE INDEX reports_open ON reports(handled_at, at);
""",
    )
    for change in ("INSERT", "UPDATE", "DELETE"):
        db.execute(
            f"CREATE TRIGGER checklist_items_{change.lower()}_revision AFTER {change} "
            "ON checklist_items BEGIN UPDATE revision SET value = value + 1 WHERE id = 1; END"
        )
    db.execute(
        "CREATE TRIGGER machines_out_of_service_when_revision AFTER UPDATE OF "
        "out_of_service_when ON machines "
        "BEGIN UPDATE revision SET value = value + 1 WHERE id = 1; END"
    )
    # A call seen by the facilitator: the station says so to whoever called.
    db.execute(
        "CREATE TRIGGER calls_seen_revision AFTER UPDATE OF seen_at ON calls "
        "BEGIN UPDATE revision SET value = value + 1 WHERE id = 1; END"
    )
    # The lists now carry each person's hours of practice (for their progress at badge-out).
    db.execute("DROP TRIGGER practice_update_revision")
    db.execute(
        "CREATE TRIGGER practice_update_revision AFTER UPDATE OF last_at, seconds ON practice "
        "BEGIN UPDATE revision SET value = value + 1 WHERE id = 1; END"
    )
