"""Today: the machines, today's sessions, trainings coming due, cards nobody owns."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask import redirect, render_template, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from web.app import get_db
from web.domain import overview
from web.pages import bp


@bp.get("/")
def index() -> Response:
    return redirect(url_for("pages.today"))


@bp.get("/aujourdhui")
@login_required
def today() -> str:
    db = get_db()
    now = datetime.now(UTC)
    return render_template(
        "today.html",
        machines=overview.machine_states(db, now),
        sessions=overview.sessions_on(db, date.today()),
        due=overview.trainings_due(db, date.today()),
        unknown=overview.unknown_badges(db, now - timedelta(hours=24)),
    )
