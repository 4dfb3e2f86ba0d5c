"""Logging in and out. Failed attempts are audited and rate-limited per client address."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_required, login_user, logout_user
from werkzeug.wrappers import Response

from web.app import get_db
from web.domain import audit, facilitators
from web.pages import bp
from web.pages.forms import EmptyForm, LoginForm
from web.pages.security import Facilitator, actor, client_ip, limiter, safe_next


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def login() -> str | Response:
    form = LoginForm()
    if form.validate_on_submit():
        db = get_db()
        row = facilitators.authenticate(db, form.name.data, form.password.data)
        if row is not None:
            session.clear()  # nothing from before the login carries over
            session["sid"] = facilitators.start_session(db, row["id"], client_ip())
            login_user(Facilitator(row["id"], row["name"], row["role"]))
            audit.record(db, f"facilitator:{row['name']}", "login", None, ip=client_ip())
            return redirect(safe_next(request.args.get("next")) or url_for("pages.today"))
        audit.record(db, "anonymous", "login.failed", form.name.data[:40], ip=client_ip())
        form.password.errors.append(_("Nom ou mot de passe incorrect."))
    return render_template("login.html", form=form)


@bp.post("/deconnexion")
@login_required
def logout() -> Response:
    if EmptyForm().validate_on_submit():
        audit.record(get_db(), actor(), "logout")
        facilitators.end_session(get_db(), session.get("sid", ""))
        logout_user()
        session.clear()
        flash(_("Vous êtes déconnecté·e."))
    return redirect(url_for("pages.login"))
