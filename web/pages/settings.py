"""The hub's settings a facilitator changes: whom the stations send residents to, and the
languages they may speak (hiding those no native speaker has reviewed yet)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from common.languages import LANGUAGES
from web.app import get_db
from web.domain import settings
from web.pages import bp
from web.pages.forms import StationSettingsForm
from web.pages.security import actor


@bp.route("/reglages", methods=["GET", "POST"])
@login_required
def settings_page() -> tuple[str, int] | Response:
    db = get_db()
    form = StationSettingsForm()
    if form.validate_on_submit():
        settings.set_value(db, "contact_name", form.contact_name.data or "", actor=actor())
        settings.set_value(
            db, "station_languages", ",".join(form.languages.data or []), actor=actor()
        )
        flash(_("Réglages enregistrés. Les machines les suivent dans quelques secondes."))
        return redirect(url_for("pages.settings_page"))
    if not form.is_submitted():
        form.contact_name.data = settings.get(db, "contact_name") or ""
        form.languages.data = list(settings.station_languages(db))
    status = 400 if form.errors else 200
    return render_template(
        "settings.html",
        form=form,
        contact=settings.contact_name(db),
        unreviewed=[language for language in LANGUAGES.values() if not language.reviewed],
    ), status
