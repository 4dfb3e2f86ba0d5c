"""The weekly export for the partners: one ISO week, Europe/Paris time, pseudonymised.

Two tables: the week's sessions (one row each; people under a pseudonym that is
stable within the export and that only the hub can link back to a person), and
a summary (per machine, per skill, for the whole fablab), where age bands and
genders are counted only for people who agreed, and counts from 1 to 4 are
shown as "<5". Written as CSV that French Excel opens as is (`;`, decimal
comma, UTF-8 with BOM) and together in one XLSX with a sheet that explains
every column.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from common.clock import YEARS, add_months, parse_timestamp, to_iso
from web.db import fetch_all

PARIS = ZoneInfo("Europe/Paris")
SMALL = 5  # counts from 1 to SMALL - 1 are suppressed


@dataclass(frozen=True)
class Week:
    year: int
    number: int

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def start(self) -> datetime:
        """Monday 00:00 in Paris, as an aware datetime."""
        monday = date.fromisocalendar(self.year, self.number, 1)
        return datetime(monday.year, monday.month, monday.day, tzinfo=PARIS)

    @property
    def end(self) -> datetime:
        """The next Monday 00:00 in Paris (a week has 167 or 169 hours around DST changes)."""
        monday = date.fromisocalendar(self.year, self.number, 1) + timedelta(days=7)
        return datetime(monday.year, monday.month, monday.day, tzinfo=PARIS)

    @classmethod
    def parse(cls, text: str) -> Week:
        try:
            year, number = text.upper().split("-W")
            week = cls(int(year), int(number))
            if week.year not in YEARS:
                raise ValueError("year")
            week.start  # noqa: B018  (validates the week number)
        except (ValueError, OverflowError):
            raise ValueError(f"a week is written YYYY-Www (e.g. 2026-W47), not {text!r}") from None
        return week

    @property
    def last_day(self) -> date:
        """Its Sunday."""
        return self.start.date() + timedelta(days=6)

    def before(self, weeks: int = 1) -> Week:
        """The week `weeks` earlier."""
        year, number, _ = (self.start.date() - timedelta(days=7 * weeks)).isocalendar()
        return Week(year, number)

    @classmethod
    def last_complete(cls, now: datetime | None = None) -> Week:
        local = (now or datetime.now(UTC)).astimezone(PARIS).date() - timedelta(days=7)
        year, number, _ = local.isocalendar()
        return cls(year, number)


SESSION_COLUMNS = {
    "semaine": "La semaine ISO de l'export (lundi 00:00 au lundi suivant, heure de Paris).",
    "seance": "Identifiant de la séance (tiré au hasard par la station).",
    "personne": "Pseudonyme de la personne, le même pour toute cette semaine, différent chaque "
    "semaine ; seul le fablab peut retrouver la personne.",
    "machine": "Nom de la machine.",
    "competence": "Compétence demandée par la machine.",
    "niveau": "Niveau de la personne : 1 Découverte, 2 Autonome, 3 Référent.",
    "accompagnee": "oui si un référent ou l'animateur a badgé pour accompagner la séance.",
    "debut": "Début (heure de Paris).",
    "fin": "Fin (heure de Paris) ; vide si la séance n'est pas terminée.",
    "duree_minutes": "Durée de la séance en minutes.",
    "minutes_en_marche": "Minutes où la machine a vraiment travaillé (laser allumé, moteur, "
    "impression).",
    "fin_par": "Comment la séance a fini : badge, relais, durée maximale, inactivité, "
    "impression terminée, interrompue, arrêt.",
}
SUMMARY_COLUMNS = {
    "semaine": "La semaine ISO de l'export.",
    "perimetre": "fablab (tout le lieu), machine ou competence.",
    "nom": "Le nom de la machine ou de la compétence ; vide pour le fablab.",
    "indicateur": "Ce qui est compté (voir la liste ci-dessous).",
    "valeur": "Le nombre ; « <5 » quand il vaut de 1 à 4 (pour qu'on ne reconnaisse personne).",
}
INDICATORS = {
    "seances": "Nombre de séances sur les machines commencées dans la semaine.",
    "personnes": "Nombre de personnes différentes venues sur les machines.",
    "heures": "Heures de séance (séances terminées).",
    "heures_en_marche": "Heures où les machines ont vraiment travaillé.",
    "formations_niveau_1": "Nouvelles formations de niveau 1 (Découverte) enregistrées.",
    "formations_niveau_2": "Nouvelles formations de niveau 2 (Autonome).",
    "formations_niveau_3": "Nouvelles formations de niveau 3 (Référent).",
    "formations_expirees": "Formations arrivées à expiration dans la semaine.",
    "formations_sans_pratique": "Formations arrêtées faute de pratique dans la semaine.",
    "nouvelles_inscriptions": "Personnes inscrites dans la semaine.",
    "venues": "Passages à l'accueil (badge à l'entrée puis à la sortie).",
    "personnes_venues": "Personnes différentes passées à l'accueil.",
    "heures_de_presence": "Heures passées au fablab, de l'entrée à la sortie.",
    "age_*": "Personnes venues, par tranche d'âge (seulement celles qui l'ont accepté).",
    "genre_*": "Personnes venues, par genre (seulement celles qui l'ont accepté).",
}
END_REASONS = {
    "badge_out": "badge", "handover": "relais", "timeout": "durée maximale", "idle": "inactivité",
    "job_done": "impression terminée", "interrupted": "interrompue", "shutdown": "arrêt",
    "fault": "panne", "out_of_service": "hors service", "finished": "fini à l'écran",
    "absent": "absence", "stopped": "arrêtée par l'animateur", "danger": "signalée dangereuse",
}  # fmt: skip


@dataclass
class Export:
    week: Week
    sessions: list[dict[str, Any]]
    summary: list[dict[str, Any]]


def _pseudonym(key: bytes, week: Week, person_id: str | None) -> str:
    if person_id is None:
        return ""
    digest = hmac.new(key, f"export/{week.label}/{person_id}".encode(), hashlib.sha256)
    return "P" + digest.hexdigest()[:10]


def _local(stamp: str | None) -> str:
    return parse_timestamp(stamp).astimezone(PARIS).strftime("%Y-%m-%d %H:%M") if stamp else ""


def suppressed(count: int) -> int | str:
    return f"<{SMALL}" if 0 < count < SMALL else count


def build(db: Database, week: Week) -> Export:
    start, end = to_iso(week.start), to_iso(week.end)
    from web import secrets

    key = secrets.get().badge
    rows = fetch_all(
        db,
        """
        SELECT sessions.id, sessions.person_id, sessions.supervisor_id, sessions.level,
               sessions.started_at, sessions.ended_at, sessions.end_reason, sessions.busy_seconds,
               machines.name AS machine, machines.kind AS kind, skills.slug AS skill,
               skills.name_fr AS skill_fr
        FROM sessions
        JOIN machines ON machines.id = sessions.machine_id
        LEFT JOIN skills ON skills.id = machines.skill_id
        WHERE sessions.started_at >= ? AND sessions.started_at < ?
          AND sessions.held = 0  -- what a station claimed and the hub doubts stays out
        ORDER BY sessions.started_at, sessions.id
        """,
        [start, end],
    )
    sessions = []
    for row in rows:
        minutes = (
            (parse_timestamp(row["ended_at"]) - parse_timestamp(row["started_at"])).total_seconds()
            / 60
            if row["ended_at"]
            else None
        )
        sessions.append(
            {
                "semaine": week.label,
                "seance": row["id"],
                "personne": _pseudonym(key, week, row["person_id"]),
                "machine": row["machine"],
                "competence": row["skill_fr"] or "",
                "niveau": row["level"] or "",
                "accompagnee": "oui" if row["supervisor_id"] else "non",
                "debut": _local(row["started_at"]),
                "fin": _local(row["ended_at"]),
                "duree_minutes": round(max(minutes, 0.0), 1) if minutes is not None else "",
                "minutes_en_marche": round((row["busy_seconds"] or 0) / 60, 1),
                "fin_par": END_REASONS.get(row["end_reason"] or "", row["end_reason"] or ""),
                "_person": row["person_id"],
                "_checkin": row["kind"] == "checkin",
                "_skill": row["skill"],
                "_seconds": max(minutes or 0.0, 0.0) * 60,
                "_busy": row["busy_seconds"] or 0,
            }
        )
    summary = _summary(db, week, sessions, start, end)
    for session in sessions:
        for private in [key for key in session if key.startswith("_")]:
            del session[private]
    return Export(week, sessions, summary)


def _usage(scope: str, name: str, rows: list[dict[str, Any]]) -> list[tuple[str, str, str, Any]]:
    people = {row["_person"] for row in rows if row["_person"]}
    return [
        (scope, name, "seances", len(rows)),
        (scope, name, "personnes", suppressed(len(people))),
        (scope, name, "heures", round(sum(row["_seconds"] for row in rows) / 3600, 2)),
        (scope, name, "heures_en_marche", round(sum(row["_busy"] for row in rows) / 3600, 2)),
    ]


def _summary(
    db: Database, week: Week, sessions: list[dict[str, Any]], start: str, end: str
) -> list[dict[str, Any]]:
    used = [row for row in sessions if not row["_checkin"]]
    visits = [row for row in sessions if row["_checkin"]]
    lines = _usage("fablab", "", used)
    lines += [
        ("fablab", "", "venues", len(visits)),
        ("fablab", "", "personnes_venues", suppressed(len({r["_person"] for r in visits}))),
        ("fablab", "", "heures_de_presence", round(sum(r["_seconds"] for r in visits) / 3600, 2)),
    ]
    for machine in sorted({row["machine"] for row in used}):
        lines += _usage("machine", machine, [r for r in used if r["machine"] == machine])
    skills = fetch_all(db, "SELECT id, slug, name_fr, inactivity_months FROM skills ORDER BY slug")
    for skill in skills:
        lines += _usage(
            "competence", skill["name_fr"], [r for r in sessions if r["_skill"] == skill["slug"]]
        )
        lines += _trainings(db, skill, week, start, end)
    registered = db.execute(
        "SELECT count(*) FROM people WHERE created_at >= ? AND created_at < ?", [start, end]
    ).fetchone()[0]
    lines.append(("fablab", "", "nouvelles_inscriptions", suppressed(registered)))
    lines += _statistics({row["_person"] for row in sessions if row["_person"]}, db)
    return [
        {
            "semaine": week.label,
            "perimetre": scope,
            "nom": name,
            "indicateur": what,
            "valeur": value,
        }
        for scope, name, what, value in lines
    ]


def _trainings(
    db: Database, skill: dict[str, Any], week: Week, start: str, end: str
) -> list[tuple]:
    name = skill["name_fr"]
    lines = []
    for level in (1, 2, 3):
        count = db.execute(
            "SELECT count(*) FROM grants WHERE skill_id = ? AND level = ? AND granted_at >= ? "
            "AND granted_at < ?",
            [skill["id"], level, start, end],
        ).fetchone()[0]
        lines.append(("competence", name, f"formations_niveau_{level}", suppressed(count)))
    first, last = week.start.date(), week.end.date() - timedelta(days=1)
    active = fetch_all(
        db,
        """
        SELECT grants.valid_until,
               max(date(grants.granted_at), coalesce(date(practice.last_at), '')) AS practised
        FROM grants LEFT JOIN practice ON practice.person_id = grants.person_id
                                       AND practice.skill_id = grants.skill_id
        WHERE grants.skill_id = ? AND grants.status IN ('active', 'suspended')
        """,
        [skill["id"]],
    )
    expired = sum(
        1
        for g in active
        if g["valid_until"] and first <= date.fromisoformat(g["valid_until"]) <= last
    )
    months = skill["inactivity_months"]
    lapsed = sum(
        1
        for g in active
        if months and g["practised"]
        and first <= add_months(date.fromisoformat(g["practised"]), months) <= last
    )  # fmt: skip
    lines.append(("competence", name, "formations_expirees", suppressed(expired)))
    lines.append(("competence", name, "formations_sans_pratique", suppressed(lapsed)))
    return lines


def _statistics(person_ids: set[str], db: Database) -> list[tuple]:
    """Age bands and genders of the week's visitors who agreed to be counted."""
    if not person_ids:
        return []
    marks = ",".join("?" * len(person_ids))
    rows = fetch_all(
        db,
        f"SELECT age_band, gender FROM people WHERE consent_statistics = 1 AND id IN ({marks})",
        list(person_ids),
    )
    lines = []
    for field, values in (("age", ("under_26", "26_44", "45_54", "55_plus")),
                          ("genre", ("female", "male", "other"))):  # fmt: skip
        column = "age_band" if field == "age" else "gender"
        for value in values:
            count = sum(1 for row in rows if row[column] == value)
            lines.append(("fablab", "", f"{field}_{value}", suppressed(count)))
    return lines


def _french_number(value: Any) -> Any:
    return str(value).replace(".", ",") if isinstance(value, float) else value


def write(export: Export, out_dir: Path) -> list[Path]:
    """Write the two CSV files and the XLSX; return their paths."""
    import xlsxwriter

    out_dir.mkdir(parents=True, exist_ok=True)
    label = export.week.label
    paths = []
    for name, rows, columns in (
        (f"fablab-seances-{label}.csv", export.sessions, SESSION_COLUMNS),
        (f"fablab-synthese-{label}.csv", export.summary, SUMMARY_COLUMNS),
    ):
        path = out_dir / name
        with open(path, "w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, delimiter=";")
            writer.writerow(columns)
            for row in rows:
                writer.writerow([_french_number(row[column]) for column in columns])
        paths.append(path)

    path = out_dir / f"fablab-export-{label}.xlsx"
    # XlsxWriter streams the file (openpyxl took a second for a week of sessions).
    options = {"constant_memory": True, "strings_to_urls": False, "strings_to_formulas": False}
    with xlsxwriter.Workbook(path, options) as book:
        for title, rows, columns in (
            ("Séances", export.sessions, SESSION_COLUMNS),
            ("Synthèse", export.summary, SUMMARY_COLUMNS),
        ):
            sheet = book.add_worksheet(title)
            sheet.write_row(0, 0, list(columns))
            for number, row in enumerate(rows, start=1):
                sheet.write_row(number, 0, [row[column] for column in columns])
        explained = book.add_worksheet("Colonnes")
        explained.write_row(0, 0, ["feuille", "colonne", "signification"])
        number = 1
        for sheet_name, columns in (("Séances", SESSION_COLUMNS), ("Synthèse", SUMMARY_COLUMNS),
                                    ("Synthèse : indicateurs", INDICATORS)):  # fmt: skip
            for column, meaning in columns.items():
                explained.write_row(number, 0, [sheet_name, column, meaning])
                number += 1
    paths.append(path)
    return paths
