"""Schema steps 0001 to 0008: the first schema, enrolment by a tap, print jobs, presence at
the entrance, the station's screen. See web.migrations; never edit a step that has shipped."""

from __future__ import annotations

import secrets

from sqlite_utils import Database

from web.migrations import _ACCESS_LIST_SOURCES, _statements, migration


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
