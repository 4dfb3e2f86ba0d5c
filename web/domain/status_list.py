"""The W3C Bitstring Status List the hub publishes: one bit per credential issued, set (for
good: the purpose is "revocation") when its training is revoked or suspended, lapses for
lack of practice, or its holder is erased. A verifier reads the bit at the credential's
`statusListIndex` in the signed list at `statusListCredential`.

The list is 131,072 bits (16 KiB, the minimum the specification sets, so that one
credential cannot be told from the others by the list's size), GZIP-compressed, base64url
with the multibase prefix "u". Indices are drawn at random, never in order.
"""

from __future__ import annotations

import base64
import gzip
import secrets
from datetime import date
from typing import Any

from sqlite_utils import Database

from common.clock import now_iso
from web.db import fetch_all, writing
from web.domain.training_state import LAST_PRACTICE, PRACTICE_JOIN, state_of

SIZE = 131_072
PURPOSE = "revocation"
LIST_PATH = "/badges/statut/1"
ENDED = ("lapsed", "suspended", "revoked", "superseded")


def new_index(db: Database) -> int:
    """A free bit, at random."""
    used = {row[0] for row in db.execute("SELECT status_index FROM issued_credentials")}
    if len(used) >= SIZE:
        raise RuntimeError("the status list is full")
    while (index := secrets.randbelow(SIZE)) in used:
        pass
    return index


def revoke(db: Database, why: str, *, grant_id: int | None = None,
           person_id: str | None = None) -> int:  # fmt: skip
    """Set the bits of a training's credentials, or of all of a person's; how many."""
    column, value = ("grant_id", grant_id) if grant_id is not None else ("person_id", person_id)
    return db.execute(
        f"UPDATE issued_credentials SET revoked_at = ?, revoked_why = ? "
        f"WHERE {column} = ? AND revoked_at IS NULL",
        [now_iso(), why, value],
    ).rowcount


def sweep(db: Database, today: date | None = None) -> int:
    """Credentials whose training has lapsed for lack of practice since they were issued
    (or was suspended, revoked or replaced without passing through grants): their bits.
    Reads only, unless a bit is to be set: public pages call it without taking the lock."""
    rows = fetch_all(
        db,
        f"""
        SELECT DISTINCT grants.*, skills.inactivity_months, {LAST_PRACTICE}
        FROM issued_credentials
        JOIN grants ON grants.id = issued_credentials.grant_id
        JOIN skills ON skills.id = grants.skill_id
        {PRACTICE_JOIN}
        WHERE issued_credentials.revoked_at IS NULL
        """,
    )
    ended = [(grant["id"], state.code) for grant in rows
             if (state := state_of(grant, today or date.today())).code in ENDED]  # fmt: skip
    if not ended:
        return 0
    with writing(db):
        return sum(revoke(db, why, grant_id=grant_id) for grant_id, why in ended)


def encoded(db: Database) -> str:
    bits = bytearray(SIZE // 8)
    for (index,) in db.execute(
        "SELECT status_index FROM issued_credentials WHERE revoked_at IS NOT NULL"
    ):
        bits[index // 8] |= 0x80 >> (index % 8)  # the first bit is the leftmost
    packed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).rstrip(b"=").decode()


def entry(base: str, index: int) -> dict[str, Any]:
    """A credential's `credentialStatus`."""
    url = base + LIST_PATH
    return {"id": f"{url}#{index}", "type": "BitstringStatusListEntry",
            "statusPurpose": PURPOSE, "statusListIndex": str(index),
            "statusListCredential": url}  # fmt: skip


def list_credential(db: Database, base: str, issuer: str) -> dict[str, Any]:
    """The status list itself, as a credential (the hub signs it like the others)."""
    url = base + LIST_PATH
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": now_iso()[:19] + "Z",
        "credentialSubject": {"id": f"{url}#list", "type": "BitstringStatusList",
                              "statusPurpose": PURPOSE, "encodedList": encoded(db)},
    }  # fmt: skip
