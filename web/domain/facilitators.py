"""Facilitator accounts: a name, an argon2 password hash, a role; optionally their own badge.
And their logins, kept at the hub so that logging out, disabling an account or changing a
password ends them for good, whatever cookie a browser kept."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlite_utils import Database

from common.clock import now_iso, parse_timestamp
from web.db import fetch_all, fetch_one, writing
from web.domain import audit
from web.domain.errors import Conflict, Invalid, NotFound

MIN_PASSWORD = 10
_hasher = PasswordHasher()


ROLES = ("facilitator", "admin")
SESSION_LIFETIME = timedelta(hours=12)  # then log in again, however active
SESSION_IDLE = timedelta(hours=2)  # ... or after this long without a page


def add_facilitator(
    db: Database,
    name: str,
    password: str,
    *,
    person_id: str | None = None,
    role: str = "facilitator",
    actor: str,
) -> int:
    name = name.strip()
    if not name or len(name) > 40:
        raise Invalid("a facilitator's name has 1 to 40 characters")
    _check_password(password)
    if role not in ROLES:
        raise Invalid(f"a role is one of {', '.join(ROLES)}")
    with writing(db):
        if fetch_one(db, "SELECT id FROM facilitators WHERE name = ?", [name]):
            raise Conflict(f"a facilitator named {name} already exists")
        facilitator_id = (
            db["facilitators"]
            .insert(
                {
                    "name": name,
                    "password_hash": _hasher.hash(password),
                    "person_id": person_id,
                    "role": role,
                    "created_at": now_iso(),
                }
            )
            .last_pk
        )
        audit.record(db, actor, "facilitator.add", name, role=role)
    return facilitator_id


def authenticate(db: Database, name: str, password: str) -> dict[str, Any] | None:
    """The facilitator if the password is right and the account active, else None."""
    row = fetch_one(
        db, "SELECT * FROM facilitators WHERE name = ? AND disabled_at IS NULL", [name.strip()]
    )
    if row is None or not row["password_hash"]:
        _hasher.hash(password)  # same work either way: no timing hint that the name exists
        return None
    try:
        _hasher.verify(row["password_hash"], password)
    except (VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(row["password_hash"]):
        db["facilitators"].update(row["id"], {"password_hash": _hasher.hash(password)})
    return row


def get_facilitator(db: Database, facilitator_id: int) -> dict[str, Any] | None:
    return fetch_one(
        db, "SELECT * FROM facilitators WHERE id = ? AND disabled_at IS NULL", [facilitator_id]
    )


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"a password has at least {MIN_PASSWORD} characters")


def _by_name(db: Database, name: str) -> dict[str, Any]:
    row = fetch_one(db, "SELECT * FROM facilitators WHERE name = ?", [name.strip()])
    if row is None:
        raise NotFound(f"no facilitator named {name}")
    return row


def disable(db: Database, name: str, *, actor: str) -> None:
    """The account can no longer log in, and its open logins end now."""
    with writing(db):
        row = _by_name(db, name)
        db["facilitators"].update(row["id"], {"disabled_at": now_iso()})
        end_all_sessions(db, row["id"])
        audit.record(db, actor, "facilitator.disable", name)


def enable(db: Database, name: str, *, actor: str) -> None:
    """A disabled account may log in again (with its password as it was)."""
    with writing(db):
        row = _by_name(db, name)
        db["facilitators"].update(row["id"], {"disabled_at": None})
        audit.record(db, actor, "facilitator.enable", name)


def list_facilitators(db: Database) -> list[dict[str, Any]]:
    """The accounts, with their last login (never their password's hash)."""
    return fetch_all(
        db,
        """
        SELECT facilitators.id, facilitators.name, facilitators.role, facilitators.person_id,
               facilitators.disabled_at,
               (SELECT max(web_sessions.created_at) FROM web_sessions
                WHERE web_sessions.facilitator_id = facilitators.id) AS last_login
        FROM facilitators ORDER BY facilitators.name
        """,
    )


def set_password(db: Database, name: str, password: str, *, actor: str) -> None:
    """A new password; every login made with the old one ends."""
    _check_password(password)
    with writing(db):
        row = _by_name(db, name)
        db["facilitators"].update(row["id"], {"password_hash": _hasher.hash(password)})
        end_all_sessions(db, row["id"])
        audit.record(db, actor, "facilitator.password", name)


def start_session(db: Database, facilitator_id: int, address: str) -> str:
    session_id = secrets.token_urlsafe(24)
    now = now_iso()
    with writing(db):
        db["web_sessions"].insert({"id": session_id, "facilitator_id": facilitator_id,
                                   "created_at": now, "last_seen_at": now,
                                   "address": address})  # fmt: skip
    return session_id


def session_user(db: Database, session_id: str | None) -> dict[str, Any] | None:
    """The facilitator a login belongs to, if it is still good: not ended, not older than
    its lifetime, used recently, its account active. Notes its use (once a minute)."""
    if not session_id:
        return None
    row = fetch_one(
        db,
        """
        SELECT facilitators.*, web_sessions.created_at AS session_created,
               web_sessions.last_seen_at AS session_seen
        FROM web_sessions JOIN facilitators ON facilitators.id = web_sessions.facilitator_id
        WHERE web_sessions.id = ? AND web_sessions.ended_at IS NULL
          AND facilitators.disabled_at IS NULL
        """,
        [session_id],
    )
    if row is None:
        return None
    now = datetime.now(UTC)
    created, seen = parse_timestamp(row["session_created"]), parse_timestamp(row["session_seen"])
    if now - created > SESSION_LIFETIME or now - seen > SESSION_IDLE:
        end_session(db, session_id)
        return None
    if now - seen > timedelta(minutes=1):
        with writing(db):
            db["web_sessions"].update(session_id, {"last_seen_at": now_iso()})
    return row


def end_session(db: Database, session_id: str) -> None:
    with writing(db):
        db.execute("UPDATE web_sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL",
                   [now_iso(), session_id])  # fmt: skip


def end_all_sessions(db: Database, facilitator_id: int) -> None:
    db.execute(
        "UPDATE web_sessions SET ended_at = ? WHERE facilitator_id = ? AND ended_at IS NULL",
        [now_iso(), facilitator_id],
    )
