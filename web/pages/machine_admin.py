"""Machines made and changed from the pages (administrators): a new machine and its station
token (shown once), its name for people, the skill it requires, its presence check, and a
new token when a station's was lost (confirmed first: the station stops until it has it)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from web.app import get_db
from web.domain import machines, skills
from web.domain.errors import Conflict, HubError, NotFound
from web.pages import bp, confirm
from web.pages.forms import EmptyForm, MachineForm
from web.pages.machines import machines_page
from web.pages.security import actor, admin_required


def _form(**options: object) -> MachineForm:
    form = MachineForm(**options)
    form.skill.choices = [SelectChoice("", _("Aucune (l'entrée)"))] + [
        SelectChoice(row["slug"], row["name_fr"]) for row in skills.list_skills(get_db())
    ]
    return form


def _settings(form: MachineForm) -> dict[str, int]:
    minutes = form.presence_minutes.data
    return {} if minutes is None else {"presence_minutes": minutes}


@bp.route("/machines/nouvelle", methods=["GET", "POST"])
@admin_required
def machine_new() -> str | tuple[str, int]:
    form = _form()
    if form.validate_on_submit():
        db = get_db()
        try:
            token = machines.add_machine(
                db,
                form.name.data,
                kind=form.kind.data,
                skill=form.skill.data or None,
                display_name=form.display_name.data,
                actor=actor(),
            )
        except Conflict:
            form.name.errors.append(_("Une machine porte déjà cet identifiant."))
        else:
            if _settings(form):
                machines.set_settings(db, form.name.data, _settings(form), actor=actor())
            flash(_("Machine ajoutée. Mettez son jeton dans la configuration de sa station."))
            return machines_page(token=(form.name.data, token))
    return render_template("machine_edit.html", form=form, machine=None), (
        400 if form.errors else 200
    )


@bp.route("/machines/<name>/modifier", methods=["GET", "POST"])
@admin_required
def machine_edit(name: str) -> str | tuple[str, int] | Response:
    db = get_db()
    try:
        machine = machines.get_machine(db, name)
    except NotFound:
        abort(404)
    skill = next((s["slug"] for s in skills.list_skills(db) if s["id"] == machine["skill_id"]), "")
    form = _form(data={"name": name, "display_name": machine["display_name"] or "",
                       "kind": machine["kind"], "skill": skill,
                       "presence_minutes": machines.presence_minutes(machine)})  # fmt: skip
    form.name.data, form.kind.data = name, machine["kind"]  # neither changes here
    if form.validate_on_submit():
        try:
            machines.update_machine(db, name, display_name=form.display_name.data,
                                    skill=form.skill.data or None, actor=actor())  # fmt: skip
            if _settings(form):
                machines.set_settings(db, name, _settings(form), actor=actor())
            else:
                machines.reset_setting(db, name, "presence_minutes", actor=actor())
        except HubError:  # the form checked what the domain checks
            abort(400)
        flash(_("Machine modifiée. Sa station le saura dans quelques secondes."))
        return redirect(url_for("pages.machine_list"))
    return render_template("machine_edit.html", form=form, machine=machine), (
        400 if form.errors else 200
    )


@bp.post("/machines/<name>/jeton")
@admin_required
def machine_token(name: str) -> tuple[str, int]:
    """A new station token, shown once; the old one stops working at once."""
    db = get_db()
    try:
        machine = machines.get_machine(db, name)
    except NotFound:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    shown = machine["display_name"] or name
    if not confirm.asked():
        return confirm.page(
            _("Nouveau jeton pour la station de %(name)s ?", name=shown),
            [_("Un nouveau jeton est créé et montré une seule fois, sur la page suivante."),
             _("L'ancien jeton ne marche plus, tout de suite : la station de %(name)s ne reçoit "
               "plus les formations ni les mises hors service, et ses événements attendent.",
               name=shown),
             _("Elle continue de décider les badges avec la dernière liste qu'elle connaît.")],
            undone=_("l'ancien jeton ne pourra plus jamais servir."),
            then=[_("Sur la station : sudoedit /etc/fablab/station.toml, et remplacez la ligne "
                    "token = \"…\" par le nouveau jeton."),
                  _("Puis : sudo systemctl restart fablab-kiosk, et vérifiez avec "
                    "journalctl -u fablab-kiosk que la liste d'accès arrive.")],
            button=_("Créer un nouveau jeton"), back=url_for("pages.machine_list"),
        )  # fmt: skip
    token = machines.rotate_token(db, name, actor=actor())
    return machines_page(token=(name, token))
