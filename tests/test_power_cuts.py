"""Real power cuts for the station's outbox and journal: 200 seeded cuts at random moments of
a station's life (taps written with their journal, the hub acknowledging, the journal
cleared), each followed by the disk as it would be after the power came back (every write
not yet synced thrown away, tests/power_cut.py), then the outbox reopened as the station
would: the file is intact, every event whose effect the resident saw (the append returned:
the relay moved, the refusal was shown) is still there unless the hub had taken it, nothing
is there twice, nothing appears that was never written, and the journal is the last one
written (or the one being written at the cut)."""

from __future__ import annotations

import random
import sqlite3

import pytest

from kiosk.outbox import Outbox, new_event
from tests.power_cut import Connection, Disk, PowerCutVFS
from tests.sqlite_power_cut import synced_then_unsynced

CUTS = 200
SEED = 20261130


def life(outbox: Outbox, rng: random.Random, seen: list[str], journals: list, acked: set[str],
         in_flight: list) -> None:  # fmt: skip
    """What a station does: append (a tap), sometimes with a session's journal entry;
    sometimes the hub acknowledges the oldest events."""
    for step in range(rng.randint(5, 40)):
        roll = rng.random()
        if roll < 0.7:
            event = new_event("denied", reason="not_trained", person=f"P{step:07d}")
            journal = None
            if rng.random() < 0.3:
                journal = {"session": {"id": event["id"]} if rng.random() < 0.6 else None}
            in_flight[:] = [event["id"], journal]
            outbox.append(event, journal=journal)
            seen.append(event["id"])  # the resident saw it: it must survive
            if journal is not None:
                journals.append(journal["session"])
            in_flight[:] = []
        else:
            taken = [event["id"] for event in outbox.peek(rng.randint(1, 5))]
            outbox.acknowledge(taken)
            acked.update(taken)


@pytest.mark.slow
# After the cut, SQLite's own clean-up calls into the dead disk; APSW reports those failures
# as "unraisable" (nothing can raise them): expected, and what a power cut is.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_two_hundred_power_cuts_lose_nothing_the_resident_saw(tmp_path):
    master = random.Random(SEED)
    cuts = 0
    for cut in range(CUTS):
        rng = random.Random(master.random())
        folder = tmp_path / f"cut-{cut:03d}"
        folder.mkdir()
        path = folder / "outbox.db"
        disk = Disk(rng, max_operations=rng.choice([5, 20, 80, 300]))
        vfs = PowerCutVFS(disk, f"powercut{cut}")
        seen: list[str] = []
        journals: list = []
        acked: set[str] = set()
        in_flight: list = []
        outbox = None
        try:
            outbox = Outbox(path, connect=lambda file, name=vfs.name: Connection(file, name))
            life(outbox, rng, seen, journals, acked, in_flight)
        except Exception:
            pass
        cuts += disk.dead
        disk.dead = True  # whatever happens next happens after the cut
        if outbox is not None:
            outbox.close()
        vfs.unregister()
        disk.restore()

        reopened = Outbox(path)  # the station starts again, with the real sqlite3
        try:
            assert reopened._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok", cut
            present = [event["id"] for event in reopened.peek(10_000)]
            assert len(present) == len(set(present)), f"cut {cut}: an event twice"
            possible = set(seen) | ({in_flight[0]} if in_flight else set())
            assert set(present) <= possible, f"cut {cut}: an event never written"
            lost = set(seen) - acked - set(present)
            assert not lost, f"cut {cut}: lost {len(lost)} event(s) the resident saw"
            journal = reopened.journal_get("session")
            allowed = [journals[-1] if journals else None]
            if in_flight and in_flight[1] is not None:
                allowed.append(in_flight[1]["session"])
            assert journal in allowed, f"cut {cut}: journal {journal} not in {allowed}"
        finally:
            reopened.close()
    assert cuts >= CUTS * 3 // 4  # most runs were cut short, at every kind of moment


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_the_power_cut_disk_really_throws_unsynced_writes_away(tmp_path):
    """The drill's own check: with syncing off, a committed row does not survive a cut."""
    disk = Disk(random.Random(1), max_operations=10_000)
    vfs = PowerCutVFS(disk, "powercut-check")
    path = tmp_path / "plain.db"
    connection = Connection(path, vfs.name)
    synced_then_unsynced(connection)
    disk.dead = True  # the power goes now, the connection still open
    disk.restore()
    rows = sqlite3.connect(path).execute("SELECT x FROM t").fetchall()
    connection.close()
    vfs.unregister()
    assert rows == [(1,)]
