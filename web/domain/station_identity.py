"""How each station knows people and badges: under its own salt and its own person ids.

Two stations' lists cannot be matched against each other (different salts, different
person ids), and a stolen list reveals a badge only to someone who pays scrypt's price for
every guess. Derived from the hub's `badge` secret (web/secrets.py), so rotating it changes
every station's salt and ids at once.

Badge hashes are slow on purpose, so the hub keeps the ones it made (`badge_hashes`, keyed
by salt): a list is rebuilt in milliseconds after any change; only a new badge costs one
hash per station that lists it.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time

from sqlite_utils import Database

from common.uid import BadgeHash
from web import secrets
from web.db import fetch_all, writing

# Crockford's base32, as person ids are written: a station's alias looks like any id.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_aliases_lock = threading.Lock()
# (secret, machine): (when made, {alias: person}); made again at most once a second, so
# a station sending ids nobody has cannot make the hub work for each of them.
_aliases: dict[tuple[bytes, int], tuple[float, dict[str, str]]] = {}


def _derive(purpose: str, machine_id: int) -> bytes:
    key = secrets.get().badge
    return hmac.new(key, f"{purpose}/v2/{machine_id}".encode(), hashlib.sha256).digest()


def badge_hash(machine_id: int) -> BadgeHash:
    return BadgeHash(salt=_derive("badge-salt", machine_id)[:16])


def alias(machine_id: int, person_id: str) -> str:
    """The id under which `machine_id`'s station knows the person: 8 characters, like an id."""
    return _alias(_derive("person-alias", machine_id), person_id)


def _alias(key: bytes, person_id: str) -> str:
    number = int.from_bytes(hmac.digest(key, person_id.encode(), "sha256")[:5], "big")
    return "".join(_ALPHABET[(number >> shift) & 31] for shift in range(35, -5, -5))


def aliases(machine_id: int, person_ids: list[str]) -> dict[str, str]:
    """{person: alias} for the people a list names; remembered, so the events that come back
    with these ids are understood at once."""
    derived = _derive("person-alias", machine_id)
    made = {person: _alias(derived, person) for person in person_ids}
    key = (secrets.get().badge, machine_id)
    with _aliases_lock:
        when, known = _aliases.get(key, (0.0, {}))
        _aliases[key] = (when, {**known, **{value: person for person, value in made.items()}})
    return made


def person_for(db: Database, machine_id: int, station_id: str) -> str | None:
    """The person behind an id a station sent: its alias for them (or, from a station that
    has not had a list of this kind yet, their own id); None when nobody."""
    key = (secrets.get().badge, machine_id)
    with _aliases_lock:
        made, known = _aliases.get(key, (0.0, {}))
    if station_id not in known and time.monotonic() - made > 1.0:  # someone new: again
        derived = _derive("person-alias", machine_id)
        rows = fetch_all(db, "SELECT id FROM people WHERE erased_at IS NULL")
        known = {_alias(derived, row["id"]): row["id"] for row in rows}
        with _aliases_lock:
            _aliases[key] = (time.monotonic(), known)
    if station_id in known:
        return known[station_id]
    own = fetch_all(db, "SELECT id FROM people WHERE id = ? AND erased_at IS NULL", [station_id])
    return own[0]["id"] if own else None


def hashes(db: Database, scheme: BadgeHash, uids: list[str]) -> dict[str, str]:
    """Each UID's hash under `scheme`, from those kept, making (and keeping) the missing."""
    salt = scheme.salt.hex()
    kept = {
        row["uid"]: row["hash"]
        for row in fetch_all(db, "SELECT uid, hash FROM badge_hashes WHERE salt = ?", [salt])
    }
    missing = [uid for uid in uids if uid not in kept]
    if missing:
        made = {uid: scheme.of(uid) for uid in missing}
        with writing(db):
            db.conn.executemany(
                "INSERT OR IGNORE INTO badge_hashes (salt, uid, hash) VALUES (?, ?, ?)",
                [(salt, uid, value) for uid, value in made.items()],
            )
        kept.update(made)
    return {uid: kept[uid] for uid in uids}
