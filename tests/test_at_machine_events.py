"""What stations send about the moments at the machine (calls, reports, sign-offs, the
checklist with a session), as the hub takes them: validated, applied once, answered."""

import uuid

import pytest

from tests.conftest import event
from tests.test_events import post
from web.domain import access_list, at_machine, claims, enrolment, grants, machines
from web.domain.errors import Conflict

ACTOR = "test"


def listed(db, name="laser"):
    return access_list.build(db, machines.get_machine(db, name)["id"])


def test_calls_reports_and_sign_offs_are_applied_once(client, fablab, db, residents):
    batch = [
        event("call", person=residents["sophie"]),
        event("report", category="dirty", person=residents["sophie"]),
        event("sign_off", person=residents["karim"], by=residents["amina"], action="level_up",
              level=2),
    ]  # fmt: skip
    assert post(client, fablab, batch)["accepted"] == [e["id"] for e in batch]
    assert post(client, fablab, batch)["duplicates"] == [e["id"] for e in batch]
    (call,) = at_machine.open_calls(db)
    assert (call["machine"], call["person"]) == ("laser", "Sophie Martin")
    (report,) = at_machine.open_reports(db)
    assert report["category"] == "dirty" and not report["out_of_service"]
    karim = [dict(r) for r in db.query(
        "SELECT level, granted_by, status FROM grants WHERE person_id = ? ORDER BY id",
        [residents["karim"]])]  # fmt: skip
    assert [(r["level"], r["status"]) for r in karim] == [(1, "superseded"), (2, "active")]
    assert karim[1]["granted_by"] == "Amina Benali (à la machine laser)"


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"type": "report", "category": "explosion"}, "category"),
        ({"type": "sign_off", "person": "X", "action": "level_up", "level": 2}, "by"),
        ({"type": "sign_off", "person": "X", "by": "Y", "action": "promote", "level": 2},
         "action"),
        ({"type": "call", "person": "ZZZZZZZZ"}, "nobody known"),
        ({"type": "session_started", "session": "s", "person": "X",
          "checklist": {"seconds": -1, "items": []}}, "checklist"),
    ],
)  # fmt: skip
def test_malformed_moments_are_rejected_with_a_clear_reason(client, fablab, fields, reason):
    bad = {"id": str(uuid.uuid4()), "at": "2026-11-30T10:00:00Z", **fields}
    answer = post(client, fablab, [bad])
    assert answer["accepted"] == []
    assert reason in answer["rejected"][0]["reason"]


def test_a_dangerous_report_takes_the_machine_out_of_service_at_the_hub(
    client, fablab, db, residents
):
    post(client, fablab, [event("report", category="dangerous", person=residents["sophie"])])
    laser = machines.get_machine(db, "laser")
    assert laser["out_of_service"] == 1
    assert laser["out_of_service_reason"] == "Signalée dangereuse à la machine"
    assert listed(db)["machine"]["out_of_service"] is True
    (report,) = at_machine.open_reports(db)
    at_machine.handle_report(db, report["id"], out_of_service=False, actor=ACTOR)
    assert at_machine.open_reports(db) == []
    with pytest.raises(Conflict):
        at_machine.handle_report(db, report["id"], out_of_service=False, actor=ACTOR)


def test_a_sign_off_by_someone_who_cannot_sign_waits_for_the_facilitator(
    client, fablab, db, residents
):
    """Sophie (Autonome) cannot validate Karim's step: nothing changes until the facilitator
    counts it."""
    post(client, fablab, [event("sign_off", person=residents["karim"], by=residents["sophie"],
                                action="level_up", level=2)])  # fmt: skip
    assert grants.current_grant(db, residents["karim"], 1)["level"] == 1
    (anomaly,) = claims.open_anomalies(db)
    assert (anomaly["code"], anomaly["detail"]) == ("sign_off", "Sophie Martin")
    claims.resolve(db, anomaly["id"], accept=True, actor="claire")
    current = grants.current_grant(db, residents["karim"], 1)
    assert current["level"] == 2 and current["granted_by"].startswith("Sophie Martin")


def test_the_access_list_carries_what_the_machine_asks_and_shows(client, fablab, db, residents):
    at_machine.set_checklist(db, "decoupe-laser", [
        {"icon": "wind", "text_fr": "L'aspiration est allumée.", "text_ar": "الشفط يعمل."}],
        actor=ACTOR)  # fmt: skip
    at_machine.set_skill_settings(db, "decoupe-laser", {"hours_to_autonomous": 2.5}, actor=ACTOR)
    body = listed(db)
    assert body["skill"]["checklist"] == [
        {"icon": "wind", "text": {"fr": "L'aspiration est allumée.", "ar": "الشفط يعمل."}}
    ]
    assert body["skill"]["hours_to_autonomous"] == 2.5
    assert body["skill"]["checklist_skip_level3"] is True
    assert {entry["hours"] for entry in body["badges"] if "hours" in entry} == {0.0}
    assert body["stop_now"] == []
    grants.revoke(db, residents["sophie"], "decoupe-laser", reason="danger", stop_now=True,
                  actor=ACTOR)  # fmt: skip
    grants.suspend(db, residents["amina"], "decoupe-laser", reason="pause", actor=ACTOR)
    assert len(listed(db)["stop_now"]) == 1, "only the one stopped now"
    with pytest.raises(Exception, match="pictogram"):
        at_machine.set_checklist(db, "decoupe-laser", [{"icon": "../x", "text_fr": "a"}],
                                 actor=ACTOR)  # fmt: skip


def test_a_call_seen_is_told_to_its_station_and_seen_once(client, fablab, db, residents):
    call = event("call", person=residents["sophie"])
    post(client, fablab, [call])
    assert listed(db)["calls_seen"] == []
    (row,) = at_machine.open_calls(db)
    at_machine.mark_call_seen(db, row["id"], actor="claire")
    assert listed(db)["calls_seen"] == [call["id"]]
    assert listed(db, "couture")["calls_seen"] == []
    with pytest.raises(Conflict):
        at_machine.mark_call_seen(db, row["id"], actor="claire")


def test_a_card_enrolled_by_a_tap_is_named_in_the_answer(client, fablab, db, residents):
    enrolment.start(db, residents["lucas"], actor=ACTOR)
    tap = event("unknown_badge", uid="0F1E2D3C")
    assert post(client, fablab, [tap])["notes"] == {tap["id"]: {"enrolled": "Lucas"}}
