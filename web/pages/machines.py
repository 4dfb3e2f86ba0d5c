"""Machines and skills: out of service and back, station tokens, the skills they require."""

from __future__ import annotations

import json

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from web.app import get_db
from web.domain import at_machine, machines, overview, skills
from web.domain.errors import Conflict, HubError
from web.pages import bp
from web.pages.forms import ChecklistForm, EmptyForm, MachineStopForm, PresenceForm, SkillForm
from web.pages.security import actor


@bp.get("/machines")
@login_required
def machine_list() -> tuple[str, int]:
    return machines_page()


def machines_page(status: int = 200, **extra: object) -> tuple[str, int]:
    """The machines, their state, and a form per machine (`failed`: the one whose form comes
    back with errors)."""
    context = {
        "reason_form": MachineStopForm(formdata=None),
        "presence_form": PresenceForm(formdata=None),
        "token": None,
        "failed": None,
        **extra,
    }
    db = get_db()
    machine_rows = overview.machine_states(db)
    presence = {row["name"]: machines.presence_minutes(row) for row in machines.list_machines(db)}
    return render_template(
        "machines.html", machines=machine_rows, presence=presence, **context
    ), status


@bp.post("/machines/<name>/hors-service")
@login_required
def machine_out(name: str) -> str | tuple[str, int] | Response:
    form = MachineStopForm()
    if not form.validate_on_submit():
        return machines_page(400, reason_form=form, failed=name)
    _or_404(lambda: machines.set_out_of_service(get_db(), name, form.reason.data,
                                                when=form.when.data, actor=actor()))  # fmt: skip
    flash(_("%(name)s est hors service. La station l'affiche dans quelques secondes.", name=name))
    return redirect(url_for("pages.machine_list"))


@bp.post("/machines/<name>/en-service")
@login_required
def machine_in(name: str) -> Response:
    if not EmptyForm().validate_on_submit():
        abort(400)
    _or_404(lambda: machines.set_out_of_service(get_db(), name, None, actor=actor()))
    flash(_("%(name)s est de nouveau en service.", name=name))
    return redirect(url_for("pages.machine_list"))


@bp.route("/competences", methods=["GET", "POST"])
@login_required
def skill_list() -> str | tuple[str, int] | Response:
    form = SkillForm()
    if form.validate_on_submit():
        try:
            skills.add_skill(get_db(), form.slug.data, **_skill_fields(form), actor=actor())
        except Conflict:
            form.slug.errors.append(_("Une compétence porte déjà cet identifiant."))
        else:
            flash(_("Compétence ajoutée."))
            return redirect(url_for("pages.skill_list"))
    status = 400 if form.errors else 200
    return render_template("skills.html", skills=skills.list_skills(get_db()), form=form), status


@bp.route("/competences/<slug>", methods=["GET", "POST"])
@login_required
def skill_edit(slug: str) -> str | tuple[str, int] | Response:
    skill = _or_404(lambda: skills.get_skill(get_db(), slug))
    form = _skill_form(skill)
    if form.validate_on_submit():
        try:
            skills.update_skill(get_db(), slug, **_skill_fields(form), actor=actor())
        except HubError:  # the form checked everything the domain checks
            abort(400)
        else:
            flash(_("Compétence modifiée."))
            return redirect(url_for("pages.skill_list"))
    return skill_page(slug, status=400 if form.errors else 200, form=form)


def skill_page(slug: str, status: int = 200, **forms: object) -> tuple[str, int]:
    """A skill's page: its names and durations, then its safety checklist and thresholds."""
    db = get_db()
    skill = _or_404(lambda: skills.get_skill(db, slug))
    form = forms.get("form") or _skill_form(skill)
    checklist_form = forms.get("checklist_form") or _checklist_form(skill)
    return render_template(
        "skill_edit.html", form=form, skill=skill, checklist_form=checklist_form
    ), status


def _skill_form(skill: dict) -> SkillForm:
    form = SkillForm(
        data={
            "slug": skill["slug"],
            "name_fr": skill["name_fr"],
            "name_en": skill["name_en"],
            "validity_months": skill["validity_months"],
            "inactivity_months": skill["inactivity_months"],
            "rome": " ".join(json.loads(skill["rome_codes"])),
        }
    )
    form.slug.data = skill["slug"]  # the identifier does not change
    return form


def _checklist_form(skill: dict) -> ChecklistForm:
    """The stored items, and two empty rows for new ones."""
    items = [
        {"icon": item["icon"], **{f"text_{code}": text for code, text in item["text"].items()}}
        for item in at_machine.checklist(get_db(), skill["id"])
    ]
    blank = {"icon": "checklist", "text_fr": "", "text_en": "", "text_ar": ""}
    data = {"items": [*items, blank, blank], **at_machine.skill_settings(skill)}
    return ChecklistForm(formdata=None, data=data)


def _skill_fields(form: SkillForm) -> dict:
    return {
        "name_fr": form.name_fr.data,
        "name_en": form.name_en.data,
        "validity_months": form.validity_months.data,
        "inactivity_months": form.inactivity_months.data,
        "rome_codes": (form.rome.data or "").replace(",", " ").split(),
    }


def _or_404(action):  # type: ignore[no-untyped-def]
    try:
        return action()
    except HubError:
        abort(404)
