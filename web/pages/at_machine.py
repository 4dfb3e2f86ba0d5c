"""What happens at the machines, as the facilitator answers it: calls (seen), problem reports
(dealt with, or the machine out of service), the safety checklist of a skill, the presence
check of a machine, and the pictograms they show."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, jsonify, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from common import icons
from web.app import get_db
from web.domain import at_machine, machines, skills
from web.domain.errors import Conflict, HubError, NotFound
from web.pages import bp
from web.pages.forms import ChecklistForm, EmptyForm, PresenceForm
from web.pages.security import actor, safe_next

REPORT_ANSWERS = {"traite": False, "hors-service": True}


def _back() -> Response:
    return redirect(safe_next(request.args.get("retour")) or url_for("pages.today"))


@bp.get("/appels.json")
@login_required
def calls_json() -> Response:
    """The open calls, for the Today page to show (and ring) within a second or two."""
    return jsonify(calls=[_call(row, who=True) for row in at_machine.open_calls(get_db())])


@bp.get("/tableau/appels.json")
def wall_calls_json() -> Response:
    """The same for the wall screen at the entrance: which machine and since when, no name."""
    return jsonify(calls=[_call(row, who=False) for row in at_machine.open_calls(get_db())])


def _call(row: dict[str, Any], who: bool) -> dict[str, Any]:
    call = {"id": row["id"], "machine": row["display_name"] or row["machine"], "at": row["at"]}
    if who:
        call["person"] = row["person"] or ""
        call["seen_url"] = url_for("pages.call_seen", call_id=row["id"])
    return call


@bp.post("/appels/<int:call_id>/vu")
@login_required
def call_seen(call_id: int) -> Response:
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        at_machine.mark_call_seen(get_db(), call_id, actor=actor())
    except Conflict:
        flash(_("Cet appel a déjà été vu."))
    else:
        flash(_("Appel vu. La station le dit à la personne."))
    return _back()


@bp.post("/signalements/<int:report_id>/<answer>")
@login_required
def report_answer(report_id: int, answer: str) -> Response:
    if answer not in REPORT_ANSWERS:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    out = REPORT_ANSWERS[answer]
    try:
        at_machine.handle_report(get_db(), report_id, out_of_service=out, actor=actor())
    except NotFound:
        abort(404)
    except Conflict:
        flash(_("Ce signalement a déjà été traité."))
    else:
        flash(_("La machine est hors service. La station l'affiche dans quelques secondes.")
              if out else _("Signalement traité."))  # fmt: skip
    return _back()


@bp.post("/competences/<slug>/consignes")
@login_required
def skill_checklist(slug: str) -> str | tuple[str, int] | Response:
    """The checklist and the thresholds of a skill, from its page."""
    from web.pages.machines import skill_page

    db = get_db()
    try:
        skills.get_skill(db, slug)
    except NotFound:
        abort(404)
    form = ChecklistForm()
    if not form.validate_on_submit():
        return skill_page(slug, status=400, checklist_form=form)
    items = [entry.data for entry in form.items if (entry.text_fr.data or "").strip()]
    try:
        at_machine.set_checklist(db, slug, items, actor=actor())
        at_machine.set_skill_settings(db, slug, {
            "checklist_seconds": form.checklist_seconds.data,
            "checklist_skip_level3": bool(form.checklist_skip_level3.data),
            "hours_to_autonomous": float(form.hours_to_autonomous.data),
            "hours_to_referent": float(form.hours_to_referent.data),
        }, actor=actor())  # fmt: skip
    except HubError as problem:
        form.items.errors.append(str(problem))
        return skill_page(slug, status=400, checklist_form=form)
    flash(_("Consignes enregistrées. Les machines les suivent dans quelques secondes."))
    return redirect(url_for("pages.skill_edit", slug=slug))


@bp.post("/machines/<name>/presence")
@login_required
def machine_presence(name: str) -> str | tuple[str, int] | Response:
    from web.pages.machines import machines_page

    form = PresenceForm()
    if not form.validate_on_submit():
        return machines_page(400, presence_form=form, failed=name)
    values = {} if form.presence_minutes.data is None else {
        "presence_minutes": form.presence_minutes.data}  # fmt: skip
    try:
        if values:
            machines.set_settings(get_db(), name, values, actor=actor())
        else:  # emptied: the default of its kind again
            machines.reset_setting(get_db(), name, "presence_minutes", actor=actor())
    except NotFound:
        abort(404)
    flash(_("Réglage enregistré. La station le suit dans quelques secondes."))
    return redirect(url_for("pages.machine_list"))


@bp.get("/pictogrammes/<name>.svg")
def pictogram(name: str) -> Response:
    try:
        path = icons.path(name)
    except ValueError:
        abort(404)
    return send_file(path, mimetype="image/svg+xml", max_age=86400)
