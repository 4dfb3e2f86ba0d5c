"""The weekly export (week boundaries in Paris time, pseudonyms, small counts) and the purge."""

import csv
import uuid
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from tests.conftest import event
from web.domain import events as ingest
from web.domain import machines, people
from web.domain.export import PARIS, SESSION_COLUMNS, SUMMARY_COLUMNS, Week, build, write
from web.domain.purge import purge

ACTOR = "test"


def session_at(db, person, local: datetime, minutes: int = 60, machine: str = "laser"):
    """A session as a station on time would have sent it: received as it ended."""
    session = str(uuid.uuid4())
    start = local.replace(tzinfo=PARIS)
    ended = event("session_ended", at=start + timedelta(minutes=minutes), session=session,
                  reason="badge_out", busy_seconds=minutes * 30)  # fmt: skip
    with freeze_received(ended["at"]):
        ingest.ingest(db, machines.get_machine(db, machine), [
            event("session_started", at=start, session=session, person=person, level=2), ended,
        ])  # fmt: skip
    return session


@contextmanager
def freeze_received(at: str):
    """The hub's clock at `at` while events are ingested (they arrive then)."""
    from common.clock import normalise_timestamp
    from web.domain import events as module

    real = module.now_iso
    module.now_iso = lambda: normalise_timestamp(at)
    try:
        yield
    finally:
        module.now_iso = real


def test_weeks_follow_paris_time_across_daylight_saving_changes():
    march = Week.parse("2026-W13")  # the clocks go forward on Sunday 29 March
    assert march.start.date() == date(2026, 3, 23)
    # (Same-zone datetimes subtract as wall clocks; in UTC the week really is shorter.)
    assert (march.end.astimezone(UTC) - march.start.astimezone(UTC)).total_seconds() == 167 * 3600
    october = Week.parse("2026-W43")  # ... and back on Sunday 25 October
    assert (october.end.astimezone(UTC) - october.start.astimezone(UTC)).total_seconds() == (
        169 * 3600
    )
    assert Week.last_complete(datetime(2026, 11, 23, 8, tzinfo=UTC)).label == "2026-W47"
    # Sunday 23:30 in Paris: that week is not over yet; at 00:30 on Monday, it is.
    assert Week.last_complete(datetime(2026, 11, 22, 22, 30, tzinfo=UTC)).label == "2026-W46"
    assert Week.last_complete(datetime(2026, 11, 22, 23, 30, tzinfo=UTC)).label == "2026-W47"
    with pytest.raises(ValueError, match="YYYY-Www"):
        Week.parse("2026-54")


def test_sessions_land_in_the_week_of_their_paris_start(db, fablab):
    amina = fablab.person("Amina", "DEADBEEF", decoupe_laser=2)
    late_sunday = session_at(db, amina, datetime(2026, 3, 29, 23, 30))  # 21:30 UTC
    early_monday = session_at(db, amina, datetime(2026, 3, 30, 0, 30))  # 22:30 UTC, Sunday!
    w13 = [row["seance"] for row in build(db, Week.parse("2026-W13")).sessions]
    w14 = [row["seance"] for row in build(db, Week.parse("2026-W14")).sessions]
    assert w13 == [late_sunday] and w14 == [early_monday]


def test_the_files_open_in_french_excel_and_explain_themselves(db, fablab, tmp_path):
    amina = fablab.person("Amina Benali", "DEADBEEF", decoupe_laser=2)
    karim = fablab.person("Karim Diallo", "CAFEF00D", decoupe_laser=2)
    for day, person in ((23, amina), (24, amina), (25, karim)):
        session_at(db, person, datetime(2026, 11, day, 14, 0), minutes=90)
    paths = write(build(db, Week.parse("2026-W48")), tmp_path)
    sessions_csv, summary_csv, workbook = paths
    assert sessions_csv.read_bytes().startswith(b"\xef\xbb\xbf")
    with open(sessions_csv, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert [row["debut"] for row in rows] == [
        "2026-11-23 14:00",
        "2026-11-24 14:00",
        "2026-11-25 14:00",
    ]
    assert rows[0]["duree_minutes"] == "90,0" and rows[0]["minutes_en_marche"] == "45,0"
    pseudonyms = [row["personne"] for row in rows]
    assert pseudonyms[0] == pseudonyms[1] != pseudonyms[2]
    text = sessions_csv.read_text(encoding="utf-8-sig")
    assert amina not in text and "Amina" not in text and "DEADBEEF" not in text
    # Another week gives the same person another pseudonym.
    session_at(db, amina, datetime(2026, 12, 1, 10, 0))
    assert build(db, Week.parse("2026-W49")).sessions[0]["personne"] != pseudonyms[0]

    with open(summary_csv, encoding="utf-8-sig", newline="") as handle:
        summary = {(r["perimetre"], r["nom"], r["indicateur"]): r["valeur"]
                   for r in csv.DictReader(handle, delimiter=";")}  # fmt: skip
    assert summary["fablab", "", "seances"] == "3"
    assert summary["fablab", "", "personnes"] == "<5"  # two people: too few to show
    assert summary["fablab", "", "heures"] == "4,5"
    assert summary["machine", "laser", "heures_en_marche"] == "2,25"

    book = load_workbook(workbook)
    assert book.sheetnames == ["Séances", "Synthèse", "Colonnes"]
    assert [c.value for c in book["Séances"][1]] == list(SESSION_COLUMNS)
    explained = {(r[0].value, r[1].value) for r in book["Colonnes"].iter_rows(min_row=2)}
    assert all(("Séances", column) in explained for column in SESSION_COLUMNS)
    assert all(("Synthèse", column) in explained for column in SUMMARY_COLUMNS)
    assert book["Séances"].max_row == 4


def test_statistics_count_only_consenting_people_and_hide_small_numbers(db, fablab):
    visitors = []
    for n in range(7):
        person = people.add_person(db, f"P {n}", age_band="26_44", gender="female",
                                   consent_statistics=n < 6, actor=ACTOR)  # fmt: skip
        visitors.append(person)
    from web.domain import grants

    for person in visitors:
        grants.grant(db, person, "decoupe-laser", level=2, actor=ACTOR)
        db.execute("UPDATE grant_changes SET at = '2026-01-01T00:00:00.000Z'")  # trained then
        session_at(db, person, datetime(2026, 11, 24, 10, 0))
    summary = {(r["perimetre"], r["indicateur"]): r["valeur"]
               for r in build(db, Week.parse("2026-W48")).summary}  # fmt: skip
    assert summary["fablab", "personnes"] == 7
    assert summary["fablab", "age_26_44"] == 6  # the one who did not agree is not counted
    assert summary["fablab", "age_under_26"] == 0
    assert summary["fablab", "genre_female"] == 6


def test_a_purge_forgets_detail_but_not_totals(db, fablab):
    amina = fablab.person("Amina", "DEADBEEF", decoupe_laser=2)
    session_at(db, amina, datetime(2026, 1, 5, 10, 0), minutes=120)
    session_at(db, amina, datetime(2026, 11, 20, 10, 0), minutes=30)
    totals = list(db.query("SELECT * FROM practice"))
    done = purge(db, datetime(2026, 8, 1, tzinfo=UTC), actor=ACTOR)
    assert done == {"events": 2, "sessions": 1}
    assert list(db.query("SELECT * FROM practice")) == totals
    assert totals[0]["seconds"] == 150 * 60
    assert db["sessions"].count == 1 and db["events"].count == 2
