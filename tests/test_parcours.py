"""The parcours: totals from sessions as they arrive, milestones, what comes next."""

import uuid
from datetime import UTC, date, datetime, timedelta

from tests.conftest import event
from web.domain import events as ingest
from web.domain import grants, machines, skills
from web.domain.parcours import parcours
from web.domain.purge import purge


def sessions(db, person, count, minutes, supervisor=None, machine="laser", job=False):
    start = datetime(2026, 10, 1, 9, tzinfo=UTC)
    device = machines.get_machine(db, machine)
    for n in range(count):
        session = str(uuid.uuid4())
        at = start + timedelta(days=n)
        batch = [event("session_started", at=at, session=session, person=person,
                       **({"supervisor": supervisor} if supervisor else {}))]  # fmt: skip
        if job:
            batch.append(event("job", at=at, session=session, state="done", file="cube.gcode"))
        batch.append(event("session_ended", at=at + timedelta(minutes=minutes), session=session,
                           reason="badge_out", busy_seconds=minutes * 20))  # fmt: skip
        ingest.ingest(db, device, batch)


def test_a_discovery_record_with_supervised_sessions_suggests_an_autonomy_check(db, fablab):
    amina = fablab.person("Amina", "04A1B2C3D4E5F6", decoupe_laser=3)
    karim = fablab.person("Karim", "DEADBEEF", decoupe_laser=1)
    sessions(db, karim, 3, 40, supervisor=amina)
    (laser,) = parcours(db, karim, today=date(2026, 11, 22))
    assert (laser.level, laser.sessions, laser.supervised_sessions) == (1, 3, 3)
    assert laser.hours == 2.0 and laser.rome_codes == ["H2905"]
    assert laser.milestones == ["first_session", "hours_1"]
    assert laser.next_steps == ["autonomy_check"]


def test_many_hours_suggest_a_mentor_and_expiry_a_refresher(db, fablab):
    sophie = fablab.person("Sophie", "CAFEF00D", decoupe_laser=2)
    sessions(db, sophie, 12, 120)
    (laser,) = parcours(db, sophie, today=date(2026, 11, 22))
    assert laser.hours == 24.0
    assert "autonomous" in laser.milestones and "hours_20" in laser.milestones
    assert laser.next_steps == ["could_mentor"]
    soon = parcours(db, sophie, today=laser.valid_until - timedelta(days=10))[0]
    assert "refresher" in soon.next_steps


def test_prints_count_and_totals_survive_the_purge(db, fablab):
    skills.add_skill(db, "impression-3d", name_fr="Impression 3D", actor="t")
    machines.add_machine(db, "imprimante", kind="printer", skill="impression-3d", actor="t")
    fatou = fablab.person("Fatou", "0A0B0C0D", impression_3d=2)
    sessions(db, fatou, 2, 90, machine="imprimante", job=True)
    before = parcours(db, fatou)[0]
    assert before.jobs == 2 and "first_job" in before.milestones
    purge(db, datetime(2027, 1, 1, tzinfo=UTC), actor="t")
    after = parcours(db, fatou)[0]
    assert (after.hours, after.sessions, after.jobs) == (before.hours, before.sessions, before.jobs)


def test_history_keeps_every_training(db, fablab):
    karim = fablab.person("Karim", "DEADBEEF", decoupe_laser=1)
    grants.grant(db, karim, "decoupe-laser", level=2, actor="t")
    (laser,) = parcours(db, karim)
    assert [(h["level"], h["status"]) for h in laser.history] == [(1, "superseded"), (2, "active")]


def test_the_parcours_page_in_plain_french(logged_in, fablab, db):
    karim = fablab.person("Karim", "DEADBEEF", decoupe_laser=1)
    html = logged_in.get(f"/personnes/{karim}/parcours").get_data(as_text=True)
    assert "Parcours de Karim" in html and "Découverte" in html
    assert f"/personnes/{karim}/parcours" in logged_in.get(f"/personnes/{karim}").get_data(
        as_text=True
    )
