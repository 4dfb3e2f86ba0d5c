"""The weekly export for the partners: one ISO week, Europe/Paris time, and privacy by design
(docs/privacy.md says what each rule answers).

- A **summary** for everyone: per fablab, machine and skill, the sessions, people, hours,
  trainings, visits at the entrance; age bands and genders only of people who agreed to be
  counted. A count of people from 1 to 4 is masked (an empty value and "oui" in the
  `masque` column), the same way in every file.
- **Row-level files** (sessions at the machines, visits at the entrance) only when written
  for a partner agreement, only for people who agreed to partner sharing, under that
  agreement's stable pseudonym; times to the half-day, durations to 5 minutes; and only in
  cells (the fablab, the machine, the skill) where at least 5 people came that week, so
  that no file, nor the difference of two, gives a masked count.

Written by web.domain.export_files (CSV for French spreadsheets, one XLSX, a text to read).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from common.clock import YEARS, add_months, parse_timestamp, to_iso
from web.db import fetch_all
from web.domain import partners

PARIS = ZoneInfo("Europe/Paris")
SMALL = 5  # counts of people from 1 to SMALL - 1 are masked
AFTERNOON = 13  # a session starting at 13:00 or later is in the afternoon
ROUND_MINUTES = 5


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


END_REASONS = {
    "badge_out": "badge", "handover": "relais", "timeout": "durée maximale", "idle": "inactivité",
    "job_done": "impression terminée", "interrupted": "interrompue", "shutdown": "arrêt",
    "fault": "panne", "out_of_service": "hors service", "finished": "fini à l'écran",
    "absent": "absence", "stopped": "arrêtée par l'animateur", "danger": "signalée dangereuse",
}  # fmt: skip


@dataclass
class Export:
    week: Week
    partner: dict[str, Any] | None  # None: the summary alone
    summary: list[dict[str, Any]]
    sessions: list[dict[str, Any]] = field(default_factory=list)
    visits: list[dict[str, Any]] = field(default_factory=list)
    withheld: dict[str, int] = field(default_factory=dict)  # why rows are not detailed


def masked(count: int) -> bool:
    return 0 < count < SMALL


def build(db: Database, week: Week, partner: dict[str, Any] | None = None) -> Export:
    """The week's export: the summary, and a partner's row-level files."""
    rows = _week_sessions(db, week)
    used = [row for row in rows if row["kind"] != "checkin"]
    visits = [row for row in rows if row["kind"] == "checkin"]
    summary = _summary(db, week, used, visits)
    export = Export(week, partner, [])
    if partner is not None:
        export.sessions, export.visits = _detail(db, partner, used, visits, export.withheld)
        for row in export.sessions + export.visits:
            row["semaine"] = week.label
    detailed = [
        ("fablab", "", "seances_detaillees", len(export.sessions)),
        ("fablab", "", "venues_detaillees", len(export.visits)),
    ]
    export.summary = [_line(week, *line) for line in summary + detailed]
    return export


def _week_sessions(db: Database, week: Week) -> list[dict[str, Any]]:
    found = fetch_all(
        db,
        """
        SELECT sessions.id, sessions.person_id, sessions.supervisor_id, sessions.level,
               sessions.started_at, sessions.ended_at, sessions.end_reason, sessions.busy_seconds,
               machines.name AS machine, machines.kind AS kind, skills.slug AS skill,
               skills.name_fr AS skill_fr, people.consent_partner_sharing AS shared
        FROM sessions
        JOIN machines ON machines.id = sessions.machine_id
        LEFT JOIN skills ON skills.id = machines.skill_id
        LEFT JOIN people ON people.id = sessions.person_id
        WHERE sessions.started_at >= ? AND sessions.started_at < ?
          AND sessions.held = 0  -- what a station claimed and the hub doubts stays out
        ORDER BY sessions.started_at, sessions.id
        """,
        [to_iso(week.start), to_iso(week.end)],
    )
    for row in found:
        start = parse_timestamp(row["started_at"])
        end = parse_timestamp(row["ended_at"]) if row["ended_at"] else None
        row["seconds"] = max((end - start).total_seconds(), 0.0) if end else 0.0
        row["local"] = start.astimezone(PARIS)
    return found


def _people(rows: list[dict[str, Any]]) -> set[str]:
    return {row["person_id"] for row in rows if row["person_id"]}


def _usage(scope: str, name: str, rows: list[dict[str, Any]]) -> list[tuple]:
    return [
        (scope, name, "seances", len(rows)),
        (scope, name, "personnes", len(_people(rows))),
        (scope, name, "heures", round(sum(row["seconds"] for row in rows) / 3600, 2)),
        (scope, name, "heures_en_marche",
         round(sum(row["busy_seconds"] or 0 for row in rows) / 3600, 2)),
    ]  # fmt: skip


def _summary(db: Database, week: Week, used: list, visits: list) -> list[tuple]:
    start, end = to_iso(week.start), to_iso(week.end)
    lines = _usage("fablab", "", used)
    lines += [
        ("fablab", "", "venues", len(visits)),
        ("fablab", "", "personnes_venues", len(_people(visits))),
        ("fablab", "", "heures_de_presence",
         round(sum(row["seconds"] for row in visits) / 3600, 2)),
    ]  # fmt: skip
    for machine in sorted({row["machine"] for row in used}):
        lines += _usage("machine", machine, [r for r in used if r["machine"] == machine])
    skills = fetch_all(db, "SELECT id, slug, name_fr, inactivity_months FROM skills ORDER BY slug")
    for skill in skills:
        lines += _usage("competence", skill["name_fr"],
                        [r for r in used if r["skill"] == skill["slug"]])  # fmt: skip
        lines += _trainings(db, skill, week, start, end)
    registered = db.execute(
        "SELECT count(*) FROM people WHERE created_at >= ? AND created_at < ?", [start, end]
    ).fetchone()[0]
    lines.append(("fablab", "", "nouvelles_inscriptions", registered))
    lines += _statistics(_people(used) | _people(visits), db)
    return lines


def _line(week: Week, scope: str, name: str, what: str, value: Any) -> dict[str, Any]:
    """A summary line; a count of people (or of trainings) from 1 to 4 is masked."""
    hidden = what in PEOPLE_COUNTS and isinstance(value, int) and masked(value)
    return {"semaine": week.label, "perimetre": scope, "nom": name, "indicateur": what,
            "valeur": None if hidden else value, "masque": "oui" if hidden else ""}  # fmt: skip


def _detail(db: Database, partner: dict[str, Any], used: list, visits: list,
            withheld: dict[str, int]) -> tuple[list, list]:  # fmt: skip
    """The partner's rows: people who agreed, in cells of 5 people or more."""
    small = set()
    if masked(len(_people(used))):
        small.add(("fablab", ""))
    for key in ("machine", "skill"):
        for value in {row[key] for row in used}:
            if masked(len(_people([r for r in used if r[key] == value]))):
                small.add((key, value))
    sessions = []
    for row in used:
        if not row["shared"] or not row["person_id"]:
            withheld["sans_accord"] = withheld.get("sans_accord", 0) + 1
        elif {("fablab", ""), ("machine", row["machine"]), ("skill", row["skill"])} & small:
            withheld["petit_nombre"] = withheld.get("petit_nombre", 0) + 1
        else:
            sessions.append(_session_row(partner, row))
    shown_visits = []
    if not masked(len(_people(visits))):
        shown_visits = [_visit_row(partner, row) for row in visits
                        if row["shared"] and row["person_id"]]  # fmt: skip
    return sessions, shown_visits


def _when(row: dict[str, Any]) -> tuple[date, str]:
    local = row["local"]
    return local.date(), "après-midi" if local.hour >= AFTERNOON else "matin"


def _minutes(seconds: float) -> int:
    return int(ROUND_MINUTES * round(seconds / 60 / ROUND_MINUTES))


def _session_row(partner: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    day, half = _when(row)
    return {
        "semaine": None, "date": day, "demi_journee": half,
        "personne": partners.pseudonym(partner, row["person_id"]),
        "machine": row["machine"], "competence": row["skill_fr"] or "",
        "niveau": row["level"], "accompagnee": "oui" if row["supervisor_id"] else "non",
        "duree_minutes": _minutes(row["seconds"]) if row["ended_at"] else None,
        "minutes_en_marche": _minutes(row["busy_seconds"] or 0),
        "fin_par": END_REASONS.get(row["end_reason"] or "", row["end_reason"] or ""),
    }  # fmt: skip


def _visit_row(partner: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    day, half = _when(row)
    return {"semaine": None, "date": day, "demi_journee": half,
            "personne": partners.pseudonym(partner, row["person_id"]),
            "duree_minutes": _minutes(row["seconds"]) if row["ended_at"] else None}  # fmt: skip


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
        lines.append(("competence", name, f"formations_niveau_{level}", count))
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
    lines.append(("competence", name, "formations_expirees", expired))
    lines.append(("competence", name, "formations_sans_pratique", lapsed))
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
    for kind, values in (("age", ("under_26", "26_44", "45_54", "55_plus")),
                          ("genre", ("female", "male", "other"))):  # fmt: skip
        column = "age_band" if kind == "age" else "gender"
        for value in values:
            count = sum(1 for row in rows if row[column] == value)
            lines.append(("fablab", "", f"{kind}_{value}", count))
    return lines


PEOPLE_COUNTS = {
    "personnes", "personnes_venues", "nouvelles_inscriptions", "formations_niveau_1",
    "formations_niveau_2", "formations_niveau_3", "formations_expirees",
    "formations_sans_pratique", *(f"age_{band}" for band in ("under_26", "26_44", "45_54",
                                                            "55_plus")),
    *(f"genre_{gender}" for gender in ("female", "male", "other")),
}  # fmt: skip
