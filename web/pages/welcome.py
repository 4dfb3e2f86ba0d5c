"""The entrance screen: a full-screen page for the check-in Pi's touchscreen.

When a resident badges in at the entrance, it greets them by first name and
shows their own parcours for 20 seconds, then clears itself. Who just arrived is
personal: the data behind the page answers only the entrance's own station token
(the kiosk opens `/accueil#jeton=...`) or a facilitator who is logged in.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import jsonify, render_template
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from common.clock import to_iso
from web.app import get_db
from web.db import fetch_one
from web.domain.machines import machine_for_token
from web.domain.parcours import parcours, presence
from web.domain.people import first_name
from web.pages import bp

SHOW_FOR = timedelta(seconds=20)
LEVELS = {1: "Découverte", 2: "Autonome", 3: "Référent"}


@bp.get("/accueil")
def welcome_screen() -> str:
    return render_template("welcome.html")


def _entrance_or_facilitator() -> bool:
    from flask import request
    from flask_login import current_user

    if current_user.is_authenticated:
        return True
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    machine = machine_for_token(get_db(), token.strip()) if scheme.lower() == "bearer" else None
    return machine is not None and machine["kind"] == "checkin"


@bp.get("/accueil/derniere.json")
def welcome_latest() -> Response:
    if not _entrance_or_facilitator():
        return Response('{"error": "the entrance station\'s token or a login is needed"}',
                        status=401, mimetype="application/json")  # fmt: skip
    db = get_db()
    since = to_iso(datetime.now(UTC) - SHOW_FOR)
    row = fetch_one(
        db,
        """
        SELECT events.person_id, people.display_name FROM events
        JOIN machines ON machines.id = events.machine_id AND machines.kind = 'checkin'
        JOIN people ON people.id = events.person_id AND people.erased_at IS NULL
        WHERE events.type = 'session_started' AND events.received_at >= ?
        ORDER BY events.received_at DESC LIMIT 1
        """,
        [since],
    )
    if row is None:
        return jsonify({})
    skills = [
        {"skill": record.name_fr, "level": _(LEVELS[record.level]), "hours": record.hours}
        for record in parcours(db, row["person_id"])
        if record.level is not None
    ]
    return jsonify(
        {
            "hello": _("Bonjour %(name)s !", name=first_name(row["display_name"])),
            "skills": skills,
            "presence_hours": presence(db, row["person_id"])["hours"],
        }
    )
