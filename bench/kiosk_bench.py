"""Station agent benchmark: tap to relay, hub up and down; revocation propagation; memory.

Prints figures; asserts nothing. Run with `make bench` or `python bench/kiosk_bench.py`.
"""

from __future__ import annotations

import json
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gpiozero.pins.mock import MockFactory

from badge.stream_reader import SimulatedReader
from bench.figures import Figure, percentile, rss_mib, spread
from kiosk.access import AccessListStore
from kiosk.agent import Station
from kiosk.config import KioskConfig, StationSettings
from kiosk.feedback import Feedback
from machines.relay import LaserCutter
from tests.servers import served_hub
from tests.stations import KioskProcess
from web.db import open_database
from web.domain import access_list, badges, grants, machines, people, skills
from web.domain.access_list import serialise
from web.migrations import migrate

TAPS = 300


class TimedLaser(LaserCutter):
    """Notes when the relay pin has changed (it changes inside unlock/lock)."""

    def __init__(self, **options):
        super().__init__(**options)
        self.changed = threading.Event()

    def unlock(self, session):
        super().unlock(session)
        self.changed_at = time.perf_counter()
        self.changed.set()

    def lock(self, reason):
        usage = super().lock(reason)
        self.changed_at = time.perf_counter()
        self.changed.set()
        return usage


def hub_with_people(path: Path) -> tuple[str, list[tuple[str, str]]]:
    db = open_database(path)
    migrate(db)
    skills.add_skill(db, "laser", name_fr="Découpe laser", actor="bench")
    token = machines.add_machine(db, "laser", kind="laser", skill="laser", actor="bench")
    residents = []
    for n in range(200):
        person = people.add_person(db, f"Personne {n}", actor="bench")
        uid = f"{0x20000000 + n:08X}"
        badges.assign_badge(db, person, uid, actor="bench")
        grants.grant(db, person, "laser", level=2, actor="bench")
        residents.append((person, uid))
    db.close()
    return token, residents


Rig = tuple[Station, TimedLaser, SimulatedReader]


def station_for(data: Path, hub_url: str, token: str, db_path: Path, **parts: object) -> Rig:
    """An in-process station with its list saved; `parts`: its [screen] and [voice]."""
    db = open_database(db_path)
    etag, body = serialise(access_list.build(db, machines.get_machine(db, "laser")["id"]))
    db.close()
    data.mkdir(parents=True, exist_ok=True)
    AccessListStore(data).save(json.loads(body), etag)
    config = KioskConfig(
        hub_url=hub_url, hub_token=token, hub_timeout_seconds=2,
        station=StationSettings(data_dir=data), reader={"kind": "simulated"},
        machine={"kind": "laser"}, **parts,
    )  # fmt: skip
    laser = TimedLaser(pin=17, beam_pin=27, pin_factory=MockFactory())
    reader = SimulatedReader()
    station = Station(config, reader=reader, controller=laser, feedback=Feedback(), line=len)
    return station, laser, reader


def tap_to_relay(
    station: Station, laser: TimedLaser, reader: SimulatedReader, uid: str, on_start=None
) -> list[float]:
    """ms from each tap to the relay's pin change; `on_start()` once the station runs."""
    thread = threading.Thread(target=station.run, daemon=True)
    thread.start()
    if on_start is not None:
        on_start()
    from common.uid import _scrypt

    samples = []
    for _ in range(TAPS):
        for direction in ("in", "out"):
            if direction == "in":
                _scrypt.cache_clear()  # a card not seen since the station started: one scrypt
            laser.changed.clear()
            began = time.perf_counter()
            reader.present(uid)
            assert laser.changed.wait(5), "the relay did not move"
            samples.append((laser.changed_at - began) * 1000)
    station.stop()
    thread.join(10)
    return samples


def outbox_append(directory: Path) -> list[float]:
    """What the durable write alone costs on this disk (SQLite, WAL, synchronous=FULL)."""
    from kiosk.outbox import Outbox, new_event

    directory.mkdir()
    outbox = Outbox(directory / "outbox.db")
    samples = []
    for _ in range(TAPS):
        event = new_event("denied", reason="not_trained", person="ABCDEFGH")
        began = time.perf_counter()
        outbox.append(event)
        samples.append((time.perf_counter() - began) * 1000)
    outbox.close()
    return samples


def main() -> list[Figure]:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        token, residents = hub_with_people(tmp / "hub.db")
        uid = residents[0][1]
        with served_hub(tmp / "hub.db", tmp / "hub.log") as url:
            up = tap_to_relay(*station_for(tmp / "up", url, token, tmp / "hub.db"), uid)

            # Revocation propagation: from the revoke's commit to the station's new list.
            station, _, _ = station_for(tmp / "revoke", url, token, tmp / "hub.db")
            thread = threading.Thread(target=station.run, daemon=True)
            thread.start()
            time.sleep(1)  # let it settle into its long poll
            db = open_database(tmp / "hub.db")
            propagation = []
            for person, _ in residents[1:21]:
                before = station.access.etag
                began = time.perf_counter()
                grants.revoke(db, person, "laser", actor="bench")
                while station.access.etag == before:
                    time.sleep(0.002)
                propagation.append((time.perf_counter() - began) * 1000)
            station.stop()
            thread.join(10)

            # Memory of a real agent process after a few taps.
            kiosk = KioskProcess(tmp / "rss", url, token).start().ready()
            for _ in range(10):
                kiosk.decide(uid)
            agent_rss = rss_mib(kiosk.process.pid)
            kiosk.stop()
            db.close()
        appends = outbox_append(tmp / "append")
        down = tap_to_relay(*station_for(tmp / "down", "http://127.0.0.1:9", token,
                                         tmp / "hub.db"), uid)  # fmt: skip

    print(f"{'figure':<60}{'p50':>10}{'p99':>10}")
    figures = (
        ("outbox append alone (the fsync before a relay moves), ms", appends),
        ("tap to relay pin change, hub up, ms", up),
        ("tap to relay pin change, hub down, ms", down),
        ("revocation to the station's new list, ms (20)", propagation),
    )
    for label, samples in figures:
        print(f"{label:<60}{percentile(samples, 50):>10.2f}{percentile(samples, 99):>10.2f}")
    print(f"{'resident memory of a running agent (VmRSS), MiB':<60}{agent_rss:>10.1f}")
    return [
        spread("station: tap to relay on, hub up", up),
        spread("station: tap to relay on, hub down", down),
        spread("station: revocation at the hub to the station's new list (20)", propagation),
        spread("station: outbox append (the fsync before the relay moves)", appends),
        Figure("station: resident memory of a running agent", agent_rss, unit="MiB"),
    ]


if __name__ == "__main__":
    main()
