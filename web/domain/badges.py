"""Badges: a card UID bound to one person, revocable, with its history kept."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from sqlite_utils import Database

from common.clock import now_iso
from common.uid import InvalidUid, normalise_uid
from web.db import fetch_one, writing
from web.domain import audit, people
from web.domain.errors import Conflict, Invalid, NotFound


def _uid(raw: str) -> str:
    try:
        return normalise_uid(raw)
    except InvalidUid as error:
        raise Invalid(str(error)) from error


def assign_badge(db: Database, person_id: str, uid: str, *, actor: str) -> str:
    """Bind a card to a person; return the normalised UID.

    A card already in use by someone else is refused (revoke it first); giving
    a person the card they already hold changes nothing.
    """
    uid = _uid(uid)
    with writing(db):
        people.get_person(db, person_id)
        owner = owner_of(db, uid)
        if owner is not None:
            if owner["person_id"] == person_id:
                return uid
            raise Conflict(
                f"badge {uid} already belongs to someone else (person {owner['person_id']})"
            )
        db["badges"].insert({"uid": uid, "person_id": person_id, "assigned_at": now_iso()})
        audit.record(db, actor, "badge.assign", person_id, uid=uid)
    return uid


def revoke_badge(db: Database, uid: str, *, reason: str | None = None, actor: str) -> None:
    uid = _uid(uid)
    with writing(db):
        owner = owner_of(db, uid)
        if owner is None:
            raise NotFound(f"no badge {uid} in use")
        db["badges"].update(owner["id"], {"revoked_at": now_iso(), "revoked_reason": reason})
        audit.record(db, actor, "badge.revoke", owner["person_id"], uid=uid, reason=reason)


def owner_of(db: Database, uid: str) -> dict[str, Any] | None:
    """The badge row in use with this UID, or None."""
    return fetch_one(db, "SELECT * FROM badges WHERE uid = ? AND revoked_at IS NULL", [uid])


def station_key(db: Database, machine_id: int) -> bytes:
    """The key a given station hashes UIDs with, derived from the hub's secret."""
    from web import secrets

    return hmac.new(
        secrets.get().badge, f"badge-hash/v1/{machine_id}".encode(), hashlib.sha256
    ).digest()
