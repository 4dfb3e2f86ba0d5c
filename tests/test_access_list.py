"""The access list a station decides from: its content, its ETag and its long poll."""

import threading
import time
from datetime import UTC, date, datetime

import pytest

from common.uid import BadgeHash
from tests.conftest import event
from web.domain import badges, grants, machines, people

ACTOR = "test"


def fetch(client, fablab, machine="laser", **headers):
    return client.get("/api/v1/access-list", headers={**fablab.auth(machine), **headers})


def by_hash(body):
    return {entry["hash"]: entry for entry in body["badges"]}


def entry_for(body, uid):
    return by_hash(body).get(BadgeHash.from_description(body["badge_hash"]).of(uid))


def test_a_station_gets_its_machine_its_skill_and_only_the_badges_that_matter(client, fablab, db):
    from web.domain import facilitators

    amina = fablab.person("Amina Benali", "04A1B2C3D4E5F6", decoupe_laser=3)
    fablab.person("Karim Diallo", "DEADBEEF", decoupe_laser=1, couture=2)
    fablab.person("Lucas Petit", "CAFEF00D", couture=3)  # not trained on the laser
    fablab.person("No Badge", None, decoupe_laser=2)
    claire = fablab.person("Claire M.", "0A0B0C0D")  # the facilitator, with her badge
    facilitators.add_facilitator(db, "claire", "un-mot-de-passe-long", person_id=claire,
                                 actor=ACTOR)  # fmt: skip

    body = fetch(client, fablab).get_json()
    assert body["machine"] == {
        "name": "laser",
        "display_name": "laser",
        "kind": "laser",
        "out_of_service": False,
        "out_of_service_reason": None,
        "out_of_service_when": "now",
        "settings": {},
    }
    assert body["skill"]["slug"] == "decoupe-laser"
    assert body["skill"]["inactivity_months"] == 6
    assert len(body["badges"]) == 3  # Amina, Karim, Claire; not Lucas, not the badgeless
    assert entry_for(body, "CAFEF00D") is None

    today = date.today().isoformat()
    entry = entry_for(body, "04A1B2C3D4E5F6")
    assert entry == {
        "hash": BadgeHash.from_description(body["badge_hash"]).of("04A1B2C3D4E5F6"),
        "person": entry["person"],
        "first_name": "Amina",
        "level": 3,
        "supervisor": True,
        "valid_until": entry["valid_until"],
        "last_practice": today,
        "hours": 0.0,
    }
    assert entry["person"] != amina and len(entry["person"]) == 8  # this station's id for her
    assert entry_for(body, "DEADBEEF")["level"] == 1
    assert entry_for(body, "DEADBEEF")["supervisor"] is False
    assert {k: v for k, v in entry_for(body, "0A0B0C0D").items() if k != "hash"} == {
        "person": entry_for(body, "0A0B0C0D")["person"],
        "first_name": "Claire",
        "level": None,
        "supervisor": True,
    }


def test_a_station_never_receives_uids_or_full_names(client, fablab):
    fablab.person("Amina Benali", "04A1B2C3D4E5F6", decoupe_laser=3)
    raw = fetch(client, fablab).get_data(as_text=True)
    assert "04A1B2C3D4E5F6" not in raw.upper()
    assert "Benali" not in raw


def test_each_station_has_its_own_salt_and_its_own_ids_for_people(client, fablab):
    amina = fablab.person("Amina", "DEADBEEF", decoupe_laser=2, couture=2)
    laser = fetch(client, fablab, "laser").get_json()
    sewing = fetch(client, fablab, "couture").get_json()
    assert laser["badge_hash"]["salt"] != sewing["badge_hash"]["salt"]
    assert set(by_hash(laser)).isdisjoint(by_hash(sewing))
    ids = {entry_for(laser, "DEADBEEF")["person"], entry_for(sewing, "DEADBEEF")["person"]}
    assert len(ids) == 2 and amina not in ids  # two lists cannot be matched by person either


def test_the_badge_hash_is_memory_hard_and_stated_in_the_list(client, fablab):
    """scrypt with at least 2 MiB per guess (its cost in time is measured by make bench)."""
    fablab.person("Amina", "DEADBEEF", decoupe_laser=2)
    stated = fetch(client, fablab).get_json()["badge_hash"]
    assert stated["algorithm"] == "scrypt" and len(bytes.fromhex(stated["salt"])) == 16
    assert 128 * stated["n"] * stated["r"] >= 2 * 1024 * 1024


def test_events_naming_a_stations_own_id_are_filed_under_the_person(client, fablab, db):
    amina = fablab.person("Amina", "DEADBEEF", decoupe_laser=2)
    alias = entry_for(fetch(client, fablab).get_json(), "DEADBEEF")["person"]
    session = "9b2f1c3e-0000-4000-8000-0000000000aa"
    answer = client.post("/api/v1/events", headers=fablab.auth(), json={"events": [
        event("session_started", session=session, person=alias, level=2),
        event("denied", reason="lapsed", person="ZZZZ0000"),
    ]}).get_json()  # fmt: skip
    assert len(answer["accepted"]) == 1
    assert answer["rejected"][0]["reason"] == "person: nobody known to this station as ZZZZ0000"
    assert db.execute("SELECT person_id FROM sessions").fetchone()[0] == amina


def test_revoked_badges_and_revoked_or_suspended_trainings(client, fablab, db):
    amina = fablab.person("Amina", "DEADBEEF", decoupe_laser=2)
    karim = fablab.person("Karim", "CAFEF00D", decoupe_laser=2)
    badges.revoke_badge(db, "DEADBEEF", reason="lost", actor=ACTOR)
    grants.suspend(db, karim, "decoupe-laser", reason="check", actor=ACTOR)
    body = fetch(client, fablab).get_json()
    assert entry_for(body, "DEADBEEF") is None  # a lost badge opens nothing
    assert entry_for(body, "CAFEF00D")["level"] is None  # suspended: known, not trained now
    grants.revoke(db, amina, "decoupe-laser", reason="unsafe", actor=ACTOR)
    badges.assign_badge(db, amina, "11223344", actor=ACTOR)
    assert entry_for(fetch(client, fablab).get_json(), "11223344") is None  # revoked: unknown


def test_expired_trainings_stay_listed_with_their_dates(client, fablab, db):
    jean = people.add_person(db, "Jean Dupont", actor=ACTOR)
    badges.assign_badge(db, jean, "12345678", actor=ACTOR)
    grants.grant(
        db, jean, "decoupe-laser", level=2, valid_months=1, on=date(2025, 1, 15), actor=ACTOR
    )
    entry = entry_for(fetch(client, fablab).get_json(), "12345678")
    assert entry["valid_until"] == "2025-02-15"
    assert entry["last_practice"] == "2025-01-15"


def test_last_practice_follows_sessions(client, fablab, db):
    amina = fablab.person("Amina", "DEADBEEF", decoupe_laser=2)
    session = "9b2f1c3e-0000-4000-8000-000000000001"
    start = datetime.now(UTC).replace(microsecond=0)
    events = [
        event("session_started", at=start, session=session, person=amina),
        event("session_ended", at=start, session=session, reason="badge_out"),
    ]
    db.execute("UPDATE grants SET granted_at = '2026-01-02T10:00:00.000Z'")
    assert entry_for(fetch(client, fablab).get_json(), "DEADBEEF")["last_practice"] == "2026-01-02"
    client.post("/api/v1/events", headers=fablab.auth(), json={"events": events})
    assert entry_for(fetch(client, fablab).get_json(), "DEADBEEF")["last_practice"] == str(
        start.date()
    )


def test_304_when_nothing_changed_and_a_new_etag_when_something_did(client, fablab, db):
    amina = fablab.person("Amina", "DEADBEEF", decoupe_laser=1)
    first = fetch(client, fablab)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "no-cache"
    assert fetch(client, fablab).headers["ETag"] == etag

    again = fetch(client, fablab, **{"If-None-Match": etag})
    assert again.status_code == 304
    assert again.headers["ETag"] == etag
    assert fetch(client, fablab, **{"If-None-Match": f"W/{etag}"}).status_code == 304

    # A change that does not touch this machine's list keeps the ETag.
    fablab.person("Karim", None, couture=2)
    assert fetch(client, fablab, **{"If-None-Match": etag}).status_code == 304

    grants.grant(db, amina, "decoupe-laser", level=2, actor=ACTOR)
    changed = fetch(client, fablab, **{"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert entry_for(changed.get_json(), "DEADBEEF")["level"] == 2


def test_out_of_service_reaches_the_list(client, fablab, db):
    machines.set_out_of_service(db, "laser", "Lentille cassée", actor=ACTOR)
    body = fetch(client, fablab).get_json()
    assert body["machine"]["out_of_service"] is True
    assert body["machine"]["out_of_service_reason"] == "Lentille cassée"
    machines.set_out_of_service(db, "laser", None, actor=ACTOR)
    assert fetch(client, fablab).get_json()["machine"]["out_of_service"] is False


def test_a_long_poll_with_no_change_ends_in_304(client, fablab):
    etag = fetch(client, fablab).headers["ETag"]
    response = client.get(
        "/api/v1/access-list?wait=1", headers={**fablab.auth(), "If-None-Match": etag}
    )
    assert response.status_code == 304


def _long_poll_across(app, fablab, change):
    """Start a long poll, make `change` once the poll is waiting, return the answer."""
    etag = app.test_client().get("/api/v1/access-list", headers=fablab.auth()).headers["ETag"]
    answers = []
    waiting = threading.Thread(
        target=lambda: answers.append(
            app.test_client().get(
                "/api/v1/access-list?wait=30", headers={**fablab.auth(), "If-None-Match": etag}
            )
        )
    )
    waiting.start()
    watcher = app.extensions["revision_watcher"]
    deadline = time.monotonic() + 5
    while not watcher._waiters and time.monotonic() < deadline:
        time.sleep(0.01)
    change()
    waiting.join(timeout=10)
    # Had the change not woken it, the poll would still be waiting, or end in a 304.
    assert answers, "the long poll did not answer"
    assert answers[0].status_code == 200
    assert answers[0].headers["ETag"] != etag
    return answers[0].get_json()


CHANGES = {
    "training revoked": lambda db, who: grants.revoke(db, who, "decoupe-laser", actor=ACTOR),
    "badge revoked": lambda db, who: badges.revoke_badge(db, "DEADBEEF", actor=ACTOR),
    "person renamed": lambda db, who: db.execute(
        "UPDATE people SET display_name = 'Aminata B' WHERE id = ?", [who]
    ),
    "machine out of service": lambda db, who: machines.set_out_of_service(
        db, "laser", "Maintenance", actor=ACTOR
    ),
}


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
def test_a_long_poll_wakes_up_on_any_change_the_list_depends_on(app, fablab, db, change):
    amina = fablab.person("Amina", "DEADBEEF", decoupe_laser=2)
    body = _long_poll_across(app, fablab, lambda: CHANGES[change](db, amina))
    entry = entry_for(body, "DEADBEEF")
    expected = {
        "training revoked": lambda: entry is None,  # no longer listed: unknown here
        "badge revoked": lambda: entry is None,
        "person renamed": lambda: entry["first_name"] == "Aminata",
        "machine out of service": lambda: body["machine"]["out_of_service"],
    }
    assert expected[change]()


def test_without_if_none_match_a_wait_answers_at_once(client, fablab):
    assert fetch(client, fablab).status_code == 200
    response = client.get("/api/v1/access-list?wait=60", headers=fablab.auth())
    assert response.status_code == 200


def test_the_station_learns_each_persons_language_and_whom_to_send_them_to(client, fablab, db):
    from web.domain import facilitators, people, settings

    amina = fablab.person("Amina Benali", "04A1B2C3D4E5F6", decoupe_laser=2)
    people.set_language(db, amina, "ar", actor="t")
    fablab.person("Sophie Martin", "CAFEF00D", decoupe_laser=2)
    body = fetch(client, fablab).get_json()
    assert entry_for(body, "04A1B2C3D4E5F6")["language"] == "ar"
    assert "language" not in entry_for(body, "CAFEF00D")  # French, the default
    assert body["fablab"] == {"contact": ""}

    facilitators.add_facilitator(db, "claire", "un-mot-de-passe-long", actor="t")
    etag = fetch(client, fablab).headers["ETag"]
    assert fetch(client, fablab).get_json()["fablab"] == {"contact": "Claire"}
    settings.set_value(db, "contact_name", "Samia", actor="t")
    settings.set_value(db, "station_languages", "en", actor="t")  # Arabic hidden: not reviewed
    changed = fetch(client, fablab, **{"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.get_json()["fablab"] == {"contact": "Samia"}
    assert "language" not in entry_for(changed.get_json(), "04A1B2C3D4E5F6")
    assert settings.station_languages(db) == ("fr", "en")
