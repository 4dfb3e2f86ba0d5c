"""The hub's settings a facilitator changes: whom the stations send residents to, the
languages they may speak (hiding those no native speaker has reviewed yet), and the fablab's
name, public address and logo, which its credentials and attestations carry."""

from __future__ import annotations

import base64

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from common.languages import LANGUAGES
from web.app import get_db
from web.domain import identity, settings
from web.domain.errors import Invalid
from web.pages import bp
from web.pages.forms import StationSettingsForm
from web.pages.security import actor
from web.pages.sharing_forms import IdentityForm


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
    return _page(form, _identity_form(), 400 if form.errors else 200)


@bp.route("/reglages/identite", methods=["POST"])
@login_required
def identity_settings() -> tuple[str, int] | Response:
    db = get_db()
    form = IdentityForm(prefix="identity")
    if form.validate_on_submit():
        try:
            public_url = identity.check_public_url(form.public_url.data or "")
        except Invalid:
            form.public_url.errors.append(
                _("Une adresse comme https://fablab.exemple.fr : le début seulement, sans chemin.")
            )
        else:
            logo = _logo(form)
            if logo is None:
                form.logo.errors.append(_("Une image PNG ou JPEG de 300 Ko au plus."))
            else:
                settings.set_value(db, "fablab_name", form.fablab_name.data or "", actor=actor())
                settings.set_value(db, "public_url", public_url, actor=actor())
                if logo or form.remove_logo.data:
                    settings.set_value(db, "logo", logo, actor=actor())
                flash(_("Le nom, l'adresse et le logo du fablab sont enregistrés."))
                return redirect(url_for("pages.settings_page"))
    stations = StationSettingsForm(formdata=None)
    stations.contact_name.data = settings.get(db, "contact_name") or ""
    stations.languages.data = list(settings.station_languages(db))
    return _page(stations, form, 400)


def _identity_form() -> IdentityForm:
    db = get_db()
    form = IdentityForm(prefix="identity", formdata=None)
    form.fablab_name.data = settings.get(db, "fablab_name") or ""
    form.public_url.data = settings.get(db, "public_url") or ""
    return form


def _logo(form: IdentityForm) -> str | None:
    """The uploaded logo as a data: URI; "" when none was sent; None when it is no image."""
    upload = form.logo.data
    if not upload or not getattr(upload, "filename", ""):
        return ""
    content = upload.read(settings.LOGO_MAX_BYTES + 1)
    kinds = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
    kind = next((k for magic, k in kinds.items() if content.startswith(magic)), None)
    if kind is None or len(content) > settings.LOGO_MAX_BYTES:
        return None
    return f"data:{kind};base64," + base64.b64encode(content).decode()


def _page(form: StationSettingsForm, identity_form: IdentityForm, status: int) -> tuple[str, int]:
    db = get_db()
    try:
        issuer = identity.issuer(db)
    except identity.NotConfigured:
        issuer = None
    return render_template(
        "settings.html",
        form=form,
        identity_form=identity_form,
        issuer=issuer,
        logo=settings.get(db, "logo"),
        contact=settings.contact_name(db),
        unreviewed=[language for language in LANGUAGES.values() if not language.reviewed],
    ), status
