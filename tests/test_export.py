"""The weekly export (week boundaries in Paris time, pseudonyms, small counts) and the purge."""

import csv
import uuid
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from tests.conftest import event
from web.domain import events as ingest
from web.domain import machines, partners, people
from web.domain.export import PARIS, Week, build
from web.domain.export_files import SESSION_COLUMNS, SUMMARY_COLUMNS, write
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
    w13 = [row["valeur"] for row in build(db, Week.parse("2026-W13")).summary
           if row["indicateur"] == "seances" and row["perimetre"] == "fablab"]  # fmt: skip
    w14 = [row["valeur"] for row in build(db, Week.parse("2026-W14")).summary
           if row["indicateur"] == "seances" and row["perimetre"] == "fablab"]  # fmt: skip
    assert w13 == [1] and w14 == [1]
    assert late_sunday != early_monday


def crowd(
    db,
    count: int,
    *,
    shared: int,
    machine: str = "laser",
    day: int = 24,
    hour: int = 10,
    minutes: int = 60,
) -> list[str]:
    """`count` people trained on the laser, one session each; the first `shared` agreed to
    partner sharing."""
    from web.domain import grants

    made = []
    for n in range(count):
        person = people.add_person(db, f"Personne {machine} {n}", age_band="26_44",
                                   consent_partner_sharing=n < shared, consent_statistics=True,
                                   actor=ACTOR)  # fmt: skip
        grants.grant(db, person, "decoupe-laser" if machine == "laser" else "couture", level=2,
                     on=date(2026, 1, 5), actor=ACTOR)  # fmt: skip
        db.execute("UPDATE grant_changes SET at = '2026-01-05T12:00:00.000Z'")  # trained then
        session_at(db, person, datetime(2026, 11, day, hour, 7 + n), minutes=minutes + n,
                   machine=machine)  # fmt: skip
        made.append(person)
    return made


def read_csv(path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


MASKED = "Masqué (1 à 4 personnes)"


@pytest.fixture
def agency(db):
    return partners.add(db, "mission-locale", "Mission Locale", actor=ACTOR)


def test_row_level_files_only_for_people_who_agreed_and_never_for_a_small_cell(
    db, fablab, tmp_path, agency
):
    laser = crowd(db, 7, shared=4)  # 7 people on the laser, 4 agreed
    crowd(db, 3, shared=3, machine="couture", day=25)  # 3 on the sewing machine: too few
    export = build(db, Week.parse("2026-W48"), agency)
    files = {path.name: path for path in write(export, tmp_path)}
    sessions = read_csv(files["fablab-seances-2026-W48-mission-locale.csv"])
    assert len(sessions) == 4  # the laser's 4 who agreed; nobody from the small sewing cell
    assert {row["Machine"] for row in sessions} == {"laser"}
    shown = {row["Personne (pseudonyme)"] for row in sessions}
    assert shown == {partners.pseudonym(agency, person) for person in laser[:4]}
    # Half-days, not times; durations to 5 minutes.
    assert {row["Demi-journée"] for row in sessions} == {"matin"}
    assert all(int(row["Durée (minutes)"]) % 5 == 0 for row in sessions)
    assert not any(":" in value for row in sessions for value in row.values())

    summary = {(r["Périmètre"], r["Nom"], r["Indicateur"]): (r["Valeur"], r[MASKED])
               for r in read_csv(files["fablab-synthese-2026-W48-mission-locale.csv"])}  # fmt: skip
    assert summary["machine", "couture", "personnes"] == ("", "oui")
    assert summary["machine", "laser", "personnes"] == ("7", "")
    assert summary["fablab", "", "seances"] == ("10", "")
    # Totals add up: sessions = detailed + not detailed (did not agree, or a small cell).
    assert summary["fablab", "", "seances_detaillees"] == ("4", "")
    # No file reveals a masked count: the sewing machine's people are in no row.
    for masked_cell in [key for key, (_, flag) in summary.items() if flag == "oui"]:
        scope, name, _ = masked_cell
        column = {"machine": "Machine", "competence": "Compétence"}.get(scope)
        assert column is None or not [r for r in sessions if r[column] == name], masked_cell


def test_a_partners_pseudonyms_are_stable_and_its_own(db, fablab, agency):
    group = crowd(db, 6, shared=6)
    for n, person in enumerate(group):  # the same six the following week
        session_at(db, person, datetime(2026, 12, 1, 15, n))
    other = partners.add(db, "plie", "PLIE", actor=ACTOR)

    def seen(week: str, partner) -> set[str]:
        return {row["personne"] for row in build(db, Week.parse(week), partner).sessions}

    assert len(seen("2026-W48", agency)) == 6
    assert seen("2026-W48", agency) == seen("2026-W49", agency)  # followed week to week
    assert not seen("2026-W48", agency) & seen("2026-W48", other)  # never joined across
    assert build(db, Week.parse("2026-W48")).sessions == []  # the summary alone: no rows


def test_the_files_explain_themselves_and_type_their_cells(db, fablab, tmp_path, agency):
    crowd(db, 5, shared=5)
    files = {path.name: path for path in write(build(db, Week.parse("2026-W48"), agency), tmp_path)}
    assert all(path.read_bytes().startswith(b"\xef\xbb\xbf") for name, path in files.items()
               if name.endswith(".csv"))  # fmt: skip
    readme = files["fablab-a-lire-2026-W48-mission-locale.txt"].read_text()
    assert "Du lundi 23/11/2026 00 h au lundi 30/11/2026 00 h, heure de Paris" in readme
    assert "Europe/Paris" in readme and "masqué" in readme and "Demi-journée" in readme
    book = load_workbook(files["fablab-export-2026-W48-mission-locale.xlsx"])
    assert book.sheetnames == ["Synthèse", "Séances", "Venues", "Colonnes", "À lire"]
    sessions = book["Séances"]
    assert [c.value for c in sessions[1]] == [header for _, header, _ in SESSION_COLUMNS]
    assert isinstance(sessions["B2"].value, datetime)  # a date, not text
    assert isinstance(sessions["I2"].value, int)  # minutes, a number
    values = [row[4].value for row in book["Synthèse"].iter_rows(min_row=2)]
    assert all(value is None or isinstance(value, int | float) for value in values)
    explained = {r[1].value for r in book["Colonnes"].iter_rows(min_row=2)}
    assert {header for _, header, _ in SUMMARY_COLUMNS} <= explained


@pytest.mark.slow
def test_libreoffice_opens_the_files_and_sums_a_column(db, fablab, tmp_path, agency):
    """Debian's LibreOffice, headless: the CSV's minutes and the XLSX's values are numbers
    (a SUM over them equals the total)."""
    import shutil
    import subprocess

    office = shutil.which("soffice")
    assert office, "no LibreOffice: `make test` installs libreoffice-calc-nogui"
    crowd(db, 6, shared=6)
    files = {path.name: path for path in write(build(db, Week.parse("2026-W48"), agency), tmp_path)}
    sessions_csv = files["fablab-seances-2026-W48-mission-locale.csv"]
    rows = read_csv(sessions_csv)
    expected = sum(int(row["Durée (minutes)"]) for row in rows)
    # A formula row under the data, evaluated by LibreOffice as it opens the file.
    with open(sessions_csv, "a", encoding="utf-8", newline="") as handle:
        handle.write(";" * 8 + f"=SUM(I2:I{len(rows) + 1})\r\n")
    profile = tmp_path / "lo-profile"
    converted = tmp_path / "converted"
    subprocess.run(
        [office, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
         "csv:Text - txt - csv (StarCalc):59,34,76,1,,1036,false,true,false,false,false,1,true",
         "--infilter=Text - txt - csv (StarCalc):59,34,76,1,,1036,false,false,false,false,false"
         ",false,true",
         "--outdir", str(converted), str(sessions_csv)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    (written,) = converted.glob(f"{sessions_csv.stem}*.csv")  # LibreOffice adds the sheet
    out = written.read_text(encoding="utf-8-sig").splitlines()
    assert out[-1].split(";")[8] == str(expected), out[-1]
    # The workbook: a SUM over the summary's values, computed by LibreOffice as it opens it.
    book = load_workbook(files["fablab-export-2026-W48-mission-locale.xlsx"])
    values = [row[4].value for row in book["Synthèse"].iter_rows(min_row=2)]
    book["Synthèse"]["H1"] = f"=SUM(E2:E{len(values) + 1})"
    summed = tmp_path / "summed.xlsx"
    book.save(summed)
    subprocess.run(
        [office, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
         "csv:Text - txt - csv (StarCalc):59,34,76,1,,1033,false,true,false,false,false,1",
         "--outdir", str(converted), str(summed)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    (first_sheet,) = converted.glob("summed*.csv")
    total = float(first_sheet.read_text(encoding="utf-8-sig").splitlines()[0].split(";")[7])
    assert total == pytest.approx(sum(v for v in values if v is not None))


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
