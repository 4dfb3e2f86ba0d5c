"""The hub's ingest in its details, below what the station protocol lets through: what each
refusal says, who a station's ids stand for, what a session's start and end keep of their
doubts, and what recording a training writes beside it (found alive by `make mutation`)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from common.clock import YEARS, today
from tests.conftest import event
from web.domain import events as ingest
from web.domain import grants, machines, people, sessions, station_identity
from web.domain.errors import Conflict, Invalid
from web.domain.sessions import Rejected

NOW = datetime.now(UTC)


def hub_event(type_: str, at: datetime = NOW, **fields):
    """An event as the appliers get it: hub ids, and when it arrived."""
    return {**event(type_, at, **fields), "received_at": NOW.isoformat()}


def anomalies(db, code: str) -> list[dict]:
    return [dict(row) for row in db.query("SELECT * FROM anomalies WHERE code = ?", [code])]


# --- what a refusal says ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (["not", "an", "object"], "an event must be a JSON object"),
        ({"id": str(uuid.uuid4()), "type": ["denied"], "at": NOW.isoformat()},
         "unknown event type ['denied']; expected one of "),
        ({"id": str(uuid.uuid4()), "type": "explode", "at": NOW.isoformat()},
         "unknown event type 'explode'; expected one of session_started, session_ended, "),
        ({"id": str(uuid.uuid4()), "type": "denied", "at": NOW.isoformat()},
         'event: "reason" is a required property'),
        (event("session_started", session=str(uuid.uuid4()), person="X",
               checklist={"seconds": 3, "items": [{"text": 3, "seconds": 1}]}),
         "checklist/items/0/text: "),
        ({**event("denied", reason="not_trained"), "machine": "couture"},
         "a station may only report events for its own machine"),
    ],
)  # fmt: skip
def test_a_refusal_says_what_is_wrong_and_where(db, fablab, raw, reason):
    laser = machines.get_machine(db, "laser")
    result = ingest.ingest(db, laser, [raw])
    (rejected,) = result.rejected
    if reason.endswith(("one of ", ", ", ": ")):  # the rest names every type, or the schema's words
        assert rejected["reason"].startswith(reason), rejected["reason"]
    else:
        assert rejected["reason"] == reason
    assert rejected["index"] == 0
    if isinstance(raw, dict):
        assert rejected["id"] == raw["id"]  # the station knows which one to drop


def test_a_session_started_twice_is_refused_by_the_events_id(db, fablab):
    laser = machines.get_machine(db, "laser")
    sophie = fablab.person("Sophie", decoupe_laser=2)
    session = str(uuid.uuid4())
    first, again = (event("session_started", session=session, person=sophie, level=2)
                    for _ in range(2))  # fmt: skip
    result = ingest.ingest(db, laser, [first, again])
    assert result.accepted == [first["id"]]
    assert result.rejected == [{"index": 1, "id": again["id"],
                                "reason": f"session {session} has already started"}]  # fmt: skip


def test_an_event_naming_its_own_machine_is_taken(db, fablab):
    laser = machines.get_machine(db, "laser")
    mine = {**event("denied", reason="not_trained"), "machine": "laser"}
    assert ingest.ingest(db, laser, [mine]).accepted == [mine["id"]]


def test_a_rejection_for_an_unknown_person_is_named_by_the_events_id(db, fablab):
    laser = machines.get_machine(db, "laser")
    stray = event("sign_off", person="ZZZZZZZZ", by="YYYYYYYY", action="level_up", level=2)
    (rejected,) = ingest.ingest(db, laser, [stray]).rejected
    assert rejected == {"index": 0, "id": stray["id"],
                        "reason": "person: nobody known to this station as ZZZZZZZZ"}  # fmt: skip


# --- a station's ids for people ---------------------------------------------------------


def test_a_stations_own_ids_for_the_person_the_referent_and_the_signer_are_understood(
    db, fablab, residents
):
    laser = machines.get_machine(db, "laser")
    alias = station_identity.aliases(laser["id"], list(residents.values()))
    session = str(uuid.uuid4())
    batch = [
        event("session_started", NOW - timedelta(hours=1), session=session,
              person=alias[residents["karim"]], supervisor=alias[residents["amina"]], level=1),
        event("sign_off", person=alias[residents["karim"]], by=alias[residents["amina"]],
              action="level_up", level=2),
    ]  # fmt: skip
    result = ingest.ingest(db, laser, batch)
    assert result.accepted == [e["id"] for e in batch] and not result.rejected
    row = db.execute("SELECT person_id, supervisor_id FROM sessions WHERE id = ?", [session])
    assert row.fetchone() == (residents["karim"], residents["amina"])
    current = grants.current_grant(db, residents["karim"], laser["skill_id"])
    assert current["level"] == 2 and current["granted_by"].startswith("Amina Benali")


# --- a session's two halves, checked --------------------------------------------------------


@pytest.mark.parametrize(
    ("apply", "fields", "reason"),
    [
        (sessions.apply_started, {"person": "GHOST"}, "unknown person GHOST"),
        (sessions.apply_started, {"supervisor": "GHOST"}, "unknown supervisor GHOST"),
        (sessions.apply_ended, {"person": "GHOST", "reason": "badge_out"},
         "unknown person GHOST"),
    ],
)  # fmt: skip
def test_a_session_naming_somebody_the_hub_does_not_know_is_refused(
    db, fablab, apply, fields, reason
):
    """Below `_hub_ids` (which refuses them first today): the appliers check on their own."""
    laser = machines.get_machine(db, "laser")
    sophie = fablab.person("Sophie", decoupe_laser=2)
    session = {"session": str(uuid.uuid4()), "person": sophie, "level": 2, **fields}
    with pytest.raises(Rejected) as refused:
        apply(db, laser, hub_event("session_started", **session))
    assert str(refused.value) == reason
    assert db["sessions"].count == 0


def test_a_start_keeps_every_doubt_about_it(db, fablab):
    """A clock ahead and a level above the training, both kept, with the session held."""
    laser = machines.get_machine(db, "laser")
    sophie = fablab.person("Sophie", decoupe_laser=2)
    ahead = hub_event("session_started", NOW + timedelta(hours=1), session=str(uuid.uuid4()),
                      person=sophie, level=3)  # fmt: skip
    sessions.apply_started(db, laser, ahead)
    (clock,) = anomalies(db, "clock_ahead")
    (level,) = anomalies(db, "level")
    assert level["detail"] == "sent 3, trained 2"
    for found in (clock, level):
        assert (found["session_id"], found["event_id"], found["person_id"]) == (
            ahead["session"],
            ahead["id"],
            sophie,
        )
    assert db.execute("SELECT held FROM sessions").fetchone()[0] == 1


def test_an_end_from_a_clock_ahead_is_kept_with_its_session_event_and_person(db, fablab):
    laser = machines.get_machine(db, "laser")
    sophie = fablab.person("Sophie", decoupe_laser=2)
    session = str(uuid.uuid4())
    start = hub_event("session_started", NOW - timedelta(minutes=30), session=session,
                      person=sophie, level=2)  # fmt: skip
    sessions.apply_started(db, laser, start)
    assert anomalies(db, "clock_ahead") == []
    end = hub_event("session_ended", NOW + timedelta(hours=1), session=session, person=sophie,
                    reason="badge_out")  # fmt: skip
    sessions.apply_ended(db, laser, end)
    (clock,) = anomalies(db, "clock_ahead")
    assert (clock["session_id"], clock["event_id"], clock["person_id"]) == (
        session,
        end["id"],
        sophie,
    )
    assert db.execute("SELECT count(*) FROM practice").fetchone()[0] == 0  # held back


def test_an_end_whose_start_never_came_is_still_the_persons(db, fablab):
    """Their data export and their erasure find it by person, like any other session."""
    laser = machines.get_machine(db, "laser")
    sophie = fablab.person("Sophie", decoupe_laser=2)
    end = hub_event("session_ended", NOW, session=str(uuid.uuid4()), person=sophie,
                    reason="badge_out")  # fmt: skip
    sessions.apply_ended(db, laser, end)
    assert db.execute("SELECT person_id, started_at FROM sessions").fetchone() == (sophie, None)


def test_a_persons_data_shows_the_checklist_they_confirmed_in_their_words(db, fablab):
    """What the station sent is kept as written (not as \\u escapes): the person's own data
    export shows it as such."""
    from web.domain.person_record import export_person

    laser = machines.get_machine(db, "laser")
    sophie = fablab.person("Sophie", decoupe_laser=2)
    checklist = {"seconds": 20, "items": [{"text": "Vérifier la lentille", "seconds": 8},
                                          {"text": "تحقق من التهوية", "seconds": 12}]}  # fmt: skip
    start = event("session_started", session=str(uuid.uuid4()), person=sophie, level=2,
                  checklist=checklist)  # fmt: skip
    assert ingest.ingest(db, laser, [start]).accepted == [start["id"]]
    record = export_person(db, sophie)
    for kept in (record["events"][0]["data"], record["sessions"][0]["checklist"]):
        assert "Vérifier la lentille" in kept and "تحقق من التهوية" in kept


def test_a_held_session_is_not_folded_even_when_its_end_is_fine(db, fablab):
    laser = machines.get_machine(db, "laser")
    sophie = fablab.person("Sophie", decoupe_laser=2)
    session = str(uuid.uuid4())
    start = NOW - timedelta(minutes=30)
    sessions.apply_started(db, laser, hub_event("session_started", start, session=session,
                                                person=sophie, level=3))  # fmt: skip
    sessions.apply_ended(db, laser, hub_event("session_ended", NOW, session=session,
                                              person=sophie, reason="badge_out"))  # fmt: skip
    assert [row["code"] for row in db.query("SELECT code FROM anomalies")] == ["level"]
    assert db.execute("SELECT counted, held FROM sessions").fetchone() == (0, 1)
    assert db.execute("SELECT count(*) FROM practice").fetchone()[0] == 0


# --- recording a training -------------------------------------------------------------------


def test_a_training_is_audited_with_who_what_and_which_level(db, fablab):
    sophie = fablab.person("Sophie")
    grants.grant(db, sophie, "decoupe-laser", level=2, by="Claire Dubois", actor="claire")
    (entry,) = db.query("SELECT * FROM audit_log WHERE action = 'grant.add'")
    assert (entry["actor"], entry["subject"]) == ("claire", sophie)
    assert json.loads(entry["details"]) == {"skill": "decoupe-laser", "level": 2,
                                            "by": "Claire Dubois"}  # fmt: skip


def test_a_new_training_replaces_the_old_one_says_why_and_withdraws_its_credentials(db, fablab):
    sophie = fablab.person("Sophie")
    first = grants.grant(db, sophie, "decoupe-laser", level=1, actor="claire")
    other = grants.grant(db, sophie, "couture", level=1, actor="claire")
    for index, grant_id in enumerate((first, other)):
        db["issued_credentials"].insert({"id": str(uuid.uuid4()), "grant_id": grant_id,
                                         "person_id": sophie, "status_index": index,
                                         "issued_at": NOW.isoformat(), "token": "t"})  # fmt: skip
    grants.grant(db, sophie, "decoupe-laser", level=2, actor="manon")
    change = db.execute("SELECT status, reason, by FROM grant_changes WHERE grant_id = ? "
                        "ORDER BY id DESC LIMIT 1", [first]).fetchone()  # fmt: skip
    assert change == ("superseded", "new training recorded", "manon")
    withdrawn = db.execute("SELECT grant_id, revoked_why FROM issued_credentials "
                           "WHERE revoked_at IS NOT NULL").fetchall()  # fmt: skip
    assert withdrawn == [(first, "superseded")]  # the couture badge still holds


def test_an_older_training_cannot_replace_a_newer_one(db, fablab):
    sophie = fablab.person("Sophie")
    grants.grant(db, sophie, "decoupe-laser", level=2, on=today(), actor="claire")
    with pytest.raises(Conflict) as refused:
        grants.grant(db, sophie, "decoupe-laser", level=3,
                     on=today() - timedelta(days=10), actor="claire")  # fmt: skip
    assert str(refused.value) == ("a more recent training of this skill is recorded: an older "
                                  "one cannot replace it")  # fmt: skip
    other = fablab.person("Karim")  # someone else's newer training is not in the way
    grants.grant(db, other, "decoupe-laser", level=2, on=today() - timedelta(days=10),
                 actor="claire")  # fmt: skip


def test_the_day_of_a_training_and_where_it_comes_from_are_kept(db, fablab):
    sophie = fablab.person("Sophie")
    today = grants.grant(db, sophie, "decoupe-laser", level=2, actor="claire")
    row = db["grants"].get(today)
    recorded = db.execute("SELECT at FROM grant_changes WHERE grant_id = ?", [today])
    assert row["granted_at"] == recorded.fetchone()[0]  # the moment, not noon
    assert row["recognised_from"] is None
    origin = {"issuer": "did:web:fablab.example", "name": "Fablab de X", "date": "2026-03-02"}
    travelled = grants.grant(db, sophie, "couture", level=1, on=date(2026, 3, 2),
                             recognised_from=origin, actor="claire")  # fmt: skip
    row = db["grants"].get(travelled)
    assert row["granted_at"] == "2026-03-02T12:00:00.000Z"
    assert json.loads(row["recognised_from"]) == origin


def test_a_training_can_be_dated_from_the_first_year_on_not_before(db, fablab):
    sophie = fablab.person("Sophie")
    grants.grant(db, sophie, "decoupe-laser", level=1, on=date(YEARS.start, 1, 1), actor="c")
    with pytest.raises(Invalid) as refused:
        grants.grant(db, sophie, "couture", level=1, on=date(YEARS.start - 1, 12, 31), actor="c")
    assert str(refused.value) == f"a training is dated from {YEARS.start} on"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"level": 4}, "level must be 1 (Découverte), 2 (Autonome) or 3 (Référent)"),
        ({"level": 2, "valid_months": 0}, "validity must be a positive number of months"),
    ],
)
def test_a_wrong_level_or_validity_is_explained(db, fablab, fields, message):
    sophie = people.add_person(db, "Sophie", actor="c")
    with pytest.raises(Invalid) as refused:
        grants.grant(db, sophie, "decoupe-laser", actor="c", **fields)
    assert str(refused.value) == message
