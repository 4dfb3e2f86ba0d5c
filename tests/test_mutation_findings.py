"""What `make mutation` found alive, each killed by a test that states the behaviour the
mutant got wrong (docs/testing.md)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from badge.decoders import LineDecoder
from kiosk.access import AccessListStore
from tests.conftest import event
from web.domain import erasure, grants, machines
from web.domain import events as ingest
from web.domain.errors import Conflict
from web.domain.purge import purge

# --- found by `make mutation`: each test states what a surviving mutant got wrong ------------


def test_a_line_reader_drops_a_line_one_byte_too_long():
    decoder = LineDecoder()
    at_the_limit = b"DEADBEEF" + b" " * (LineDecoder.MAX_LINE - 8)
    assert decoder.feed(at_the_limit + b"\n") == ["DEADBEEF"]  # 64 characters: read
    assert decoder.feed(at_the_limit + b" \n") == []  # 65: dropped, though its start is good
    assert decoder.feed(b"XDEADBEEF\n") == []  # a stray letter is noise, not a line's end


def test_nobody_supervises_on_a_machine_out_of_service(db, fablab):
    from kiosk.access import AccessList
    from kiosk.decision import can_supervise
    from web.domain import access_list
    from web.domain.access_list import serialise

    fablab.person("Amina", "04A1B2C3D4E5F6", decoupe_laser=3)
    laser = machines.get_machine(db, "laser")
    _, body = serialise(access_list.build(db, laser["id"]))
    listed = AccessList.from_json(json.loads(body), "x")
    assert can_supervise(listed, "04A1B2C3D4E5F6", date.today()) is not None
    machines.set_out_of_service(db, "laser", "Lentille", actor="test")
    laser = machines.get_machine(db, "laser")
    _, body = serialise(access_list.build(db, laser["id"]))
    stopped = AccessList.from_json(json.loads(body), "y")
    assert can_supervise(stopped, "04A1B2C3D4E5F6", date.today()) is None
    assert can_supervise(None, "04A1B2C3D4E5F6", date.today()) is None


def test_erasure_scrubs_every_spelling_of_the_name_every_time():
    from web.domain.erasure import ERASED, _without

    text = "Formée par ZÉNOBIE Quartzfeld, puis revue par zenobie quartzfeld."
    assert _without(text, "Zénobie Quartzfeld") == f"Formée par {ERASED}, puis revue par {ERASED}."


def test_a_rejected_event_is_named_by_its_id(db, fablab):
    laser = machines.get_machine(db, "laser")
    bad = event("session_started", session=str(uuid.uuid4()), person="ZZZZZZZZ")
    result = ingest.ingest(db, laser, [bad, {"not": "an event"}])
    assert [item["id"] for item in result.rejected] == [bad["id"], None]


def test_reinstating_is_recorded_with_who_and_which_skill(db, fablab):
    amina = fablab.person("Amina", "DEADBEEF", decoupe_laser=2)
    grants.suspend(db, amina, "decoupe-laser", reason="Consignes", actor="claire")
    grants.reinstate(db, amina, "decoupe-laser", actor="samia")
    change = db.execute("SELECT status, by FROM grant_changes ORDER BY id DESC").fetchone()
    assert tuple(change) == ("active", "samia")
    entry = db.execute("SELECT actor, action, subject, details FROM audit_log "
                       "ORDER BY id DESC").fetchone()  # fmt: skip
    assert entry[:3] == ("samia", "grant.reinstate", amina)
    assert json.loads(entry[3]) == {"skill": "decoupe-laser"}
    with pytest.raises(Conflict, match="no suspended training to reinstate"):
        grants.reinstate(db, amina, "decoupe-laser", actor="samia")


def test_revoking_lets_a_running_session_end_unless_asked(db, fablab):
    amina = fablab.person("Amina", "DEADBEEF", decoupe_laser=2)
    grants.revoke(db, amina, "decoupe-laser", reason="Erreur", actor="claire")
    change = db.execute("SELECT stop_now FROM grant_changes ORDER BY id DESC").fetchone()
    assert not change[0]


def test_the_purge_says_what_it_did_and_forgets_who_in_past_periods(db, fablab):
    from web.domain import audit

    amina = fablab.person("Amina", "DEADBEEF", decoupe_laser=2)
    db.execute("INSERT INTO usage_people (period, scope, person_id) VALUES "
               "('2026-W30', 'fablab', ?), ('2026-W35', 'fablab', ?), ('2026-W36', 'fablab', ?), "
               "('2026-07', 'fablab', ?), ('2026-08', 'fablab', ?)", [amina] * 5)  # fmt: skip
    old = "2026-07-01T10:00:00.000Z"
    audit.record(db, "claire", "badge.assign", amina, uid="DEADBEEF")
    db.execute("UPDATE audit_log SET at = ? WHERE action = 'badge.assign'", [old])
    purge(db, datetime(2026, 9, 1, tzinfo=UTC), actor="cron")  # a Tuesday, in W36
    kept = {row[0]: row[1] for row in db.execute("SELECT period, person_id FROM usage_people")}
    # Periods over before the day before the limit: linked to nobody; the others, not yet.
    assert [period for period, who in sorted(kept.items()) if who == amina] == [
        "2026-08", "2026-W36"]  # fmt: skip
    assert all(who.startswith("anon-") and len(who) == 17 for who in kept.values() if who != amina)
    details = [json.loads(row[0]) for row in db.execute(
        "SELECT details FROM audit_log WHERE action = 'badge.assign'")]  # fmt: skip
    assert all(d["uid"] == "(purgé)" for d in details)
    entry = db.execute("SELECT actor, details FROM audit_log WHERE action = 'purge'").fetchone()
    assert entry[0] == "cron"
    assert json.loads(entry[1]) == {"before": "2026-09-01T00:00:00.000Z", "events": 0,
                                    "sessions": 0, "audit_scrubbed": len(details)}  # fmt: skip


def test_a_finished_print_counts_once_for_its_person(db, fablab):
    amina = fablab.person("Amina", "DEADBEEF", decoupe_laser=2)
    laser = machines.get_machine(db, "laser")
    session = str(uuid.uuid4())
    ingest.ingest(db, laser, [
        event("session_started", session=session, person=amina),
        event("session_ended", session=session, reason="job_done"),
    ])  # fmt: skip
    ingest.ingest(db, laser, [event("job", state="progress", progress=50, session=session),
                              event("job", state="done", file="cube.gcode", session=session),
                              event("job", state="done", file="orphan.gcode"),
                              event("job", state="done", session=str(uuid.uuid4()))])  # fmt: skip
    assert db.execute("SELECT jobs FROM practice").fetchone()[0] == 1
    job = json.loads(db.execute("SELECT job FROM sessions WHERE id = ?", [session]).fetchone()[0])
    assert job == {"state": "done", "file": "cube.gcode"}


def test_erasure_keeps_other_audit_details_and_records_itself(db, fablab):
    from web.domain import audit
    from web.domain.erasure import ledger_path

    zenobie = fablab.person("Zénobie Quartzfeld", "5A7C3E91", decoupe_laser=2)
    audit.record(db, "claire", "badge.note", zenobie, uid="5A7C3E91", skill="decoupe-laser",
                 note="CAFEF00D")  # fmt: skip
    erasure.erase(db, zenobie, actor="samia")
    raw = db.execute("SELECT details FROM audit_log WHERE action = 'badge.note'").fetchone()[0]
    assert json.loads(raw) == {"uid": "(effacé)", "skill": "decoupe-laser", "note": "CAFEF00D"}
    last = db.execute("SELECT actor, action, subject FROM audit_log ORDER BY id DESC").fetchone()
    assert tuple(last) == ("samia", "person.erase", zenobie)
    line = json.loads(ledger_path(db).read_text().splitlines()[-1])
    assert line["person"] == zenobie and line["at"].startswith(str(date.today().year))


def test_a_database_in_memory_keeps_no_ledger():
    from sqlite_utils import Database

    from web.domain.erasure import ledger_path

    assert ledger_path(Database(memory=True)) is None


def test_a_short_name_is_scrubbed_as_a_word_only():
    from web.domain.erasure import ERASED, _without

    assert _without("Alimentation par Ali, vu par ALI.", "Ali") == (
        f"Alimentation par {ERASED}, vu par {ERASED}.")  # fmt: skip
    assert _without("Li, formée par Lise", "Li") == f"{ERASED}, formée par Lise"


def test_credentials_say_why_they_were_withdrawn(db, fablab):
    from web.domain import credentials, settings

    settings.set_value(db, "public_url", "https://fablab.example.org", actor="test")
    amina = fablab.person("Amina", "DEADBEEF", decoupe_laser=2, couture=2)
    laser, sewing = (next(g["id"] for g in grants.history(db, amina) if g["skill"] == skill)
                     for skill in ("decoupe-laser", "couture"))  # fmt: skip
    first = credentials.issue(db, amina, laser, holder_name=None, actor="t")
    second = credentials.issue(db, amina, sewing, holder_name=None, actor="t")
    grants.suspend(db, amina, "decoupe-laser", reason="Consignes", actor="claire")
    assert credentials.status_of(db, first.id).detail == "suspended"
    change = db.execute("SELECT by, reason FROM grant_changes ORDER BY id DESC").fetchone()
    assert tuple(change) == ("claire", "Consignes")
    entry = db.execute("SELECT actor, action, subject, details FROM audit_log "
                       "WHERE action = 'grant.suspended'").fetchone()  # fmt: skip
    assert entry[:3] == ("claire", "grant.suspended", amina)
    assert json.loads(entry[3]) == {"skill": "decoupe-laser", "reason": "Consignes",
                                    "stop_now": False}  # fmt: skip
    grants.reinstate(db, amina, "decoupe-laser", actor="claire")
    assert db.execute("SELECT stop_now FROM grant_changes ORDER BY id DESC").fetchone()[0] == 0
    erasure.erase(db, amina, actor="claire")
    assert credentials.status_of(db, second.id).detail == "erased"
    with pytest.raises(Exception, match="no current training"):
        grants.suspend(db, fablab.person("Karim", "CAFEF00D"), "couture", reason="x", actor="t")


def test_the_purge_scrubs_only_card_numbers_and_keeps_accents(db, fablab):
    from web.domain import audit

    amina = fablab.person("Amina", "DEADBEEF")
    audit.record(db, "claire", "badge.note", amina, uid="DEADBEEF", other="CAFEF00D",
                 note="Réglée")  # fmt: skip
    db.execute("UPDATE audit_log SET at = '2026-01-01T00:00:00.000Z'")
    purge(db, datetime(2026, 6, 1, tzinfo=UTC), actor="cron")
    raw = db.execute("SELECT details FROM audit_log WHERE action = 'badge.note'").fetchone()[0]
    assert json.loads(raw) == {"uid": "(purgé)", "other": "CAFEF00D", "note": "Réglée"}
    assert "Réglée" in raw  # stored as written


@pytest.mark.parametrize("text", ["ZZZZZZZZ", "ABC", "DEADBEE", ""])
def test_is_uid_is_exact(text):
    from common.uid import is_uid

    assert is_uid(text) is False
    assert is_uid("DEADBEEF") is True


def test_the_access_list_reads_its_skill_settings_and_checklist():
    from common.uid import BadgeHash
    from kiosk.access import AccessList

    item = {"icon": "eye", "text": {"fr": "Lunettes"}}
    listed = AccessList(etag="e", machine={"name": "laser"}, badge_hash=BadgeHash(b"s" * 16),
                        entries={}, skill={"checklist": [item, "bad", {"icon": "x"}],
                                           "max_minutes": 90})  # fmt: skip
    assert listed.checklist() == [item]
    assert listed.setting("max_minutes", 60) == 90 and listed.setting("other", 7) == 7
    bare = AccessList(etag="e", machine={"name": "laser"}, badge_hash=BadgeHash(b"s" * 16),
                      entries={}, skill=None)  # fmt: skip
    assert bare.checklist() == [] and bare.setting("max_minutes", 60) == 60


def test_an_rdm6300_ignores_noise_between_frames():
    from badge.decoders import Rdm6300Decoder

    frame = Rdm6300Decoder.encode("1A2B3C4D5E")
    assert Rdm6300Decoder().feed(frame + b"12AB" + frame) == ["1A2B3C4D5E"] * 2


def test_a_keyboard_reader_reads_cards_back_to_back_and_drops_an_overlong_one():
    from badge.decoders import EV_KEY, KEY_DOWN, KeyboardDecoder

    def typed(text: str, start: float) -> list:
        return [(EV_KEY, code, KEY_DOWN, start + n * 0.001)
                for n, code in enumerate(KeyboardDecoder.key_codes(text))]  # fmt: skip

    decoder = KeyboardDecoder()
    assert decoder.feed(typed("DEADBEEF", 0) + typed("CAFEF00D", 0.05)) == ["DEADBEEF", "CAFEF00D"]
    loose = KeyboardDecoder(read_uid=lambda text: text)
    assert loose.feed(typed("1" * 26, 10)) == []  # longer than any card number: dropped
    assert loose.feed(typed("1" * 25, 20)) == ["1" * 25]


def test_a_station_that_has_not_heard_of_an_erasure_cannot_bring_the_person_back(db, fablab):
    amina = fablab.person("Amina", "DEADBEEF", decoupe_laser=2)
    karim = fablab.person("Karim", "CAFEF00D", decoupe_laser=1)
    laser = machines.get_machine(db, "laser")
    erasure.erase(db, amina, actor="test")
    started, supervised, ended = (str(uuid.uuid4()) for _ in range(3))
    result = ingest.ingest(db, laser, [
        event("session_started", session=started, person=amina),
        event("session_started", session=supervised, person=karim, supervisor=amina),
        event("session_ended", session=ended, person=amina, reason="badge_out"),
    ])  # fmt: skip
    reasons = [item["reason"] for item in result.rejected]
    assert len(reasons) == 3, reasons
    assert all(("unknown person" in r or "unknown supervisor" in r or "nobody known" in r)
               for r in reasons), reasons  # fmt: skip
    assert db.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0


def test_a_session_keeps_its_level_and_checklist_as_sent(db, fablab):
    amina = fablab.person("Amina", "DEADBEEF", decoupe_laser=2)
    laser = machines.get_machine(db, "laser")
    session = str(uuid.uuid4())
    checklist = {"seconds": 12, "items": [{"text": "Lunettes mises, capot fermé", "seconds": 5}]}
    ingest.ingest(db, laser, [event("session_started", session=session, person=amina, level=2,
                                    checklist=checklist)])  # fmt: skip
    row = db.execute("SELECT level, checklist FROM sessions WHERE id = ?", [session]).fetchone()
    assert row[0] == 2 and json.loads(row[1]) == checklist and "capot fermé" in row[1]


def test_every_doubt_about_a_session_is_kept_with_it(db, fablab):
    """A start with a clock far off and a person not trained: both anomalies, each naming
    the session, the event and the person."""
    karim = fablab.person("Karim", "CAFEF00D")  # not trained on the laser
    laser = machines.get_machine(db, "laser")
    session = str(uuid.uuid4())
    started = event("session_started", at=datetime.now(UTC) - timedelta(days=3),
                    session=session, person=karim, level=2)  # fmt: skip
    ended = event("session_ended", session=session, person=karim, reason="badge_out")
    ingest.ingest(db, laser, [started, ended])
    rows = db.execute("SELECT code, session_id, event_id, person_id FROM anomalies "
                      "ORDER BY id").fetchall()  # fmt: skip
    codes = {row[0] for row in rows}
    assert len(codes) >= 2, codes
    starts = [row for row in rows if row[2] == started["id"]]
    assert starts and all(row[1] == session and row[3] == karim for row in starts)
    assert all(row[1] == session and row[3] == karim for row in rows)


def test_a_print_done_before_the_session_ends_counts_when_it_is_folded(db, fablab):
    amina = fablab.person("Amina", "DEADBEEF", decoupe_laser=2)
    laser = machines.get_machine(db, "laser")
    session = str(uuid.uuid4())
    ingest.ingest(db, laser, [
        event("session_started", session=session, person=amina),
        event("job", state="done", file="cube.gcode", session=session),
        event("session_ended", session=session, reason="job_done"),
    ])  # fmt: skip
    assert db.execute("SELECT jobs FROM practice").fetchone()[0] == 1
    failed = str(uuid.uuid4())
    ingest.ingest(db, laser, [
        event("session_started", session=failed, person=amina),
        event("job", state="failed", file="cube.gcode", session=failed),
        event("session_ended", session=failed, reason="job_done"),
    ])  # fmt: skip
    assert db.execute("SELECT jobs FROM practice").fetchone()[0] == 1  # a failed print: no


def test_suspending_now_asks_the_machine_to_stop(db, fablab):
    amina = fablab.person("Amina", "DEADBEEF", decoupe_laser=2)
    grants.suspend(db, amina, "decoupe-laser", reason="Danger", stop_now=True, actor="claire")
    assert db.execute("SELECT stop_now FROM grant_changes ORDER BY id DESC").fetchone()[0] == 1
    with pytest.raises(Conflict) as refused:
        grants.reinstate(db, fablab.person("Karim", "CAFEF00D"), "decoupe-laser", actor="t")
    assert str(refused.value) == "there is no suspended training to reinstate"


def test_a_two_letter_name_is_scrubbed_from_what_they_did_for_others(db, fablab):
    li = fablab.person("Li", "DEADBEEF", decoupe_laser=3)
    karim = fablab.person("Karim", "CAFEF00D")
    grants.grant(db, karim, "decoupe-laser", level=1, by="Li", actor="test")
    erasure.erase(db, li, actor="test")
    assert grants.history(db, karim)[0]["granted_by"] == erasure.ERASED


def test_an_access_list_survives_its_trip_to_the_station_and_its_disk(tmp_path):
    """Every field the station reads, from the JSON the hub sends to the file it keeps."""
    from common.uid import BadgeHash
    from kiosk.access import AccessList, Entry

    badge_hash = BadgeHash(b"s" * 16, n=16)
    body = {
        "machine": {"name": "laser", "out_of_service": False},
        "skill": {"slug": "decoupe-laser"},
        "badge_hash": badge_hash.describe(),
        "badges": [
            {"hash": badge_hash.of("DEADBEEF"), "person": "S1", "level": 3,
             "first_name": "Amina", "supervisor": True, "valid_until": "2027-01-31",
             "last_practice": "2026-11-02", "language": "ar", "hours": 12.5},
            {"hash": badge_hash.of("CAFEF00D"), "person": "S2", "level": None},
        ],
        "fablab": {"contact": "Claire"},
        "stop_now": ["S2"],
        "calls_seen": [7],
    }  # fmt: skip
    store = AccessListStore(tmp_path)
    store.save(body, "etag-1")
    assert [path.name for path in tmp_path.iterdir()] == ["access-list.json"]
    assert "Amina" in store.path.read_text(encoding="utf-8")
    listed = store.load()
    assert listed.etag == "etag-1" and listed.contact == "Claire"
    assert listed.stop_now == frozenset({"S2"}) and listed.calls_seen == frozenset({"7"})
    assert listed.lookup("DEADBEEF") == Entry(
        person="S1", level=3, first_name="Amina", supervisor=True,
        valid_until=date(2027, 1, 31), last_practice=date(2026, 11, 2), language="ar",
        hours=12.5)  # fmt: skip
    assert listed.lookup("CAFEF00D") == Entry(person="S2", level=None)
    bare = AccessList.from_json({**body, "fablab": None, "stop_now": None, "calls_seen": None},
                                None)  # fmt: skip
    assert bare.contact == "" and bare.stop_now == frozenset() and bare.calls_seen == frozenset()
