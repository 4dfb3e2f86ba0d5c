"""The right of access and erasure cover every table: a table that can hold a person's data
and is missing from the export or from erasure fails here; the readable document says
everything in words, names and local times."""

from __future__ import annotations

import re
import uuid

from tests.conftest import event
from web.domain import erasure, grants, machines
from web.domain import events as ingest
from web.domain.person_record import NOT_PERSONAL, PERSONAL, export_person

PERSON_COLUMNS = re.compile(r"(person_id|supervisor_id|^uid$|subject)")


def test_every_table_is_exported_or_said_why_not(db):
    tables = set(db.table_names())
    assert tables == set(PERSONAL) | set(NOT_PERSONAL), (
        f"classify in web/domain/person_record.py: {tables ^ (set(PERSONAL) | set(NOT_PERSONAL))}"
    )
    for table in NOT_PERSONAL:
        columns = {column.name for column in db[table].columns}
        assert not {c for c in columns if PERSON_COLUMNS.search(c)}, (table, columns)
    assert set(erasure.ON_ERASURE) == set(PERSONAL)  # erasure says what it does with each


def test_the_access_export_holds_everything_about_the_person(db, fablab, logged_in):
    amina = fablab.person("Amina Benali", "04A1B2C3D4E5F6", decoupe_laser=3)
    karim = fablab.person("Karim Diallo", "DEADBEEF", decoupe_laser=1)
    laser = machines.get_machine(db, "laser")
    supervised, own = str(uuid.uuid4()), str(uuid.uuid4())
    ingest.ingest(db, laser, [
        event("session_started", session=supervised, person=karim, supervisor=amina),
        event("session_ended", session=supervised, reason="badge_out"),
        event("session_started", session=own, person=amina),
        event("session_ended", session=own, reason="timeout"),
        event("denied", person=amina, reason="machine_busy"),
        event("call", person=amina),
    ])  # fmt: skip
    grants.suspend(db, amina, "decoupe-laser", reason="Consignes oubliées", actor="test")
    data = export_person(db, amina)
    assert {row["supervised_by_you"] for row in data["sessions"]} == {0, 1}
    assert [e["type"] for e in data["events"] if e["type"] in ("denied", "call")] == [
        "denied", "call"]  # fmt: skip
    assert any(change["reason"] == "Consignes oubliées" for change in data["grant_changes"])
    assert data["audit_log"] and data["calls"]

    page = logged_in.get(f"/personnes/{amina}/donnees").get_data(as_text=True)
    for words in ("Découpe laser", "Référent", "suspendue (Consignes oubliées)",
                  "durée maximale", "vous accompagniez", "refus à la machine : machine occupée",
                  "animateur", "04A1B2C3D4E5F6"):  # fmt: skip
        assert words in page, words
    assert not re.search(r"\d{4}-\d\d-\d\dT", page)  # no raw UTC stamps
    assert "skill_id" not in page and "badge_out" not in page


def test_the_privacy_notice_says_what_the_code_does(client, db):
    """Its durations are the purge's, and the purge the units run uses the same figure."""
    from pathlib import Path

    from web.domain import partners
    from web.domain.export import SMALL
    from web.domain.purge import DEFAULT_MONTHS

    partners.add(db, "mission-locale", "Mission Locale", actor="test")
    import html

    page = html.unescape(client.get("/donnees-personnelles").get_data(as_text=True))
    assert f"{DEFAULT_MONTHS} mois, puis résumé en heures de pratique" in page
    assert f"un nombre de 1 à {SMALL - 1} personnes n'est jamais donné" in page
    assert "Mission Locale" in page and "pseudonyme différent pour chaque partenaire" in page
    unit = (Path(__file__).parents[1] / "systemd" / "fablab-purge.service").read_text()
    assert f"purge --months {DEFAULT_MONTHS}" in unit
    for kind in ("carte", "formations", "séances", "venues", "tranche d'âge", "journal"):
        assert kind in page, kind
