"""The weekly export, downloaded from the facilitator's pages: the summary for everyone, or
one partner's files (its pseudonyms, people who agreed only); partners are added here."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from web.app import get_db
from web.domain import audit, partners
from web.domain.errors import HubError, NotFound
from web.domain.export import Week, build
from web.domain.export_files import write
from web.pages import bp
from web.pages.security import actor
from web.pages.sharing_forms import PartnerForm


@bp.get("/export")
@login_required
def export_page() -> str | tuple[str, int] | Response:
    db = get_db()
    chosen, slug = request.args.get("semaine"), request.args.get("partenaire", "")
    last = Week.last_complete()
    weeks = [last.before(n) for n in range(26)]  # the half year before, to pick from
    current = partners.current(db)
    form = PartnerForm(formdata=None)
    if not chosen:
        return render_template("export.html", weeks=weeks, week=last.label, error=None,
                               partners=current, partner=slug, form=form)  # fmt: skip
    try:
        week = Week.parse(chosen)
        partner = partners.get(db, slug) if slug else None
    except (ValueError, NotFound):
        error = _("Choisissez une semaine et un partenaire dans les listes.")
        return render_template("export.html", weeks=weeks, week=chosen, error=error,
                               partners=current, partner=slug, form=form), 400  # fmt: skip
    export = build(db, week, partner)
    audit.record(db, actor(), "export.weekly", week.label, partner=slug or None)
    wanted = request.args.get("format", "xlsx")
    with tempfile.TemporaryDirectory() as folder:
        paths = write(export, Path(folder))
        if wanted == "xlsx":
            return send_file(io.BytesIO(paths[-1].read_bytes()), as_attachment=True,
                             download_name=paths[-1].name,
                             mimetype="application/vnd.openxmlformats-officedocument."
                             "spreadsheetml.sheet")  # fmt: skip
        bundle = io.BytesIO()
        with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in paths[:-1]:
                archive.write(path, path.name)
    bundle.seek(0)
    return send_file(
        bundle,
        as_attachment=True,
        mimetype="application/zip",
        download_name=paths[-1].with_suffix(".zip").name.replace("export", "csv"),
    )


@bp.post("/export/partenaires")
@login_required
def partner_add() -> str | tuple[str, int] | Response:
    db = get_db()
    form = PartnerForm()
    if form.validate_on_submit():
        try:
            partners.add(db, form.slug.data or "", form.name.data or "", actor=actor())
        except HubError:
            form.slug.errors.append(_("Ce nom court existe déjà, ou n'est pas valable."))
        else:
            flash(_("Partenaire ajouté : ses fichiers portent ses propres pseudonymes."))
            return redirect(url_for("pages.export_page"))
    last = Week.last_complete()
    return render_template("export.html", weeks=[last.before(n) for n in range(26)],
                           week=last.label, error=None, partners=partners.current(db),
                           partner="", form=form), 400  # fmt: skip
