"""Station events: validated one by one, applied once, sessions rebuilt in any order."""

import json
import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Fablab, event
from web.db import open_database
from web.domain import events as ingest_module
from web.domain import machines, sessions, skills
from web.migrations import migrate

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def post(client, fablab, batch, machine="laser"):
    response = client.post("/api/v1/events", headers=fablab.auth(machine), json={"events": batch})
    assert response.status_code == 200
    return response.get_json()


def session_pair(person, minutes=30, start=T0, **ended_fields):
    session = str(uuid.uuid4())
    return (
        event("session_started", at=start, session=session, person=person, level=2),
        event(
            "session_ended",
            at=start + timedelta(minutes=minutes),
            session=session,
            reason="badge_out",
            **ended_fields,
        ),
    )


def practice(db, person):
    return list(
        db.query(
            "SELECT sessions, seconds, busy_seconds FROM practice WHERE person_id = ?", [person]
        )
    )


def test_a_batch_is_accepted_and_a_replay_is_only_acknowledged(client, fablab, db):
    amina = fablab.person("Amina", "DEADBEEF", decoupe_laser=2)
    batch = [*session_pair(amina, busy_seconds=600), event("unknown_badge", uid="CAFEF00D")]
    first = post(client, fablab, batch)
    assert first == {
        "accepted": [e["id"] for e in batch],
        "duplicates": [],
        "rejected": [],
        "notes": {},
    }
    replay = post(client, fablab, batch)
    assert replay == {
        "accepted": [],
        "duplicates": [e["id"] for e in batch],
        "rejected": [],
        "notes": {},
    }
    assert practice(db, amina) == [{"sessions": 1, "seconds": 1800.0, "busy_seconds": 600.0}]
    assert db["events"].count == 3


def test_a_bad_event_is_rejected_with_a_reason_and_the_good_ones_go_through(client, fablab, db):
    amina = fablab.person("Amina", "DEADBEEF", decoupe_laser=2)
    good = event("denied", reason="not_trained", person=amina)
    bad = [
        "not an object",
        {"type": "session_started"},
        event("teleport"),
        event("session_started", session=str(uuid.uuid4())),
        event("session_started", session=str(uuid.uuid4()), person="ZZZZ0000"),
        event("unknown_badge", uid="deadbeef"),
        event("fault", at="2026-13-45T10:00:00Z", code="reader_unplugged"),
        event("fault", at="2026-11-23T10:00:00", code="no_zone"),
        event("fault", code="x", machine="couture"),
        {**event("fault", code="x"), "id": 12},
    ]
    result = post(client, fablab, [bad[0], good, *bad[1:]])
    assert result["accepted"] == [good["id"]]
    rejected = {item["index"]: item for item in result["rejected"]}
    assert sorted(rejected) == [0, *range(2, len(bad) + 1)]
    reasons = [rejected[index]["reason"] for index in sorted(rejected)]
    assert "JSON object" in reasons[0]
    assert "id" in reasons[1]
    assert "unknown event type 'teleport'" in reasons[2]
    assert "person" in reasons[3]
    assert "nobody known to this station as ZZZZ0000" in reasons[4]
    assert reasons[5].startswith("uid:")
    assert reasons[6].startswith("at:")
    assert reasons[7].startswith("at:")
    assert "own machine" in reasons[8]
    assert rejected[10]["id"] is None
    assert db["events"].count == 1
    assert db["sessions"].count == 0


def test_sessions_are_rebuilt_whatever_order_their_events_arrive_in(client, fablab, db):
    amina = fablab.person("Amina", "DEADBEEF", decoupe_laser=2)
    started, ended = session_pair(amina, minutes=45)
    post(client, fablab, [ended])
    (row,) = sessions.list_sessions(db)
    assert row["started_at"] is None and row["end_reason"] == "badge_out"
    assert practice(db, amina) == []
    post(client, fablab, [started])
    (row,) = sessions.list_sessions(db)
    assert row["person"] == amina
    assert row["started_at"] == "2026-11-23T09:00:00.000Z"
    assert row["ended_at"] == "2026-11-23T09:45:00.000Z"
    assert practice(db, amina) == [{"sessions": 1, "seconds": 2700.0, "busy_seconds": 0.0}]


def test_timestamps_with_offsets_are_stored_in_utc(client, fablab, db):
    amina = fablab.person("Amina", "DEADBEEF", decoupe_laser=2)
    session = str(uuid.uuid4())
    post(
        client,
        fablab,
        [event("session_started", at="2026-11-23T10:00:00+01:00", session=session, person=amina)],
    )
    assert sessions.get_session(db, session)["started_at"] == "2026-11-23T09:00:00.000Z"


def test_a_session_cannot_start_or_end_twice_nor_move_machine(client, fablab, db):
    amina = fablab.person("Amina", "DEADBEEF", decoupe_laser=2, couture=2)
    started, ended = session_pair(amina)
    post(client, fablab, [started, ended])
    again = {**started, "id": str(uuid.uuid4())}
    twice = {**ended, "id": str(uuid.uuid4())}
    result = post(client, fablab, [again, twice])
    assert [item["reason"] for item in result["rejected"]] == [
        f"session {started['session']} has already started",
        f"session {started['session']} has already ended",
    ]
    elsewhere = {**ended, "id": str(uuid.uuid4())}
    result = post(client, fablab, [elsewhere], machine="couture")
    assert "another machine" in result["rejected"][0]["reason"]
    assert practice(db, amina)[0]["sessions"] == 1


def test_supervised_sessions_are_counted(client, fablab, db):
    amina = fablab.person("Amina", "DEADBEEF", decoupe_laser=3)
    karim = fablab.person("Karim", "CAFEF00D", decoupe_laser=1)
    session = str(uuid.uuid4())
    post(
        client,
        fablab,
        [
            event("session_started", session=session, person=karim, level=1, supervisor=amina),
            event("session_ended", session=session, reason="timeout"),
        ],
    )
    row = sessions.get_session(db, session)
    assert (row["supervisor_id"], row["level"], row["end_reason"]) == (amina, 1, "timeout")
    assert db.execute("SELECT supervised_sessions FROM practice").fetchone()[0] == 1


def test_a_heartbeat_is_dated_by_the_hub_and_a_station_clock_in_2099_hides_nothing(
    client, fablab, db
):
    """Kept by when the hub heard it: a station whose clock says 2099 neither looks online
    forever nor hides the heartbeats after it; how far its clock is off is kept."""
    from web.domain.overview import machine_states

    future = event("heartbeat", at="2099-01-01T00:00:00Z", version="0.1.0", state="in_use",
                   outbox_depth=9)  # fmt: skip
    assert post(client, fablab, [future])["accepted"] == [future["id"]]
    laser = machines.get_machine(db, "laser")
    assert laser["last_heartbeat_at"] < "2030"  # the hub's own time
    beat = json.loads(laser["last_heartbeat"])
    assert beat["station_at"] == "2099-01-01T00:00:00.000Z"
    assert beat["clock_offset_seconds"] > 365 * 24 * 3600
    laser_state = next(row for row in machine_states(db) if row["name"] == "laser")
    assert laser_state["clock_off_by"] == beat["clock_offset_seconds"]

    later = event("heartbeat", version="0.1.0", state="idle", outbox_depth=3)
    assert post(client, fablab, [later])["accepted"] == [later["id"]]
    beat = json.loads(machines.get_machine(db, "laser")["last_heartbeat"])
    assert (beat["state"], beat["outbox_depth"]) == ("idle", 3)
    assert abs(beat["clock_offset_seconds"]) < 60
    # An hour later, silence: offline, whatever the station's clock said.
    hour_later = datetime.now(UTC) + timedelta(hours=1)
    laser_state = next(r for r in machine_states(db, hour_later) if r["name"] == "laser")
    assert laser_state["status"] == "offline" and laser_state["clock_off_by"] is None


def test_a_finished_print_job_is_kept_on_its_session(client, fablab, db):
    skills.add_skill(db, "impression-3d", name_fr="Impression 3D", actor="test")
    fablab.tokens["printer"] = machines.add_machine(
        db, "printer", kind="printer", skill="impression-3d", actor="t"
    )
    sophie = fablab.person("Sophie", "CAFEF00D", impression_3d=2)
    session = str(uuid.uuid4())
    post(
        client,
        fablab,
        [
            event("session_started", session=session, person=sophie),
            event("job", session=session, state="progress", progress=50.0),
            event(
                "job",
                session=session,
                state="done",
                file="cube.gcode",
                print_time_seconds=3600,
                filament_mm=1234.5,
            ),
            event("session_ended", session=session, reason="job_done"),
        ],
        machine="printer",
    )
    assert json.loads(sessions.get_session(db, session)["job"]) == {
        "state": "done",
        "file": "cube.gcode",
        "print_time_seconds": 3600,
        "filament_mm": 1234.5,
    }


def test_unknown_badges_are_kept_with_their_uid_for_enrolment(client, fablab, db):
    tap = event("unknown_badge", uid="04A1B2C3D4E5F6")
    post(client, fablab, [tap])
    row = db["events"].get(tap["id"])
    assert (row["type"], json.loads(row["data"])) == ("unknown_badge", {"uid": "04A1B2C3D4E5F6"})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_order_any_batching_any_replay_gives_the_same_sessions_and_totals(data):
    db = open_database(":memory:")
    migrate(db)
    skills.add_skill(db, "decoupe-laser", name_fr="Découpe laser", actor="t")
    lab = Fablab(db)
    lab.tokens["laser"] = machines.add_machine(
        db, "laser", kind="laser", skill="decoupe-laser", actor="t"
    )
    laser = machines.get_machine(db, "laser")
    people_ids = [lab.person(f"P{n}", None, decoupe_laser=2) for n in range(3)]
    expected_seconds = {person: 0.0 for person in people_ids}
    stream = []
    for n in range(data.draw(st.integers(1, 6))):
        person = data.draw(st.sampled_from(people_ids))
        minutes = data.draw(st.integers(0, 300))
        stream += session_pair(person, minutes=minutes, start=T0 + timedelta(hours=n))
        expected_seconds[person] += minutes * 60
    replays = data.draw(st.lists(st.sampled_from(stream), max_size=len(stream)))
    shuffled = data.draw(st.permutations(stream + replays))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(shuffled)), max_size=4)))
    for start, stop in zip([0, *cuts], [*cuts, len(shuffled)], strict=True):
        ingest_module.ingest(db, laser, shuffled[start:stop])

    rows = sessions.list_sessions(db)
    assert len(rows) == len(stream) // 2
    assert all(row["started_at"] and row["ended_at"] for row in rows)
    assert db["events"].count == len(stream)
    totals = {row["person_id"]: row["seconds"] for row in db.query("SELECT * FROM practice")}
    assert totals == {person: s for person, s in expected_seconds.items() if person in totals}
    assert sum(row["sessions"] for row in db.query("SELECT sessions FROM practice")) == len(rows)
    db.close()
