"""Today: the machines, today's sessions, trainings coming due, cards nobody owns."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from web.app import get_db
from web.domain import at_machine, claims, overview
from web.domain.errors import HubError
from web.pages import bp
from web.pages.forms import EmptyForm
from web.pages.security import actor, safe_next


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
        refused=overview.refused_today(db, date.today()),
        unknown=overview.unknown_badges(db, now - timedelta(hours=24)),
        anomalies=claims.open_anomalies(db),
        calls=at_machine.open_calls(db),
        reports=at_machine.open_reports(db),
        button=EmptyForm(),
    )


@bp.post("/anomalies/<int:anomaly_id>/<answer>")
@login_required
def anomaly_answer(anomaly_id: int, answer: str) -> Response:
    """The facilitator's answer to what a station claimed: it counts, or it stays out."""
    if answer not in ("compter", "ecarter") or not EmptyForm().validate_on_submit():
        abort(400 if answer in ("compter", "ecarter") else 404)
    try:
        claims.resolve(get_db(), anomaly_id, accept=answer == "compter", actor=actor())
    except HubError:
        flash(_("Cette séance a déjà été examinée."))
    else:
        flash(_("Séance comptée dans la pratique.") if answer == "compter"
              else _("Séance écartée : elle ne comptera pas."))  # fmt: skip
    return redirect(safe_next(request.args.get("retour")) or url_for("pages.today"))
