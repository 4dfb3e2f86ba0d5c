"""A person's right to erasure: their identity and badges go; anonymous totals stay.

After `erase`, the person's display name and badge UIDs are nowhere in the database file or
its WAL: rows are deleted or blanked with SQLite's secure_delete on (freed pages are
zeroed), their name is scrubbed wherever it was written as text (as the trainer of others,
in a reason, in the audit log), the audit details that named a card are scrubbed, and the
WAL is checkpointed and truncated. The person's id goes to the erasure ledger, a file beside
the database (ids only), which `fablab-hub backup restore` applies again: a restored backup
never brings an erased person back.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from sqlite_utils import Database

from common.clock import now_iso
from web.db import fetch_all, writing
from web.domain import audit, people, status_list

ERASED = "(personne effacée)"
# What erasure does with each table web.domain.person_record exports (a test checks both
# name the same tables).
ON_ERASURE = {
    "people": "name, age band, gender and consents blanked; the id stays, meaning nobody",
    "badges": "deleted", "badge_hashes": "deleted", "enrolments": "deleted",
    "grants": "kept by id; the name scrubbed where it trained others or gave a reason",
    "grant_changes": "kept; the name scrubbed from who and why",
    "sessions": "kept by id, for the anonymous totals", "practice": "kept by id",
    "presence": "kept by id", "usage_people": "kept by id",
    "events": "the card's unknown-badge taps deleted; the rest kept by id",
    "anomalies": "kept by id; the name scrubbed from their text",
    "calls": "kept by id", "reports": "kept by id",
    "issued_credentials": "revoked; the name shown and the signed copy blanked",
    "facilitators": "unlinked from the person",
    "audit_log": "the name and the card numbers scrubbed from the details",
}  # fmt: skip
TEXT_COLUMNS = [("grants", "granted_by"), ("grants", "status_reason"), ("grant_changes", "by"),
                ("grant_changes", "reason"), ("anomalies", "detail"),
                ("audit_log", "details")]  # fmt: skip


def erase(db: Database, person_id: str, *, actor: str) -> None:
    name = people.get_person(db, person_id)["display_name"]  # NotFound if unknown or erased
    uids = [row["uid"] for row in fetch_all(db, "SELECT uid FROM badges WHERE person_id = ?",
                                            [person_id])]  # fmt: skip
    db.execute("PRAGMA secure_delete = ON")
    with writing(db):
        db.execute("DELETE FROM badges WHERE person_id = ?", [person_id])
        for uid in uids:  # the stations' hashes of their cards: brute-forced, they give the UID
            db.execute("DELETE FROM badge_hashes WHERE uid = ?", [uid])
        db.execute("DELETE FROM enrolments WHERE person_id = ?", [person_id])
        status_list.revoke(db, "erased", person_id=person_id)
        # The verification page stays (it says "withdrawn"); the signed copy is not served.
        db.execute("UPDATE issued_credentials SET holder_name = NULL, token = '' "
                   "WHERE person_id = ?", [person_id])  # fmt: skip
        db.execute(
            "UPDATE people SET display_name = '', age_band = NULL, gender = NULL, "
            "consent_statistics = 0, consent_partner_sharing = 0, erased_at = ? WHERE id = ?",
            [now_iso(), person_id],
        )
        db.execute("UPDATE facilitators SET person_id = NULL WHERE person_id = ?", [person_id])
        for uid in uids:
            db.execute(
                "DELETE FROM events WHERE type = 'unknown_badge' "
                "AND json_extract(data, '$.uid') = ?",
                [uid],
            )
            for entry in fetch_all(db, "SELECT id, details FROM audit_log WHERE details LIKE ?",
                                   [f"%{uid}%"]):  # fmt: skip
                details = json.loads(entry["details"])
                details = {k: ("(effacé)" if v == uid else v) for k, v in details.items()}
                db.execute("UPDATE audit_log SET details = ? WHERE id = ?",
                           [json.dumps(details), entry["id"]])  # fmt: skip
        _scrub(db, name)
        audit.record(db, actor, "person.erase", person_id)
    _remember(db, person_id)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("VACUUM")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _scrub(db: Database, name: str) -> None:
    """The name wherever a facilitator wrote it as text ("Formé par Amina Benali")."""
    if len(name.strip()) < 2:
        return
    for table, column in TEXT_COLUMNS:
        query = (f"SELECT rowid AS position, {column} AS text FROM {table} "
                 f"WHERE fold({column}) LIKE '%' || fold(?) || '%'")  # fmt: skip
        found = fetch_all(db, query, [name])
        for row in found:
            db.execute(f"UPDATE {table} SET {column} = ? WHERE rowid = ?",
                       [_without(row["text"], name), row["position"]])  # fmt: skip


def _without(text: str, name: str) -> str:
    """`text` with every spelling of `name` (capitals, accents) replaced, as whole words only
    ("Ali" goes, "Alimentation" stays)."""
    import re

    from web.db import fold

    folded, wanted = fold(text), fold(name)
    if len(folded) != len(text):  # fold() changed lengths (a decomposed form): as written
        return re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", ERASED, text, flags=re.IGNORECASE)
    out, start = [], 0
    for found in re.finditer(rf"(?<!\w){re.escape(wanted)}(?!\w)", folded):
        out += [text[start : found.start()], ERASED]
        start = found.end()
    return "".join([*out, text[start:]])


# --- the ledger -------------------------------------------------------------------------------


def ledger_path(db: Database) -> Path | None:
    """`<database>.erasures`, beside the database file (None for a database in memory)."""
    file = db.execute("PRAGMA database_list").fetchone()[2]
    return Path(f"{file}.erasures") if file else None


def _remember(db: Database, person_id: str) -> None:
    path = ledger_path(db)
    if path is None:
        return
    with open(path, "a", encoding="utf-8") as ledger:
        ledger.write(json.dumps({"person": person_id, "at": now_iso()}) + "\n")
        ledger.flush()
        os.fsync(ledger.fileno())


def erased_ids(*paths: Path) -> set[str]:
    found = set()
    for path in paths:
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    found.add(str(json.loads(line)["person"]))
                except (ValueError, KeyError, TypeError):
                    continue  # a line cut by a power failure: the others still count
    return found


def apply_ledger(db: Database, *extra: Path, actor: str) -> list[str]:
    """Erase again everyone the ledgers name who is back (a restored backup); who."""
    own = ledger_path(db)
    again = []
    for person_id in sorted(erased_ids(*([own] if own else []), *extra)):
        row = db.execute("SELECT erased_at FROM people WHERE id = ?", [person_id]).fetchone()
        if row is not None and row[0] is None:
            erase(db, person_id, actor=actor)
            again.append(person_id)
    return again
