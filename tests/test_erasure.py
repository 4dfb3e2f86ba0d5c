"""Right of access and erasure: after erasure, no name and no badge UID left in the file."""

import json
import uuid
from pathlib import Path

from tests.conftest import event
from web.domain import events as ingest
from web.domain import machines
from web.domain.erasure import erase, export_person


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
    assert mine["person"]["display_name"] == "Zénobie Quartzfeld"
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
    assert data.get_json()["person"]["display_name"] == "Zénobie Quartzfeld"
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
