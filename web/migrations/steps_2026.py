"""Schema steps from 0009: secrets out of the database, trusting stations, facilitator logins,
the moments at the machine, statistics. See web.migrations; never edit a shipped step."""

from __future__ import annotations

from sqlite_utils import Database

from web.migrations import _statements, migration

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


@migration("0014_usage_totals")
def _usage_totals(db: Database) -> None:
    """Totals the history pages read, kept as sessions are counted (web.domain.stats): per
    week and per month and machine, and who used what each week and month (to count people
    without reading every session). Filled from the sessions counted so far."""
    _statements(
        db,
        """
CREATE TABLE usage_periods (
    period       TEXT NOT NULL,              -- an ISO week (2026-W48) or a month (2026-11),
    machine_id   INTEGER NOT NULL REFERENCES machines(id),  -- in the fablab's time zone
    sessions     INTEGER NOT NULL DEFAULT 0,
    seconds      REAL NOT NULL DEFAULT 0,
    busy_seconds REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (period, machine_id)
) WITHOUT ROWID;
CREATE TABLE usage_people (
    period    TEXT NOT NULL,                 -- an ISO week (2026-W48) or a month (2026-11)
    scope     TEXT NOT NULL,                 -- '*' every machine but the entrance,
                                             -- 'm:ID' a machine, 's:ID' a skill's machines
    person_id TEXT NOT NULL,                 -- a random token once the period is purged
    PRIMARY KEY (scope, period, person_id)
) WITHOUT ROWID;
CREATE TABLE usage_counts (                  -- the rows above, counted as they come
    scope  TEXT NOT NULL,
    period TEXT NOT NULL,
    people INTEGER NOT NULL,
    PRIMARY KEY (scope, period)
) WITHOUT ROWID;
CREATE INDEX grants_granted_at ON grants(granted_at);
""",
    )
    from web.domain import stats

    stats.rebuild(db)


@migration("0015_credentials_that_travel")
def _credentials_that_travel(db: Database) -> None:
    """Credentials as issued (for their public verification page and their place in the
    status list), the fablabs whose credentials this one recognises, and where a training
    recognised from another fablab came from."""
    _statements(
        db,
        """
CREATE TABLE issued_credentials (
    id           TEXT PRIMARY KEY,              -- a UUID: the credential's URL ends with it
    grant_id     INTEGER NOT NULL REFERENCES grants(id),
    person_id    TEXT NOT NULL REFERENCES people(id),
    status_index INTEGER NOT NULL UNIQUE,       -- its bit in the published status list
    holder_name  TEXT,                          -- shown on the verification page, if chosen
    issued_at    TEXT NOT NULL,
    revoked_at   TEXT,                          -- its status bit is set, for good
    revoked_why  TEXT,
    token        TEXT NOT NULL                  -- the signed credential, as handed over
);
CREATE INDEX issued_credentials_grant ON issued_credentials(grant_id);
CREATE INDEX issued_credentials_person ON issued_credentials(person_id);
CREATE TABLE trusted_issuers (
    id         INTEGER PRIMARY KEY,
    issuer     TEXT NOT NULL UNIQUE,            -- did:web:... of another fablab
    name       TEXT NOT NULL,
    jwks       TEXT NOT NULL,                   -- its public keys, JSON, as last fetched
    fetched_at TEXT,
    added_by   TEXT NOT NULL,
    added_at   TEXT NOT NULL
);
ALTER TABLE grants ADD COLUMN recognised_from TEXT;  -- JSON: issuer, name, credential, date
""",
    )


@migration("0016_partner_agreements")
def _partner_agreements(db: Database) -> None:
    """The partners the weekly export is written for (France Travail, Mission Locale, PLIE):
    each agreement gives the people who agreed a pseudonym of its own."""
    _statements(
        db,
        """
CREATE TABLE partners (
    id         INTEGER PRIMARY KEY,
    slug       TEXT NOT NULL UNIQUE,                -- in file names: mission-locale
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    ended_at   TEXT                                 -- no more exports after that
);
""",
    )
