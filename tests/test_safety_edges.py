"""Behaviours a mutation audit found no test for (issue 20), each stated once: the purge's
cut-off and boundary, what erasure removes, a session's supervisor and clock, the outbox's
durability and journal, UID lengths and overlong lines, a grant's level, validity and
reinstatement, a saved access list that is not a dict."""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from badge.decoders import LineDecoder
from common.uid import InvalidUid, normalise_uid
from kiosk.access import AccessListInvalid, AccessListStore
from kiosk.outbox import Outbox, new_event
from tests.conftest import event
from web.domain import enrolment, erasure, grants, machines, people
from web.domain import events as ingest
from web.domain.errors import Conflict, Invalid
from web.domain.purge import cutoff, purge

# --- the purge -------------------------------------------------------------------------------


def test_the_purge_keeps_the_last_months_and_cuts_at_midnight():
    now = datetime(2026, 11, 30, 15, 42, tzinfo=UTC)
    assert cutoff(3, now=now) == datetime(2026, 8, 30, tzinfo=UTC)  # three months back
    assert cutoff(1, now=datetime(2026, 3, 31, 9, tzinfo=UTC)) == datetime(2026, 2, 28, tzinfo=UTC)
    assert cutoff(now=now) == cutoff(3, now=now)


def test_the_purge_deletes_before_its_limit_and_nothing_after(db, fablab):
    amina = fablab.person("Amina", "DEADBEEF", decoupe_laser=2)
    laser = machines.get_machine(db, "laser")
    ids = {}
    for name, at in (("old", "2026-05-01T10:00:00.000Z"), ("edge", "2026-08-30T00:00:00.000Z"),
                     ("new", "2026-11-01T10:00:00.000Z")):  # fmt: skip
        session = str(uuid.uuid4())
        ingest.ingest(db, laser, [event("session_started", at=at, session=session, person=amina),
                                  event("session_ended", at=at, session=session,
                                        reason="badge_out")])  # fmt: skip
        db.execute("UPDATE sessions SET received_at = ? WHERE id = ?", [at, session])
        db.execute("UPDATE events SET received_at = ? WHERE json_extract(data, '$.session') = ?",
                   [at, session])  # fmt: skip
        ids[name] = session
    totals = db.execute("SELECT sessions, seconds FROM practice").fetchall()
    done = purge(db, datetime(2026, 8, 30, tzinfo=UTC), actor="test")
    kept = {row[0] for row in db.execute("SELECT id FROM sessions")}
    assert kept == {ids["edge"], ids["new"]}  # strictly before the limit goes
    assert done == {"events": 2, "sessions": 1}
    assert db.execute("SELECT sessions, seconds FROM practice").fetchall() == totals  # stay


# --- erasure ---------------------------------------------------------------------------------


def test_erasure_removes_enrolments_and_the_statistics(db, fablab):
    person = people.add_person(db, "Nour Haddad", age_band="26_44", gender="female",
                               consent_statistics=True, actor="test")  # fmt: skip
    enrolment.start(db, person, actor="test")
    erasure.erase(db, person, actor="test")
    assert db.execute("SELECT count(*) FROM enrolments").fetchone()[0] == 0
    row = db.execute("SELECT display_name, age_band, gender, consent_statistics, erased_at "
                     "FROM people WHERE id = ?", [person]).fetchone()  # fmt: skip
    assert row[:4] == ("", None, None, 0) and row[4]


# --- sessions --------------------------------------------------------------------------------


def test_an_unknown_supervisor_rejects_that_event_not_the_batch(db, fablab):
    amina = fablab.person("Amina", "DEADBEEF", decoupe_laser=1)
    laser = machines.get_machine(db, "laser")
    session = str(uuid.uuid4())
    result = ingest.ingest(db, laser, [
        event("session_started", session=session, person=amina, supervisor="ZZZZZZZZ"),
        event("denied", person=amina, reason="not_trained"),
    ])  # fmt: skip
    assert [item["index"] for item in result.rejected] == [0]
    assert "supervisor" in result.rejected[0]["reason"]
    assert db.execute("SELECT count(*) FROM events WHERE type = 'denied'").fetchone()[0] == 1


def test_a_clock_that_steps_back_never_gives_negative_practice(db, fablab):
    amina = fablab.person("Amina", "DEADBEEF", decoupe_laser=2)
    laser = machines.get_machine(db, "laser")
    session, start = str(uuid.uuid4()), datetime.now(UTC) - timedelta(hours=1)
    ingest.ingest(db, laser, [
        event("session_started", at=start, session=session, person=amina),
        event("session_ended", at=start - timedelta(minutes=5), session=session,
              reason="badge_out"),
    ])  # fmt: skip
    seconds = db.execute("SELECT coalesce(sum(seconds), 0) FROM practice").fetchone()[0]
    assert seconds >= 0


# --- the station's outbox --------------------------------------------------------------------


def test_the_outbox_syncs_every_append_to_disk(tmp_path):
    outbox = Outbox(tmp_path / "outbox.db")
    assert outbox._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL: fsync per commit
    assert outbox._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # on disk
    outbox.close()


def test_a_cleared_journal_key_stays_cleared_after_a_restart(tmp_path):
    outbox = Outbox(tmp_path / "outbox.db")
    outbox.append(new_event("fault", code="x"), journal={"session": {"id": "s1"}})
    outbox.append(new_event("fault", code="y"), journal={"session": None})  # the session ended
    outbox.close()
    again = Outbox(tmp_path / "outbox.db")
    assert again.journal_get("session") is None  # nothing to re-close as "interrupted"
    again.close()


def test_a_full_outbox_says_the_disk_is_full(tmp_path):
    outbox = Outbox(tmp_path / "outbox.db", max_bytes=64 * 1024)
    with pytest.raises(sqlite3.Error, match="full"):
        for _ in range(1000):
            outbox.append(new_event("fault", code="filler", message="x" * 400))
    outbox.close()


# --- UIDs and readers ------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["DEADBEEF0", "DE", "DEADBEEF0102", "DEADBEEFDEADBEEFDEAD00", ""])
def test_only_whole_uids_of_real_cards_are_read(raw):
    with pytest.raises(InvalidUid):
        normalise_uid(raw)


def test_an_overlong_line_is_dropped_even_with_a_valid_start():
    decoder = LineDecoder()
    assert decoder.feed(b"DEADBEEF" + b"0" * 100 + b"\n") == []
    assert decoder.feed(b"DEADBEEF\n") == ["DEADBEEF"]  # and the next line is read again


def test_a_saved_access_list_that_is_not_an_object_is_a_fault(tmp_path):
    store = AccessListStore(tmp_path)
    store.path.write_text(json.dumps([1, 2, 3]))
    with pytest.raises(AccessListInvalid):
        store.load()
    store.path.write_text(json.dumps({"etag": "x", "list": [1]}))
    with pytest.raises(AccessListInvalid):
        store.load()


# --- grants ------------------------------------------------------------------------------------


@pytest.mark.parametrize("level", [0, 4, -1])
def test_a_level_outside_one_to_three_is_refused_by_the_hub(db, fablab, level):
    amina = fablab.person("Amina", "DEADBEEF")
    with pytest.raises(Invalid, match="level"):
        grants.grant(db, amina, "decoupe-laser", level=level, actor="test")


def test_a_validity_of_zero_months_is_refused_not_taken_as_the_default(db, fablab):
    amina = fablab.person("Amina", "DEADBEEF")
    with pytest.raises(Invalid, match="validity"):
        grants.grant(db, amina, "decoupe-laser", level=2, valid_months=0, actor="test")
    grants.grant(db, amina, "decoupe-laser", level=2, valid_months=1, actor="test")
    until = grants.history(db, amina)[0]["valid_until"]
    assert date.fromisoformat(until) <= date.today() + timedelta(days=31)


def test_an_active_training_cannot_be_reinstated(db, fablab):
    amina = fablab.person("Amina", "DEADBEEF", decoupe_laser=2)
    with pytest.raises(Conflict):
        grants.reinstate(db, amina, "decoupe-laser", actor="test")
