"""Facilitator accounts: a name and an argon2 password hash; optionally their own badge."""

from __future__ import annotations

from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlite_utils import Database

from common.clock import now_iso
from web.db import fetch_one, writing
from web.domain import audit
from web.domain.errors import Conflict, Invalid

MIN_PASSWORD = 10
_hasher = PasswordHasher()


def add_facilitator(
    db: Database, name: str, password: str, *, person_id: str | None = None, actor: str
) -> int:
    name = name.strip()
    if not name or len(name) > 40:
        raise Invalid("a facilitator's name has 1 to 40 characters")
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"a password has at least {MIN_PASSWORD} characters")
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
                    "created_at": now_iso(),
                }
            )
            .last_pk
        )
        audit.record(db, actor, "facilitator.add", name)
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
