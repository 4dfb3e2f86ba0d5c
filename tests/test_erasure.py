"""Right of access and erasure: after erasure, no name and no badge UID left in the file."""

import json
import uuid
from pathlib import Path

import pytest

from tests.conftest import event
from web.domain import events as ingest
from web.domain import machines
from web.domain.erasure import erase
from web.domain.person_record import export_person


def test_a_person_gets_their_data_then_is_erased_without_a_trace(db, db_path, fablab):
    person = fablab.person("Zénobie Quartzfeld", "5A7C3E91", decoupe_laser=2)
    fablab.person("Someone Else", "11223344", decoupe_laser=2)
    laser = machines.get_machine(db, "laser")
    session = str(uuid.uuid4())
    ingest.ingest(db, laser, [
        event("session_started", session=session, person=person),
        event("session_ended", session=session, reason="badge_out"),
        event("unknown_badge", uid="5A7C3E91"),
    ])  # fmt: skip

    mine = export_person(db, person)
    assert mine["people"][0]["display_name"] == "Zénobie Quartzfeld"
    assert [b["uid"] for b in mine["badges"]] == ["5A7C3E91"]
    assert len(mine["sessions"]) == 1 and mine["practice"][0]["sessions"] == 1
    json.dumps(mine)  # it can be handed over as JSON

    totals = list(db.query("SELECT sessions, seconds FROM practice WHERE person_id = ?", [person]))
    erase(db, person, actor="test")
    files = [db_path, Path(f"{db_path}-wal")]
    raw = b"".join(path.read_bytes() for path in files if path.exists())
    for secret in ("Zénobie", "Quartzfeld", "5A7C3E91", "5a7c3e91"):
        assert secret.encode() not in raw, secret
    assert b"Someone Else" in raw  # only that person is gone
    assert (
        list(db.query("SELECT sessions, seconds FROM practice WHERE person_id = ?", [person]))
        == totals
    )


def test_access_and_erasure_from_the_person_page(logged_in, fablab, db):
    from tests.conftest import csrf
    from web.domain import people

    person = fablab.person("Zénobie Quartzfeld", "5A7C3E91", decoupe_laser=2)
    data = logged_in.get(f"/personnes/{person}/donnees.json")
    assert data.get_json()["people"][0]["display_name"] == "Zénobie Quartzfeld"
    assert "attachment" in data.headers["Content-Disposition"]
    token = csrf(logged_in.get(f"/personnes/{person}"))
    assert logged_in.post(f"/personnes/{person}/effacer", data={}).status_code == 400
    asked = logged_in.post(f"/personnes/{person}/effacer", data={"csrf_token": token})
    assert asked.status_code == 200 and people.exists(db, person)  # the confirmation first
    done = logged_in.post(f"/personnes/{person}/effacer",
                          data={"csrf_token": token, "confirmed": "yes"})  # fmt: skip
    assert done.status_code == 302
    assert not people.exists(db, person)
    assert logged_in.get(f"/personnes/{person}").status_code == 404


def test_a_persons_data_as_pdf(logged_in, fablab):
    person = fablab.person("Zénobie Quartzfeld", "5A7C3E91", decoupe_laser=2)
    served = logged_in.get(f"/personnes/{person}/donnees.pdf")
    assert served.status_code == 200 and served.mimetype == "application/pdf"
    assert served.data.startswith(b"%PDF")


@pytest.mark.slow
def test_erasure_leaves_no_trace_anywhere_and_lasts_across_a_restore(tmp_path, db, db_path,
                                                                    fablab):  # fmt: skip
    """She trained and supervised others, was audited, had refusals and rejected events, was
    exported; then erased: her name and every form of her card's number are in no file, no
    log, no export, and a backup taken before comes back without her."""
    import requests

    from tests.servers import HubProcess, fablab_hub
    from web.domain import grants, partners, people
    from web.domain.export import Week, build
    from web.domain.export_files import write

    uid = "5A7C3E91"
    forms = [uid, uid.lower(), "913E7C5A", "913e7c5a", str(int(uid, 16)), str(int("913E7C5A", 16))]
    zenobie = fablab.person("Zénobie Quartzfeld", uid, decoupe_laser=3)
    people.update_person(db, zenobie, "Zénobie Quartzfeld", age_band=None, gender=None,
                         consent_statistics=True, consent_partner_sharing=True, language=None,
                         actor="test")  # fmt: skip
    karim = fablab.person("Karim Diallo", "DEADBEEF")
    grants.grant(db, karim, "decoupe-laser", level=1, by="Zénobie Quartzfeld", actor="test")
    grants.suspend(db, karim, "decoupe-laser", reason="Vu avec zénobie quartzfeld", actor="test")
    laser = machines.get_machine(db, "laser")
    supervised, own = str(uuid.uuid4()), str(uuid.uuid4())
    ingest.ingest(db, laser, [
        event("session_started", session=own, person=zenobie),
        event("session_ended", session=own, reason="badge_out"),
        event("session_started", session=supervised, person=karim, supervisor=zenobie),
        event("session_ended", session=supervised, reason="badge_out"),
        event("denied", person=zenobie, reason="machine_busy"),
        event("unknown_badge", uid=uid),
    ])  # fmt: skip
    agency = partners.add(db, "plie", "PLIE", actor="test")
    exports = tmp_path / "exports"
    week = Week.last_complete().before(-1)  # this week
    write(build(db, week, agency), exports)
    with HubProcess(db_path, tmp_path / "hub.log") as hub:
        # A station sends malformed events carrying the card: rejected, and not logged.
        rejected = requests.post(f"{hub.url}/api/v1/events", headers=fablab.auth(),
                                 json={"events": [{"type": "unknown_badge", "uid": uid}]},
                                 timeout=5)  # fmt: skip
        assert rejected.status_code == 200 and len(rejected.json()["rejected"]) == 1
    fablab_hub(db_path, "backup", str(tmp_path / "before.db"))

    erase(db, zenobie, actor="test")
    write(build(db, week, agency), exports / "after")

    def found_in(path: Path) -> list[str]:
        raw = path.read_bytes()
        return [f for f in ("Zénobie", "Quartzfeld", "zénobie", *forms) if f.encode() in raw]

    files = [db_path, Path(f"{db_path}-wal"), tmp_path / "hub.log",
             *(exports / "after").iterdir()]  # fmt: skip
    assert {str(f): found_in(f) for f in files if f.exists() and found_in(f)} == {}
    assert "(personne effacée)" in grants.history(db, karim)[0]["granted_by"]

    # The backup taken before the erasure, restored: she is erased again at once.
    restored = fablab_hub(db_path, "backup", "restore", str(tmp_path / "before.db"))
    assert "1 erased person(s) erased again" in restored.stdout
    for path in (db_path, Path(f"{db_path}-wal")):
        if path.exists():
            assert found_in(path) == [], path
