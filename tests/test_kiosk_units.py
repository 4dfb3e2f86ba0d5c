"""The station's parts in-process: decisions, configuration, the outbox, timers, a full disk."""

import sqlite3
import threading
import time
from datetime import date
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from badge.stream_reader import SimulatedReader
from kiosk.access import AccessList, AccessListStore
from kiosk.agent import Station
from kiosk.config import ConfigError, KioskConfig, StationSettings, load
from kiosk.decision import can_supervise, decide
from kiosk.feedback import Feedback
from kiosk.outbox import Outbox, new_event
from kiosk.state import State
from machines.relay import LaserCutter
from web.domain import access_list, machines

TODAY = date(2026, 11, 23)


def listed(entries, out_of_service=False, inactivity=6):
    from common.uid import BadgeHash

    scheme = BadgeHash(salt=b"s" * 16)
    return AccessList.from_json(
        {
            "machine": {"name": "laser", "out_of_service": out_of_service},
            "skill": {"slug": "laser", "inactivity_months": inactivity},
            "badge_hash": scheme.describe(),
            "badges": [{"hash": scheme.of(uid), **entry} for uid, entry in entries.items()],
        },
        '"e"',
    )


PEOPLE = {
    "AAAAAAAA": {"person": "P1", "level": 2, "first_name": "Amina", "valid_until": "2026-11-23",
                 "last_practice": "2026-05-23"},
    "BBBBBBBB": {"person": "P2", "level": 2, "valid_until": "2026-11-22",
                 "last_practice": "2026-11-01"},
    "CCCCCCCC": {"person": "P3", "level": 2, "valid_until": None, "last_practice": "2026-05-22"},
    "DDDDDDDD": {"person": "P4", "level": 1, "valid_until": None, "last_practice": "2026-11-01"},
    "EEEEEEEE": {"person": "P5", "level": None},
    "FFFFFFFF": {"person": "P6", "level": 3, "supervisor": True, "last_practice": "2026-11-01"},
    "12121212": {"person": "P7", "level": None, "supervisor": True},
    "34343434": {"person": "P8", "level": 3, "supervisor": True, "valid_until": "2026-01-01",
                 "last_practice": "2026-01-01"},
}  # fmt: skip


@pytest.mark.parametrize(
    ("uid", "code"),
    [
        ("AAAAAAAA", "granted"),  # valid until today, practised exactly 6 months ago: still fine
        ("BBBBBBBB", "expired"),
        ("CCCCCCCC", "lapsed"),
        ("DDDDDDDD", "needs_supervisor"),
        ("EEEEEEEE", "not_trained"),
        ("FFFFFFFF", "granted"),
        ("99999999", "unknown_badge"),
    ],
)
def test_decisions_from_the_list(uid, code):
    assert decide(listed(PEOPLE), uid, TODAY).code == code


def test_no_list_and_out_of_service():
    assert decide(None, "AAAAAAAA", TODAY).code == "no_access_list"
    assert decide(listed(PEOPLE, out_of_service=True), "AAAAAAAA", TODAY).code == "out_of_service"


def test_who_may_supervise():
    access = listed(PEOPLE)
    assert can_supervise(access, "FFFFFFFF", TODAY).person == "P6"  # a référent
    assert can_supervise(access, "12121212", TODAY).person == "P7"  # a facilitator's badge
    assert can_supervise(access, "34343434", TODAY) is None  # a référent whose training expired
    assert can_supervise(access, "AAAAAAAA", TODAY) is None


GOOD = """
[hub]
url = "http://127.0.0.1:5000"
token = "fab_x"
[station]
data_dir = "data"
[reader]
kind = "stdin"
[machine]
kind = "laser"
pin = 17
"""


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda t: t.replace('[hub]\nurl = "http://127.0.0.1:5000"\ntoken = "fab_x"\n', ""),
         "[hub]"),
        (lambda t: t.replace('"http://127.0.0.1:5000"', '"ftp://x"'), "hub.url"),
        (lambda t: t.replace('token = "fab_x"', 'token = ""'), "hub.token"),
        (lambda t: t.replace('kind = "stdin"', 'kind = "nfc"'), "reader.kind"),
        (lambda t: t.replace("pin = 17", "beam = 4"), "machine.pin"),
        (lambda t: t.replace('kind = "laser"\npin = 17', 'kind = "printer"'), "machine.url"),
        (lambda t: t + "[station2]\n", "station2"),
        (lambda t: t.replace('data_dir = "data"', 'data_dir = "data"\nidle_minutes = -1'),
         "station.idle_minutes"),
        (lambda t: t.replace('data_dir = "data"', 'data_dir = "data"\ncolour = 1'), "colour"),
        (lambda t: t.replace("[reader]", "[reader"), "not valid TOML"),
    ],
)  # fmt: skip
def test_configuration_errors_name_the_key(tmp_path, change, named):
    path = tmp_path / "station.toml"
    path.write_text(change(GOOD))
    with pytest.raises(ConfigError, match=named.replace("[", r"\[").replace("]", r"\]")):
        load(path)


def test_a_good_configuration(tmp_path):
    path = tmp_path / "station.toml"
    path.write_text(GOOD)
    config = load(path)
    assert config.station.data_dir == tmp_path / "data"
    assert config.station.supervisor_window_seconds == 60
    assert config.machine == {"kind": "laser", "pin": 17}


def test_the_outbox_keeps_order_survives_reopening_and_forgets_only_what_was_acknowledged(tmp_path):
    outbox = Outbox(tmp_path / "outbox.db")
    events = [new_event("fault", code=f"c{n}") for n in range(5)]
    for event in events:
        outbox.append(event)
    outbox.close()
    reopened = Outbox(tmp_path / "outbox.db")
    assert [e["id"] for e in reopened.peek(3)] == [e["id"] for e in events[:3]]
    reopened.acknowledge([events[0]["id"], events[2]["id"]])
    assert [e["id"] for e in reopened.peek(10)] == [events[1]["id"], *(e["id"] for e in events[3:])]
    reopened.journal_set("session", {"id": "s"})
    assert reopened.journal_get("session") == {"id": "s"}
    reopened.close()


# --- a station in-process, with its hub out of reach ------------------------------------------


class InProcessStation:
    def __init__(self, tmp_path: Path, db, fablab, screen=None, **settings):
        self.pins = MockFactory()
        self.reader = SimulatedReader()
        self.shown: list[str] = []
        data_dir = tmp_path / "station"
        data_dir.mkdir()
        machine = machines.get_machine(db, "laser")
        from web.domain.access_list import serialise

        etag, body = serialise(access_list.build(db, machine["id"]))
        import json

        AccessListStore(data_dir).save(json.loads(body), etag)
        config = KioskConfig(
            hub_url="http://127.0.0.1:9",
            hub_token="fab_x",
            hub_timeout_seconds=0.5,
            station=StationSettings(data_dir=data_dir, heartbeat_seconds=0.2, **settings),
            reader={"kind": "simulated"},
            machine={"kind": "laser"},
            screen=screen,
        )
        self.laser = LaserCutter(pin=17, beam_pin=27, pin_factory=self.pins)
        self.station = Station(
            config, reader=self.reader, controller=self.laser,
            line=self.shown.append,
        )  # fmt: skip
        self.thread = threading.Thread(target=self.station.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.station.stop()
        self.thread.join(10)
        assert not self.thread.is_alive()

    def wait_state(self, state, timeout=10.0):
        self.wait(lambda: self.station.state is state, f"state {state}", timeout)

    def wait(self, condition, what, timeout=10.0):
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.01)

    @property
    def relay_on(self):
        return bool(self.pins.pin(17).state)


def test_max_duration_warns_then_ends_the_session(tmp_path, db, fablab):
    fablab.person("Sophie", "CAFEF00D", decoupe_laser=2)
    with InProcessStation(
        tmp_path, db, fablab, max_session_minutes=0.02, warning_minutes=0.01
    ) as s:
        s.reader.present("CAFEF00D")
        s.wait(lambda: s.relay_on, "the relay on")
        s.wait(lambda: not s.relay_on and s.station.state is State.IDLE, "the end", timeout=10)
        assert any("s'arrête" in line for line in s.shown)
    ended = [e for e in s.station.outbox.peek(100) if e["type"] == "session_ended"]
    assert [e["reason"] for e in ended] == ["timeout"]


def test_idle_and_supervisor_timeouts(tmp_path, db, fablab):
    fablab.person("Sophie", "CAFEF00D", decoupe_laser=2)
    fablab.person("Karim", "DEADBEEF", decoupe_laser=1)
    with InProcessStation(tmp_path, db, fablab, idle_minutes=0.005,
                          supervisor_window_seconds=1) as s:  # fmt: skip
        s.reader.present("CAFEF00D")
        s.wait(lambda: s.relay_on, "the relay on")
        s.wait_state(State.IDLE)  # nobody cut anything for 0.3 s
        s.reader.present("DEADBEEF")
        s.wait_state(State.AWAITING_SUPERVISOR)
        assert not s.relay_on
        s.wait(lambda: any("Pas de référent" in line for line in s.shown), "the timeout shown")
        assert s.station.state is State.IDLE
    reasons = [e.get("reason") for e in s.station.outbox.peek(100) if e["type"] in
               ("session_ended", "denied")]  # fmt: skip
    assert reasons == ["idle", "needs_supervisor", "supervisor_timeout"]


def test_a_full_disk_keeps_the_machine_locked_and_says_so(tmp_path, db, fablab):
    fablab.person("Sophie", "CAFEF00D", decoupe_laser=2)
    with InProcessStation(tmp_path, db, fablab) as s:
        outbox_db = s.station.outbox._db
        pages = outbox_db.execute("PRAGMA page_count").fetchone()[0]
        outbox_db.execute(f"PRAGMA max_page_count = {pages}")  # the disk is full now
        fillers = []
        for _ in range(50):  # fill the last free space in the pages
            filler = new_event("fault", code="filler", message="x" * 400)
            try:
                s.station.outbox.append(filler)
            except sqlite3.Error:
                break
            fillers.append(filler["id"])
        s.reader.present("CAFEF00D")
        s.wait(lambda: any("ne peut plus rien enregistrer" in line for line in s.shown),
               "the resident told")  # fmt: skip
        assert s.station.state is State.IDLE and not s.relay_on
        assert all(state.state in (False, 0) for state in s.pins.pin(17).states)
        # The hub takes the waiting events: room again, and the next tap works without a restart.
        s.station.outbox.acknowledge(fillers)
        s.reader.present("CAFEF00D")
        s.wait(lambda: s.relay_on, "the relay on once the outbox has room")
    started = [e for e in s.station.outbox.peek(500) if e["type"] == "session_started"]
    assert len(started) == 1


def test_lights_and_buzzer_have_distinct_patterns():
    pins = MockFactory()
    feedback = Feedback(green_pin=5, red_pin=6, amber_pin=13, buzzer_pin=19, pin_factory=pins)
    green, red, amber, buzzer = (pins.pin(n) for n in (5, 6, 13, 19))

    def settle(pin, level):
        deadline = time.monotonic() + 5
        while bool(pin.state) != level:
            assert time.monotonic() < deadline
            time.sleep(0.01)

    feedback.granted()
    assert green.state and not red.state and not amber.state
    settle(buzzer, True)
    feedback.refused()
    assert not green.state
    settle(red, True)
    settle(red, False)  # blinking
    feedback.waiting()
    settle(amber, True)
    settle(amber, False)
    feedback.state(State.FAULT)
    assert red.state and not amber.state
    feedback.close()


class FakePrinter(LaserCutter):
    """A controller whose session ends later, as a print does after badge-out."""

    def lock(self, reason):
        if reason == "badge_out":
            self._pending = self.session
            return None
        return super().lock(reason)


def test_a_session_that_waits_for_its_job_ends_with_it(tmp_path, db, fablab):
    from machines.base import SessionOver, Usage

    fablab.person("Sophie", "CAFEF00D", decoupe_laser=2)
    with InProcessStation(tmp_path, db, fablab) as s:
        printer = FakePrinter(pin=18, pin_factory=s.pins)
        s.station.controller = printer
        printer.subscribe(lambda event: s.station.inbox.put(("machine", event)))
        s.reader.present("CAFEF00D")
        s.wait(lambda: printer.session is not None, "a session")
        s.reader.present("CAFEF00D")  # badge out: the print goes on
        s.wait(lambda: any("impression continue" in line for line in s.shown), "the print goes on")
        assert s.station.state is State.ENDING
        printer._emit(SessionOver(printer._pending, "job_done", Usage(busy_seconds=42.0)))
        s.wait_state(State.IDLE)
    ended = [e for e in s.station.outbox.peek(100) if e["type"] == "session_ended"]
    assert [(e["reason"], e["busy_seconds"]) for e in ended] == [("job_done", 42.0)]


def test_an_outbox_that_keeps_growing_raises_a_fault_and_keeps_going(tmp_path, db, fablab):
    with InProcessStation(tmp_path, db, fablab, outbox_fault_depth=3) as s:
        for n in range(5):
            s.reader.present(f"{0xA0000000 + n:08X}")  # unknown cards, the hub is away
        s.wait(lambda: any(e["type"] == "fault" and e["code"] == "outbox_full"
                           for e in s.station.outbox.peek(100)), "the outbox fault")  # fmt: skip
        s.reader.present("A0000009")
        s.wait(lambda: s.station.outbox.depth() >= 7, "events still kept")


def test_a_screen_server_that_dies_changes_no_decision(tmp_path, db, fablab, monkeypatch, caplog):
    """The page's server crashing (here: its loop raising) is logged; taps are decided and the
    relay moves as before."""
    from kiosk import screen_server
    from kiosk.config import ScreenSettings

    def broken(self, poll_interval=0.5):
        raise RuntimeError("the screen's server fell over")

    monkeypatch.setattr(screen_server.ThreadingHTTPServer, "serve_forever", broken)
    fablab.person("Sophie", "CAFEF00D", decoupe_laser=2)
    with InProcessStation(tmp_path, db, fablab, screen=ScreenSettings(port=0)) as s:
        s.wait(lambda: not s.station.show.screen.alive, "the screen's server gone")
        s.reader.present("CAFEF00D")
        s.wait(lambda: s.relay_on, "the relay on")
    assert "the screen server stopped; the station goes on without it" in caplog.text


def test_a_screen_that_cannot_be_drawn_changes_no_decision(tmp_path, db, fablab, monkeypatch,
                                                           caplog):  # fmt: skip
    """A mistake in drawing a screen (here: the goodbye) is logged; the machine still locks,
    and the session's end is still in the outbox."""
    from kiosk import prompts

    def broken(*args, **kwargs):
        raise KeyError("a text with a missing parameter")

    monkeypatch.setattr(prompts, "goodbye", broken)
    fablab.person("Sophie", "CAFEF00D", decoupe_laser=2)
    with InProcessStation(tmp_path, db, fablab) as s:
        s.reader.present("CAFEF00D")
        s.wait(lambda: s.relay_on, "the relay on")
        s.reader.present("CAFEF00D")
        s.wait(lambda: not s.relay_on and s.station.state is State.IDLE, "the end")
    assert "screen: goodbye failed; the station goes on" in caplog.text
    ended = [e for e in s.station.outbox.peek(100) if e["type"] == "session_ended"]
    assert [e["reason"] for e in ended] == ["badge_out"]
