"""The weekly export, downloaded from the facilitator's pages."""

from __future__ import annotations

import tempfile
from io import BytesIO
from pathlib import Path

from flask import render_template, request, send_file
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from web.app import get_db
from web.domain import audit
from web.domain.export import Week, build, write
from web.pages import bp
from web.pages.security import actor


@bp.get("/export")
@login_required
def export_page() -> str | tuple[str, int] | Response:
    chosen = request.args.get("semaine")
    last = Week.last_complete()
    weeks = [last.before(n) for n in range(26)]  # the half year before, to pick from
    if not chosen:
        return render_template("export.html", weeks=weeks, week=last.label, error=None)
    try:
        week = Week.parse(chosen)
    except ValueError:
        error = _("Choisissez une semaine dans la liste.")
        return render_template("export.html", weeks=weeks, week=chosen, error=error), 400
    db = get_db()
    with tempfile.TemporaryDirectory() as folder:
        workbook = write(build(db, week), Path(folder))[-1]
        data = workbook.read_bytes()
    audit.record(db, actor(), "export.weekly", week.label)
    return send_file(
        BytesIO(data),
        as_attachment=True,
        download_name=workbook.name,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
