"""Logging in and out. Failed attempts are audited and rate-limited per address."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required, login_user, logout_user
from werkzeug.wrappers import Response

from web.app import get_db
from web.domain import audit
from web.domain.facilitators import authenticate
from web.pages import bp
from web.pages.forms import EmptyForm, LoginForm
from web.pages.security import Facilitator, actor, client_ip, limiter


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def login() -> str | Response:
    form = LoginForm()
    if form.validate_on_submit():
        db = get_db()
        row = authenticate(db, form.name.data, form.password.data)
        if row is not None:
            login_user(Facilitator(row["id"], row["name"]))
            audit.record(db, f"facilitator:{row['name']}", "login", None, ip=client_ip())
            target = request.args.get("next", "")
            return redirect(target if target.startswith("/") and not target.startswith("//")
                            else url_for("pages.today"))  # fmt: skip
        audit.record(db, "anonymous", "login.failed", form.name.data[:40], ip=client_ip())
        form.password.errors.append(_("Nom ou mot de passe incorrect."))
    return render_template("login.html", form=form)


@bp.post("/deconnexion")
@login_required
def logout() -> Response:
    if EmptyForm().validate_on_submit():
        audit.record(get_db(), actor(), "logout")
        logout_user()
        flash(_("Vous êtes déconnecté·e."))
    return redirect(url_for("pages.login"))
