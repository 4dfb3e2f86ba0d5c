"""Real power cuts for the hub's database: 200 seeded cuts at random moments while a station's
batches are ingested (sessions, refusals, heartbeats, replays, a checkpoint now and then),
each followed by the disk as it would be after the power came back (every write not yet
synced thrown away, tests/sqlite_power_cut.py), then the hub reopened as it would be: the file
is intact, every event acknowledged to the station (which then deleted it) is there once,
nothing is there that was never sent, the batch being ingested at the cut is wholly there or
wholly absent, and the station's retries afterwards are taken without doubling anything."""

from __future__ import annotations

import contextlib
import glob
import json
import os
import random
import shutil
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests import sqlite_power_cut
from tests.sqlite_power_cut import Disk, register, synced_then_unsynced
from web.db import open_database
from web.domain import events, grants, machines, people, skills, station_identity
from web.migrations import migrate

CUTS = 200
SEED = 20261130

try:  # the library, and Python's sqlite3 seeing a VFS registered in it
    register(Disk(random.Random(0), 10**6), "hub-power-cut-probe", default=False).unregister()
except sqlite_power_cut.Unavailable as why:
    pytestmark = pytest.mark.skip(reason=f"no power-cut VFS for Python's sqlite3: {why}")


def hub_template(folder: Path) -> tuple[Path, list[str]]:
    """A migrated hub with a laser and four people trained on it, closed cleanly (built with
    the real disk, once: each cut starts from a copy). Returns it and the station's ids."""
    path = folder / "template.db"
    db = open_database(path)
    migrate(db)
    skills.add_skill(db, "decoupe-laser", name_fr="Découpe laser", actor="test")
    machines.add_machine(db, "laser", kind="laser", skill="decoupe-laser", actor="test")
    ids = [people.add_person(db, f"Personne {n}", actor="test") for n in range(4)]
    for person in ids:
        grants.grant(db, person, "decoupe-laser", level=2, actor="test")
    db.execute("UPDATE grant_changes SET at = '2020-01-01T00:00:00.000Z'")  # trained long ago
    db.conn.commit()
    laser = machines.get_machine(db, "laser")
    known = list(station_identity.aliases(laser["id"], ids).values())
    db.close()
    assert not Path(f"{path}-wal").exists()
    return path, known


class Station:
    """What the hub has been sent, and what it acknowledged (ingest returned)."""

    def __init__(self, rng: random.Random, known: list[str]) -> None:
        self.rng, self.known = rng, known
        self.sent: set[str] = set()
        self.acked: list[list[dict[str, Any]]] = []  # batches, in the order acknowledged
        self.in_flight: list[dict[str, Any]] = []
        self.open: list[dict[str, Any]] = []  # sessions started, not yet ended
        self.beats = 0

    def uuid(self) -> str:
        """From the seed: where keys land in the B-trees, so the cut's moment, reproduces."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def event(self, type_: str, minutes_ago: float, **fields: Any) -> dict[str, Any]:
        at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
        made = {"id": self.uuid(), "type": type_, "at": at.isoformat(), **fields}
        self.sent.add(made["id"])
        return made

    def batch(self) -> list[dict[str, Any]]:
        rng, batch = self.rng, []
        for _ in range(rng.randint(1, 4)):
            roll = rng.random()
            if roll < 0.35:
                session = self.uuid()
                start = self.event("session_started", 90, session=session,
                                   person=rng.choice(self.known), level=2)  # fmt: skip
                batch.append(start)
                end = self.event("session_ended", 90 - rng.randint(1, 80), session=session,
                                 reason="badge_out", busy_seconds=rng.randint(0, 60))  # fmt: skip
                (batch if rng.random() < 0.5 else self.open).append(end)  # ends now or later
            elif roll < 0.5 and self.open:
                batch.append(self.open.pop(0))
            elif roll < 0.85:
                person = rng.choice(self.known)
                batch.append(self.event("denied", 5, reason="not_trained", person=person))
            else:
                self.beats += 1
                batch.append(self.event("heartbeat", 0, version="0.1.0", state="idle",
                                        outbox_depth=self.beats))  # fmt: skip
        return batch


def ingest(db, laser: dict[str, Any], batch: list[dict[str, Any]]) -> events.BatchResult:
    result = events.ingest(db, laser, batch)
    assert not result.rejected, result.rejected  # the fixture's people are all known
    return result


def life(db, laser: dict[str, Any], station: Station) -> None:
    """The hub's side of a station's life: new batches, some replayed (the station did not
    get the answer), and checkpoints: SQLite's own after a commit (every 1000 pages, the
    default; or every 30, so that more cuts land in one), and some as an erasure makes."""
    rng = station.rng
    db.execute(f"PRAGMA wal_autocheckpoint = {rng.choice([1000, 30])}")
    checkpoints = rng.choice([0.0, 0.1])
    for _ in range(rng.randint(3, 40)):
        roll = rng.random()
        if roll < 0.15 and station.acked:
            batch = rng.choice(station.acked)
        elif roll < 0.15 + checkpoints:
            mode = rng.choice(["PASSIVE", "TRUNCATE"])
            db.execute(f"PRAGMA wal_checkpoint({mode})").fetchall()
            continue
        else:
            batch = station.batch()
        station.in_flight = batch
        ingest(db, laser, batch)
        station.acked.append(batch)  # the answer came back: the station deletes them
        station.in_flight = []


def stored(batches: list[list[dict[str, Any]]]) -> set[str]:
    """The ids of the batches' events the hub keeps (heartbeats are not stored)."""
    return {e["id"] for batch in batches for e in batch if e["type"] != "heartbeat"}


def check(db, station: Station, cut: int) -> None:
    """Intact, nothing acknowledged lost, nothing invented, the in-flight batch all or none."""
    assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)], cut
    assert db.execute("PRAGMA foreign_key_check").fetchall() == [], cut
    rows = [row[0] for row in db.execute("SELECT id FROM events")]
    present = set(rows)
    assert len(rows) == len(present), f"cut {cut}: an event twice"
    assert present <= station.sent, f"cut {cut}: an event never sent"
    lost = stored(station.acked) - present
    assert not lost, f"cut {cut}: lost {len(lost)} acknowledged event(s): {sorted(lost)}"
    flying = stored([station.in_flight]) - stored(station.acked)
    landed = flying & present
    assert landed in (set(), flying), f"cut {cut}: half of the in-flight batch is there"
    done = [*station.acked, station.in_flight] if landed else station.acked
    halves = {
        column: {e["session"] for b in done for e in b if e["type"] == type_}
        for column, type_ in (("started_at", "session_started"), ("ended_at", "session_ended"))
    }
    for column, expected in halves.items():
        found = {r[0] for r in db.execute(f"SELECT id FROM sessions WHERE {column} IS NOT NULL")}
        assert found == expected, f"cut {cut}: sessions' {column} {found ^ expected}"
    whole = halves["started_at"] & halves["ended_at"]
    counted = {r[0] for r in db.execute("SELECT id FROM sessions WHERE counted = 1")}
    assert counted == whole, f"cut {cut}: sessions folded {counted ^ whole}"
    folded = db.execute("SELECT coalesce(sum(sessions), 0) FROM practice").fetchone()[0]
    assert folded == len(whole), f"cut {cut}: {folded} sessions in practice, {len(whole)} whole"
    periods = db.execute("SELECT coalesce(sum(sessions), 0) FROM usage_periods").fetchone()[0]
    assert periods == 2 * len(whole), f"cut {cut}: a session counted twice in the statistics"
    beats = [e["outbox_depth"] for b in done for e in b if e["type"] == "heartbeat"]
    last = machines.get_machine(db, "laser")["last_heartbeat"]
    depth = None if last is None else json.loads(last)["outbox_depth"]
    allowed = {beats[-1] if beats else None} | {
        e["outbox_depth"] for e in station.in_flight if e["type"] == "heartbeat"}  # fmt: skip
    assert depth in allowed, f"cut {cut}: last heartbeat {depth}, expected one of {allowed}"


def retry(db, laser: dict[str, Any], station: Station, cut: int) -> None:
    """The station after the hub comes back: the in-flight batch again, and every batch whose
    answer it may not have had; all taken once, nothing rejected, nothing doubled."""
    for batch in [station.in_flight, *station.acked]:
        result = ingest(db, laser, batch)
        assert set(result.accepted) | set(result.duplicates) == {e["id"] for e in batch}, cut
    sent = [station.in_flight, *station.acked]
    assert db["events"].count == len(stored(sent)), f"cut {cut}: events doubled after retry"
    ended = {e["session"] for b in sent for e in b if e["type"] == "session_ended"}
    whole = {e["session"] for b in sent for e in b if e["type"] == "session_started"} & ended
    folded = db.execute("SELECT coalesce(sum(sessions), 0) FROM practice").fetchone()[0]
    assert folded == len(whole), f"cut {cut}: {folded} sessions folded, {len(whole)} whole"


def closed(db, path: Path) -> None:
    """Closed for good: a connection left open (a zombie kept by an unfinalized statement)
    would share the file's locks and -shm with the reopened one. Linux says what is open."""
    with contextlib.suppress(sqlite3.Error):
        db.close()
    held = []
    for fd in glob.glob("/proc/self/fd/*"):
        with contextlib.suppress(OSError):
            held += [os.readlink(fd)] if os.readlink(fd).startswith(str(path)) else []
    assert not held, f"still open after close: {held}"


@pytest.mark.slow
def test_two_hundred_power_cuts_at_the_hub_lose_nothing_it_acknowledged(tmp_path):
    template, known = hub_template(tmp_path)
    master = random.Random(SEED)
    cuts, moments = 0, set()
    for cut in range(CUTS):
        rng = random.Random(master.random())
        path = tmp_path / f"cut-{cut:03d}" / "hub.db"
        path.parent.mkdir()
        shutil.copyfile(template, path)
        disk = Disk(rng, max_operations=rng.choice([4, 15, 60, 250, 800]))
        station = Station(rng, known)
        shim = register(disk, f"hub-power-cut-{cut}")
        db = None
        try:
            db = open_database(path)
            laser = machines.get_machine(db, "laser")
            life(db, laser, station)
        except sqlite3.Error:  # the cut (anything else is a bug, and fails the test)
            assert disk.dead, f"cut {cut}: an error with the power on"
        finally:
            # First, so that a failure below cannot leave a dead disk as every later test's
            # VFS (the connection keeps its own pointers to the shim, kept alive).
            shim.unregister()
            cuts += disk.dead
            moments.add(disk.cut_at)
            disk.dead = True  # whatever happens next happens after the cut
            if db is not None:
                closed(db, path)
        disk.restore()

        db = open_database(path)  # the hub starts again, on the real disk
        try:
            check(db, station, cut)
            retry(db, machines.get_machine(db, "laser"), station, cut)
        finally:
            db.close()
    assert cuts >= CUTS * 3 // 4, cuts  # most runs were cut short, at every kind of moment:
    # a commit (the WAL written, synced), a checkpoint (the database file written).
    kinds = {"write hub.db-wal", "sync hub.db-wal", "write hub.db"}
    assert kinds <= moments, moments


def test_the_hub_power_cut_disk_really_throws_unsynced_writes_away(tmp_path):
    """The drill's own check: with syncing off, a committed row does not survive a cut; with
    the hub's own settings (synchronous=FULL), a committed ingest does."""
    disk = Disk(random.Random(1), max_operations=10_000)
    shim = register(disk, "hub-power-cut-check")
    path = tmp_path / "plain.db"
    try:
        connection = sqlite3.connect(path, isolation_level=None)
        synced_then_unsynced(connection)
        disk.dead = True  # the power goes now, the connection still open
        closed(connection, path)
    finally:
        shim.unregister()
    disk.restore()
    with contextlib.closing(sqlite3.connect(path)) as reopened:
        assert reopened.execute("SELECT x FROM t").fetchall() == [(1,)]

    template, known = hub_template(tmp_path)
    path = tmp_path / "hub.db"
    shutil.copyfile(template, path)
    disk = Disk(random.Random(1), max_operations=10_000)
    shim = register(disk, "hub-power-cut-check-hub")
    station = Station(random.Random(2), known)
    session = station.uuid()
    batch = [station.event("session_started", 30, session=session, person=known[0], level=2),
             station.event("session_ended", 1, session=session, reason="badge_out"),
             station.event("denied", 1, reason="not_trained", person=known[1])]  # fmt: skip
    try:
        db = open_database(path)
        ingest(db, machines.get_machine(db, "laser"), batch)
        disk.dead = True  # right after the answer went back to the station
        closed(db, path)
    finally:
        shim.unregister()
    disk.restore()
    db = open_database(path)
    assert {row[0] for row in db.execute("SELECT id FROM events")} == stored([batch])
    assert db.execute("SELECT counted FROM sessions WHERE id = ?", [session]).fetchall() == [(1,)]
    db.close()
