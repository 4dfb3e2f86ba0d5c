"""Facilitator accounts, for administrators: add one, give a new password, disable one (its
logins end at once; confirmed first) or let it log in again."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from web.app import get_db
from web.domain import facilitators
from web.domain.errors import Conflict, HubError, NotFound
from web.pages import bp, confirm
from web.pages.forms import AccountForm, EmptyForm, PasswordForm
from web.pages.security import actor, admin_required


def _page(status: int = 200, **forms: object) -> tuple[str, int]:
    context = {"form": AccountForm(formdata=None), "password_form": PasswordForm(formdata=None),
               "failed": None, **forms}  # fmt: skip
    accounts = facilitators.list_facilitators(get_db())
    return render_template("accounts.html", accounts=accounts, **context), status


@bp.get("/comptes")
@admin_required
def accounts() -> tuple[str, int]:
    return _page()


@bp.post("/comptes")
@admin_required
def account_add() -> tuple[str, int] | Response:
    form = AccountForm()
    if form.validate_on_submit():
        try:
            facilitators.add_facilitator(get_db(), form.name.data, form.password.data,
                                         role="admin" if form.admin.data else "facilitator",
                                         actor=actor())  # fmt: skip
        except Conflict:
            form.name.errors.append(_("Un compte porte déjà ce nom."))
        else:
            flash(_("Compte créé. Donnez le mot de passe à la personne, de vive voix."))
            return redirect(url_for("pages.accounts"))
    return _page(400, form=form)


@bp.post("/comptes/<name>/mot-de-passe")
@admin_required
def account_password(name: str) -> tuple[str, int] | Response:
    form = PasswordForm()
    if not form.validate_on_submit():
        return _page(400, password_form=form, failed=name)
    try:
        facilitators.set_password(get_db(), name, form.password.data, actor=actor())
    except NotFound:
        abort(404)
    flash(_("Nouveau mot de passe enregistré : les connexions ouvertes avec l'ancien sont "
            "fermées."))  # fmt: skip
    return redirect(url_for("pages.accounts"))


@bp.post("/comptes/<name>/<action>")
@admin_required
def account_switch(name: str, action: str) -> str | tuple[str, int] | Response:
    """Disable an account (confirmed first), or enable it again."""
    if action not in ("desactiver", "activer"):
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if action == "desactiver" and name == current_user.name:
        flash(_("Vous ne pouvez pas désactiver votre propre compte."))
        return redirect(url_for("pages.accounts"))
    if action == "desactiver" and not confirm.asked():
        return confirm.page(
            _("Désactiver le compte %(name)s ?", name=name),
            [_("Ce compte ne peut plus se connecter."),
             _("Ses connexions ouvertes se ferment tout de suite, sur tous les ordinateurs."),
             _("Ce qu'il a fait reste dans le journal.")],
            then=[_("Pour le réactiver plus tard : « Réactiver » sur cette page.")],
            button=_("Désactiver le compte"), back=url_for("pages.accounts"),
        )  # fmt: skip
    try:
        change = facilitators.disable if action == "desactiver" else facilitators.enable
        change(get_db(), name, actor=actor())
    except HubError:
        abort(404)
    flash(_("Compte désactivé.") if action == "desactiver" else _("Compte réactivé."))
    return redirect(url_for("pages.accounts"))
