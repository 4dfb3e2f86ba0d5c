"""The station's parts in their details: what a refused UID, badge hash or access list says,
what a decision carries for the screen and the hub, and what the outbox promises about its
journal, its log and its waits (found alive by `make mutation`)."""

from __future__ import annotations

import logging
import sqlite3
import threading
from datetime import UTC, date, datetime

import pytest

from common.uid import BadgeHash, InvalidUid, normalise_uid
from kiosk.access import AccessList, AccessListInvalid, AccessListStore
from kiosk.decision import decide
from kiosk.outbox import Outbox, new_event

TODAY = date(2026, 11, 30)
SCHEME = BadgeHash(salt=b"s" * 16)


def listed(kind: str = "laser", out_of_service: bool = False) -> AccessList:
    return AccessList.from_json({
        "machine": {"name": "poste", "kind": kind, "out_of_service": out_of_service},
        "skill": {"slug": "laser", "inactivity_months": 6},
        "badge_hash": SCHEME.describe(),
        "badges": [{"hash": SCHEME.of("AAAAAAAA"), "person": "P1", "level": None}],
    }, '"e"')  # fmt: skip


# --- what is refused, and what it says ------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("DEADBEEG", "not hexadecimal: 'DEADBEEG'"),
        ("", "not hexadecimal: ''"),
        ("DEADBE", "a card UID has 4, 5, 7 or 10 bytes, not 3: 'DEADBE'"),
        ("DEADBEEF0", "a card UID has 4, 5, 7 or 10 bytes, not 4.5: 'DEADBEEF0'"),
        ("DEADBEEF0000", "a card UID has 4, 5, 7 or 10 bytes, not 6: 'DEADBEEF0000'"),
    ],
)
def test_a_line_that_is_not_a_uid_says_why(raw, message):
    with pytest.raises(InvalidUid) as refused:
        normalise_uid(raw)
    assert str(refused.value) == message


def hash_stated(**changes):
    return {**SCHEME.describe(), **changes}


@pytest.mark.parametrize(
    "changes",
    [{"n": 2}, {"n": 2**16}, {"r": 1}, {"r": 32}, {"p": 1}, {"p": 4}, {"length": 16},
     {"length": 64}],
)  # fmt: skip
def test_every_badge_hash_within_bounds_is_taken_as_stated(changes):
    taken = BadgeHash.from_description(hash_stated(**changes))
    assert taken.describe() == hash_stated(**changes)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"algorithm": "sha256"}, "badge hash 'sha256' is not scrypt"),
        ({"n": 2048.0}, "badge hash parameters must be whole numbers"),
        ({"n": 1}, "badge hash parameters out of bounds: n=1 r=8 p=1"),
        ({"n": 6}, "badge hash parameters out of bounds: n=6 r=8 p=1"),
        ({"n": 2**17}, "badge hash parameters out of bounds: n=131072 r=8 p=1"),
        ({"r": 0}, "badge hash parameters out of bounds: n=2048 r=0 p=1"),
        ({"r": 33}, "badge hash parameters out of bounds: n=2048 r=33 p=1"),
        ({"p": 5}, "badge hash parameters out of bounds: n=2048 r=8 p=5"),
        ({"length": 15}, "badge hash parameters out of bounds: n=2048 r=8 p=1"),
        ({"length": 65}, "badge hash parameters out of bounds: n=2048 r=8 p=1"),
    ],
)
def test_a_badge_hash_a_station_cannot_do_is_refused_with_the_reason(changes, message):
    with pytest.raises(ValueError) as refused:
        BadgeHash.from_description(hash_stated(**changes))
    assert str(refused.value) == message


def test_a_damaged_access_list_says_so(tmp_path):
    store = AccessListStore(tmp_path)
    store.path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(AccessListInvalid, match=r"access-list.json is damaged$"):
        store.load()
    with pytest.raises(AccessListInvalid, match=r"^not an access list: KeyError\('machine'\)$"):
        AccessList.from_json({"skill": {}}, None)


LEGACY_LOCALE = {"LC_ALL": "C", "LANG": "C", "PYTHONCOERCECLOCALE": "0", "PYTHONUTF8": "0"}
# ASCII itself: the child reads its command line in the legacy locale too.
ROUND_TRIP = r"""
import sys
from pathlib import Path
from common.uid import BadgeHash
from kiosk.access import AccessListStore
store = AccessListStore(Path(sys.argv[1]))
body = {"machine": {"name": "poste"}, "badges": [], "badge_hash": BadgeHash(b"s" * 16).describe(),
        "skill": {"name": "D\u00e9coupe laser", "checklist": ["\u062a\u062d\u0642\u0642"]}}
store.save(body, '"e"')
assert store.load().skill["name"] == "D\u00e9coupe laser"
print(__import__("locale").getpreferredencoding(False))
"""


def test_a_station_whose_system_is_not_set_to_utf8_still_keeps_its_list(tmp_path):
    """A Pi left in a legacy (ASCII) locale: the saved list is UTF-8 whatever the locale."""
    import os
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", ROUND_TRIP, str(tmp_path)], text=True,
                          capture_output=True, env={**os.environ, **LEGACY_LOCALE},
                          check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "ANSI_X3.4-1968" in done.stdout  # the child really ran in ASCII
    loaded = AccessListStore(tmp_path)
    assert loaded.path.read_text(encoding="utf-8").count("Découpe laser") == 1


# --- what a decision carries ----------------------------------------------------------------


def test_every_refusal_names_the_badge_and_whom_it_knows():
    assert decide(None, "AAAAAAAA", TODAY).uid == "AAAAAAAA"
    unknown = decide(listed(), "99999999", TODAY)
    assert (unknown.code, unknown.uid, unknown.entry) == ("unknown_badge", "99999999", None)
    stopped = decide(listed(out_of_service=True), "AAAAAAAA", TODAY)
    assert (stopped.code, stopped.uid) == ("out_of_service", "AAAAAAAA")
    assert stopped.entry.person == "P1"  # the screen greets them in their language


def test_the_entrance_welcomes_every_registered_person():
    welcome = decide(listed(kind="checkin"), "AAAAAAAA", TODAY)
    assert (welcome.code, welcome.uid, welcome.entry.person) == ("granted", "AAAAAAAA", "P1")
    assert decide(listed(kind="laser"), "AAAAAAAA", TODAY).code == "not_trained"
    assert decide(listed(kind="checkin"), "99999999", TODAY).code == "unknown_badge"


# --- the outbox ----------------------------------------------------------------------------


def test_a_new_event_is_dated_now_in_utc():
    before = datetime.now(UTC)
    made = new_event("denied", reason="not_trained")
    at = datetime.fromisoformat(made["at"])
    assert at.utcoffset().total_seconds() == 0 and made["at"].endswith("+00:00")
    assert before.replace(microsecond=before.microsecond // 1000 * 1000) <= at
    assert at <= datetime.now(UTC)


def test_an_event_and_its_journal_are_kept_together_and_logged(tmp_path, caplog):
    outbox = Outbox(tmp_path / "outbox.db")
    made = new_event("session_started", session="S1")
    with caplog.at_level(logging.DEBUG, logger="kiosk"):
        assert outbox.keep(made, journal={"session": {"id": "S1"}}) is True
    assert f"kept session_started {made['id']}" in caplog.messages
    reopened = Outbox(tmp_path / "outbox.db")
    assert reopened.journal_get("session") == {"id": "S1"}
    assert [event["id"] for event in reopened.peek()] == [made["id"]]
    outbox.append(new_event("session_ended", session="S1"), journal={"session": None})
    assert Outbox(tmp_path / "outbox.db").journal_get("session") is None


def test_an_event_the_disk_refuses_is_reported_and_not_kept(tmp_path, caplog):
    outbox = Outbox(tmp_path / "outbox.db")
    refused = new_event("denied", reason="not_trained")
    outbox._db.execute("PRAGMA query_only = ON")  # any write now fails, as on a dead card
    with caplog.at_level(logging.ERROR, logger="kiosk"):
        assert outbox.keep(refused, journal={"session": {"id": "S"}}) is False
    (line,) = caplog.messages
    assert line.startswith(f"could not keep event denied ({refused['id']}): ")
    assert "readonly" in line
    outbox._db.execute("PRAGMA query_only = OFF")
    assert outbox.peek() == [] and outbox.journal_get("session") is None


def test_the_outbox_hands_over_a_hundred_events_at_a_time_by_default(tmp_path):
    outbox = Outbox(tmp_path / "outbox.db")
    for _ in range(101):
        outbox.append(new_event("denied", reason="not_trained"))
    assert len(outbox.peek()) == 100


def test_an_event_takes_its_own_size_in_the_capped_outbox(tmp_path):
    """Written as UTF-8, not as \\u escapes (six bytes for each Arabic letter instead of two):
    the outbox's cap is counted in bytes."""
    outbox = Outbox(tmp_path / "outbox.db")
    made = new_event("report", category="other", note="تحقق من التهوية")
    outbox.append(made)
    (body,) = outbox._db.execute("SELECT body FROM outbox").fetchone()
    assert "تحقق من التهوية" in body


def test_waiting_for_events_returns_at_once_when_there_are_some(tmp_path):
    outbox = Outbox(tmp_path / "outbox.db")
    outbox.append(new_event("denied", reason="not_trained"))
    waited = threading.Event()
    outbox.appended.wait = lambda timeout=None: waited.set()  # a wait would be seen here
    outbox.wait_for_events(30)
    assert not waited.is_set()


def test_waiting_for_events_on_an_empty_outbox_gives_up_at_its_timeout(tmp_path):
    outbox = Outbox(tmp_path / "outbox.db")
    shipper = threading.Thread(target=outbox.wait_for_events, args=(0.01,), daemon=True)
    shipper.start()
    shipper.join(timeout=10)  # a deadline, not a measure: it returns long before
    assert not shipper.is_alive()


def test_waiting_for_events_waits_until_one_is_written(tmp_path):
    outbox = Outbox(tmp_path / "outbox.db")
    waiting, woken = threading.Event(), threading.Event()
    real_wait = outbox.appended.wait

    def wait(timeout=None):
        waiting.set()
        return real_wait(timeout)

    outbox.appended.wait = wait

    def ship():
        outbox.wait_for_events(30)
        woken.set()

    shipper = threading.Thread(target=ship)
    shipper.start()
    assert waiting.wait(5)  # an empty outbox: the shipper waits
    assert not woken.is_set()
    outbox.append(new_event("denied", reason="not_trained"))
    assert woken.wait(5)  # and wakes as soon as an event is kept
    shipper.join()


def test_an_outbox_keeps_its_events_in_a_file_that_outlives_it(tmp_path):
    """Every write commits for good (autocommit, explicit transactions): another connection
    sees the event at once, the acknowledgement too."""
    outbox = Outbox(tmp_path / "outbox.db")
    made = new_event("denied", reason="not_trained")
    outbox.append(made)
    other = sqlite3.connect(tmp_path / "outbox.db")
    assert other.execute("SELECT id FROM outbox").fetchall() == [(made["id"],)]
    outbox.acknowledge([made["id"]])
    assert other.execute("SELECT id FROM outbox").fetchall() == []
    outbox.journal_set("session", {"id": "S2"})
    assert other.execute("SELECT key FROM journal").fetchall() == [("session",)]
    assert not outbox._db.in_transaction and not outbox._shipping.in_transaction
