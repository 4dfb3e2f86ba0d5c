"""People, badges and trainings as the facilitator and the installer manage them."""

from datetime import date

import pytest

from common.uid import InvalidUid, normalise_uid
from web.domain import audit, badges, grants, people, skills
from web.domain.errors import Conflict, Invalid, NotFound

ACTOR = "test"


@pytest.mark.parametrize(
    ("raw", "uid"),
    [
        ("de:ad:be:ef", "DEADBEEF"),
        ("04-a1-b2-c3-d4-e5-f6", "04A1B2C3D4E5F6"),
        (" 0a0b0c0d0e ", "0A0B0C0D0E"),
    ],
)
def test_uids_are_normalised(raw, uid):
    assert normalise_uid(raw) == uid


@pytest.mark.parametrize("raw", ["", "DEADBEE", "DEADBEEFABCD", "ZZZZZZZZ", "DE AD BE", "1" * 22])
def test_things_that_are_not_uids_are_refused(raw):
    with pytest.raises(InvalidUid):
        normalise_uid(raw)


def test_a_badge_belongs_to_one_person_at_a_time(db, fablab):
    amina = fablab.person("Amina Benali")
    karim = fablab.person("Karim Diallo")
    assert badges.assign_badge(db, amina, "de:ad:be:ef", actor=ACTOR) == "DEADBEEF"
    assert badges.assign_badge(db, amina, "DEADBEEF", actor=ACTOR) == "DEADBEEF"  # no change
    with pytest.raises(Conflict, match="already belongs"):
        badges.assign_badge(db, karim, "DEADBEEF", actor=ACTOR)
    badges.revoke_badge(db, "DEADBEEF", reason="lost", actor=ACTOR)
    badges.assign_badge(db, karim, "DEADBEEF", actor=ACTOR)
    history = list(db.query("SELECT person_id, revoked_reason FROM badges ORDER BY id"))
    assert history == [
        {"person_id": amina, "revoked_reason": "lost"},
        {"person_id": karim, "revoked_reason": None},
    ]


def test_a_badge_for_nobody_or_a_bad_uid_is_refused(db, fablab):
    with pytest.raises(NotFound):
        badges.assign_badge(db, "NOBODY00", "DEADBEEF", actor=ACTOR)
    amina = fablab.person("Amina")
    with pytest.raises(Invalid):
        badges.assign_badge(db, amina, "not a uid", actor=ACTOR)
    with pytest.raises(NotFound):
        badges.revoke_badge(db, "CAFEF00D", actor=ACTOR)


def test_people_get_distinct_pseudonymous_ids(db, fablab):
    ids = {fablab.person(f"Person {n}") for n in range(50)}
    assert len(ids) == 50
    assert all(len(person_id) == 8 and person_id.isalnum() for person_id in ids)


def test_a_person_needs_a_name_and_valid_statistics(db):
    with pytest.raises(Invalid):
        people.add_person(db, "   ", actor=ACTOR)
    with pytest.raises(Invalid):
        people.add_person(db, "Amina", age_band="old", actor=ACTOR)
    person_id = people.add_person(db, "  Amina   Benali ", age_band="26_44", actor=ACTOR)
    assert people.get_person(db, person_id)["display_name"] == "Amina Benali"


def test_a_new_training_supersedes_the_current_one_and_history_stays(db, fablab):
    amina = fablab.person("Amina")
    grants.grant(db, amina, "decoupe-laser", level=1, on=date(2026, 1, 31), actor=ACTOR)
    grants.grant(db, amina, "decoupe-laser", level=2, by="Claire", actor=ACTOR)
    grants.revoke(db, amina, "decoupe-laser", reason="unsafe use", actor=ACTOR)
    rows = grants.history(db, amina)
    assert [(row["level"], row["status"]) for row in rows] == [(2, "revoked"), (1, "superseded")]
    assert rows[0]["granted_by"] == "Claire" and rows[0]["status_reason"] == "unsafe use"
    assert rows[1]["valid_until"] == "2028-01-31"  # the skill's 24 months
    changes = [row["status"] for row in db.query("SELECT status FROM grant_changes ORDER BY id")]
    assert changes == ["active", "superseded", "active", "revoked"]
    with pytest.raises(NotFound):
        grants.revoke(db, amina, "decoupe-laser", actor=ACTOR)


def test_suspend_and_reinstate(db, fablab):
    amina = fablab.person("Amina", decoupe_laser=2)
    grants.suspend(db, amina, "decoupe-laser", reason="to check", actor=ACTOR)
    with pytest.raises(Conflict):
        grants.reinstate(db, amina, "couture", actor=ACTOR)
    assert grants.history(db, amina)[0]["status"] == "suspended"
    grants.reinstate(db, amina, "decoupe-laser", actor=ACTOR)
    assert grants.history(db, amina)[0]["status"] == "active"


def test_training_validity_follows_the_skill_or_the_override(db, fablab):
    skills.add_skill(
        db, "impression-3d", name_fr="Impression 3D", validity_months=None, actor=ACTOR
    )
    amina = fablab.person("Amina")
    grants.grant(db, amina, "impression-3d", level=2, on=date(2026, 3, 1), actor=ACTOR)
    grants.grant(db, amina, "couture", level=2, valid_months=1, on=date(2026, 3, 31), actor=ACTOR)
    by_skill = {row["skill"]: row["valid_until"] for row in grants.history(db, amina)}
    assert by_skill == {"impression-3d": None, "couture": "2026-04-30"}


def test_bad_skills_are_refused(db):
    with pytest.raises(Invalid):
        skills.add_skill(db, "Découpe Laser", name_fr="x", actor=ACTOR)
    with pytest.raises(Invalid, match="ROME"):
        skills.add_skill(db, "laser", name_fr="Laser", rome_codes=["12345"], actor=ACTOR)
    skills.add_skill(db, "laser", name_fr="Laser", rome_codes=["h2905"], actor=ACTOR)
    with pytest.raises(Conflict):
        skills.add_skill(db, "laser", name_fr="Laser", actor=ACTOR)
    assert skills.get_skill(db, "laser")["rome_codes"] == '["H2905"]'


def test_every_change_is_audited(db, fablab):
    amina = fablab.person("Amina", "DEADBEEF", decoupe_laser=2)
    actions = [entry["action"] for entry in reversed(audit.entries(db))]
    assert actions[-3:] == ["person.add", "badge.assign", "grant.add"]
    assert all(entry["actor"] == ACTOR for entry in audit.entries(db) if entry["subject"] == amina)
