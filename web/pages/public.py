"""Pages without a login: the wall screen, the accessibility and personal-data notices."""

from __future__ import annotations

from datetime import UTC, datetime

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
    from common.icons import MACHINE_ICONS
    from web.domain.people import first_name

    db = get_db()
    machines = overview.machine_states(db)
    for machine in machines:  # a first name at most, on a screen anyone at the door reads
        machine["first_name"] = first_name(machine.pop("user") or "")
        machine["icon"] = MACHINE_ICONS.get(machine["kind"], "tool")
    return render_template("wall.html", machines=machines, calls=at_machine.open_calls(db),
                           now=datetime.now(UTC))  # fmt: skip


@bp.get("/accessibilite")
def accessibility() -> str:
    return render_template("accessibility.html")


@bp.get("/donnees-personnelles")
def personal_data() -> str:
    """The privacy notice: its durations come from the code that applies them."""
    from web.domain import partners
    from web.domain.export import SMALL
    from web.domain.purge import DEFAULT_MONTHS

    return render_template("personal_data.html", months=DEFAULT_MONTHS, small=SMALL,
                           partners=partners.current(get_db()))  # fmt: skip


@bp.get("/langue/<code>")
def language(code: str) -> Response:
    if code in LANGUAGES:
        session["lang"] = code
    target = request.referrer or url_for("pages.today")
    return redirect(target if target.startswith(request.host_url) else url_for("pages.today"))
