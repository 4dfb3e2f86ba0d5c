"""The partner agreements the weekly export is written for. A person who agreed to partner
sharing appears in a partner's row-level files under a pseudonym of that agreement's own:
stable from week to week (a counsellor follows progress), different for every partner (two
partners cannot join their files), computable only with the hub's secret."""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

from sqlite_utils import Database

from common.clock import now_iso
from web.db import fetch_all, fetch_one, writing
from web.domain import audit
from web.domain.errors import Conflict, Invalid, NotFound

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$")


def add(db: Database, slug: str, name: str, *, actor: str) -> dict[str, Any]:
    if not SLUG.match(slug):
        raise Invalid("a partner's short name has 3 to 40 lowercase letters, digits and dashes")
    if not 0 < len(name.strip()) <= 80:
        raise Invalid("a partner's name has 1 to 80 characters")
    with writing(db):
        if fetch_one(db, "SELECT id FROM partners WHERE slug = ?", [slug]):
            raise Conflict(f"a partner {slug} exists already")
        db["partners"].insert({"slug": slug, "name": name.strip(), "created_at": now_iso()})
        audit.record(db, actor, "partner.add", slug, name=name.strip())
    return get(db, slug)


def end(db: Database, slug: str, *, actor: str) -> None:
    with writing(db):
        get(db, slug)
        db.execute("UPDATE partners SET ended_at = ? WHERE slug = ?", [now_iso(), slug])
        audit.record(db, actor, "partner.end", slug)


def get(db: Database, slug: str) -> dict[str, Any]:
    found = fetch_one(db, "SELECT * FROM partners WHERE slug = ?", [slug])
    if found is None:
        raise NotFound(f"no partner {slug}")
    return found


def current(db: Database) -> list[dict[str, Any]]:
    return fetch_all(db, "SELECT * FROM partners WHERE ended_at IS NULL ORDER BY name")


def pseudonym(partner: dict[str, Any], person_id: str) -> str:
    """The person as this partner sees them: "P" and 10 hex digits."""
    from web import secrets

    message = f"partner/{partner['id']}/{partner['slug']}/{person_id}".encode()
    return "P" + hmac.new(secrets.get().badge, message, hashlib.sha256).hexdigest()[:10]
