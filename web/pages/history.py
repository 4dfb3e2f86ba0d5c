"""History and statistics: the sessions of any day, week or month, filtered by machine, skill
or person, a page at a time; totals per week and per month with two charts (pygal, drawn on
the server, black and white); all printable."""

from __future__ import annotations

from datetime import date

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from web.app import get_db
from web.db import fetch_all
from web.domain import stats
from web.pages import bp

PAGE = 50
UNITS = {"jour": "day", "semaine": "week", "mois": "month"}
CHART_STYLE = {  # black on white, grey bars: readable printed and without colour
    "background": "white", "plot_background": "white", "foreground": "#111",
    "foreground_strong": "#111", "foreground_subtle": "#555", "colors": ("#333",),
    "font_family": "DejaVu Sans, sans-serif", "label_font_size": 14,
    "major_label_font_size": 14, "value_font_size": 13, "title_font_size": 18,
}  # fmt: skip


def _pygal():  # type: ignore[no-untyped-def]
    """pygal, without the import hook it adds for map plugins (unused here, and it makes
    every later import warn)."""
    import sys

    import pygal

    sys.meta_path[:] = [hook for hook in sys.meta_path
                        if type(hook).__name__ != "PluginImportFixer"]  # fmt: skip
    return pygal


def _filters() -> dict[str, str]:
    args = request.args
    return {key: (args.get(key) or "").strip() for key in ("machine", "competence", "personne")}


def _scope(filters: dict[str, str]) -> tuple[str, list[int]]:
    """The statistics' scope ("*", "m:ID", "s:ID") and its machines' ids: a machine, a
    skill's machines, or every machine but the entrance."""
    rows = fetch_all(
        get_db(),
        "SELECT machines.id, machines.name, machines.kind, machines.skill_id, skills.slug "
        "FROM machines LEFT JOIN skills ON skills.id = machines.skill_id",
    )
    if filters["machine"]:
        ids = [row["id"] for row in rows if row["name"] == filters["machine"]]
        return (f"m:{ids[0]}" if ids else "m:0"), ids
    if filters["competence"]:
        chosen = [row for row in rows if row["slug"] == filters["competence"]]
        skill = chosen[0]["skill_id"] if chosen else 0
        return f"s:{skill}", [row["id"] for row in chosen if row["kind"] != "checkin"]
    return "*", [row["id"] for row in rows if row["kind"] != "checkin"]


def _period(unit: str, day: date) -> tuple[date, date, date, date]:
    """Start, end (the day after), and the starts of the period before and after."""
    if unit == "day":
        from datetime import timedelta

        return day, day + timedelta(days=1), day - timedelta(days=1), day + timedelta(days=1)
    period = stats.Period.containing(unit, day)
    return period.start, period.end, period.previous().start, period.end


@bp.get("/historique")
@login_required
def history() -> tuple[str, int]:
    unit = UNITS.get(request.args.get("periode", "semaine"), "week")
    try:
        day = date.fromisoformat(request.args.get("date") or date.today().isoformat())
    except ValueError:
        day = None
    if day is None or not 2000 <= day.year <= 2099:
        return _page(date.today(), unit, error=_("Choisissez une date entre 2000 et 2099.")), 400
    return _page(day, unit), 200


def _page(day: date, unit: str, error: str | None = None) -> str:
    db = get_db()
    filters = _filters()
    scope, machines = _scope(filters)
    start, end, before, after = _period(unit, day)
    page = max(1, request.args.get("page", 1, type=int) or 1)
    sessions, count = stats.sessions_between(db, start, end, machines=machines,
                                             person=filters["personne"] or None,
                                             limit=PAGE, offset=(page - 1) * PAGE)  # fmt: skip
    weeks = stats.totals(db, stats.recent("week", 12, date.today()), scope, machines)
    months = stats.totals(db, stats.recent("month", 12, date.today()), scope, machines)
    label = {v: k for k, v in UNITS.items()}[unit]
    return render_template(
        "history.html", day=day, unit=unit, unit_label=label, start=start, end=end,
        before=before, after=after, sessions=sessions, count=count, page=page,
        pages=-(-count // PAGE),
        weeks=weeks, months=months, filters=filters, error=error,
        machines=fetch_all(db, "SELECT name, coalesce(display_name, name) AS shown "
                               "FROM machines ORDER BY shown"),
        skills=fetch_all(db, "SELECT slug, name_fr, name_en FROM skills ORDER BY name_fr"),
        chart=lambda unit, measure: url_for("pages.history_chart", unite=unit, mesure=measure,
                                            machine=filters["machine"] or None,
                                            competence=filters["competence"] or None),
    )  # fmt: skip


MEASURES = {"heures": "seconds", "personnes": "people", "seances": "sessions"}


@bp.get("/historique/graphique.svg")
@login_required
def history_chart() -> Response:
    """One chart, as an image: hours, people or sessions per week (12) or month (12)."""
    unit = {"semaine": "week", "mois": "month"}.get(request.args.get("unite", ""))
    measure = MEASURES.get(request.args.get("mesure", ""))
    if unit is None or measure is None:
        abort(404)
    rows = stats.totals(get_db(), stats.recent(unit, 12, date.today()), *_scope(_filters()))
    titles = {"seconds": _("Heures de machine"), "people": _("Personnes différentes"),
              "sessions": _("Séances")}  # fmt: skip
    pygal = _pygal()
    from pygal.style import Style

    chart = pygal.Bar(
        style=Style(**CHART_STYLE), width=800, height=360, show_legend=False, print_values=True,
        title=titles[measure], x_label_rotation=30, truncate_label=-1,
        js=[], disable_xml_declaration=False, show_y_guides=True, margin=16,
    )  # fmt: skip
    chart.x_labels = [_label(row["period"]) for row in rows]
    values = [round(row[measure] / 3600, 1) if measure == "seconds" else row[measure]
              for row in rows]  # fmt: skip
    chart.add(titles[measure], values)
    response = Response(chart.render(), mimetype="image/svg+xml")
    # Drawn here, shown as an image: its own styles, and nothing else, may apply.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


def _label(period: stats.Period) -> str:
    from flask_babel import format_date

    if period.unit == "week":
        return format_date(period.start, "d MMM")
    return format_date(period.start, "MMM y")
