"""Pages without a login: the wall screen, the accessibility and personal-data notices."""

from __future__ import annotations

from flask import redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from web.app import get_db
from web.domain import at_machine, overview
from web.i18n import LANGUAGES
from web.pages import bp


@bp.get("/tableau")
def wall() -> str:
    """For a screen at the entrance: which machines are free, which call for the facilitator.
    No names."""
    db = get_db()
    return render_template(
        "wall.html", machines=overview.machine_states(db), calls=at_machine.open_calls(db)
    )


@bp.get("/accessibilite")
def accessibility() -> str:
    return render_template("accessibility.html")


@bp.get("/donnees-personnelles")
def personal_data() -> str:
    return render_template("personal_data.html")


@bp.get("/langue/<code>")
def language(code: str) -> Response:
    if code in LANGUAGES:
        session["lang"] = code
    target = request.referrer or url_for("pages.today")
    return redirect(target if target.startswith(request.host_url) else url_for("pages.today"))
