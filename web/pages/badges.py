"""Open Badges: download a training's credential; verify one (public page and JSON endpoint)."""

from __future__ import annotations

from flask import abort, current_app, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from werkzeug.wrappers import Response

from web.app import get_db
from web.domain import audit, credentials, grants
from web.domain.errors import NotFound
from web.pages import bp
from web.pages.security import actor, csrf


def _issuer() -> tuple[str, str]:
    return request.host_url, current_app.config.get("FABLAB_NAME", "Fablab")


@bp.get("/personnes/<person_id>/badges/<int:grant_id>.jwt")
@login_required
def credential_download(person_id: str, grant_id: int) -> Response:
    db = get_db()
    training = next((row for row in grants.history(db, person_id) if row["id"] == grant_id), None)
    if training is None or not training["state"].valid:
        abort(404)  # not this person's, or not valid now: nothing to certify
    try:
        issued = credentials.credential(db, grant_id, *_issuer())
    except NotFound:
        abort(404)
    token = credentials.sign(db, issued)
    audit.record(db, actor(), "credential.issue", person_id, grant=grant_id)
    response = Response(token, mimetype="application/vc+jwt")
    response.headers["Content-Disposition"] = f'attachment; filename="badge-{grant_id}.jwt"'
    return response


MESSAGES = {
    "ok": _l("Ce badge est authentique et la formation est toujours valable."),
    "bad_signature": _l("Ce badge n'a pas été délivré par ce fablab, ou il a été modifié."),
    "revoked": _l("Ce badge est authentique, mais la formation n'est plus valable."),
    "unknown": _l("Ce fablab ne connaît pas ce badge."),
}


@bp.route("/badges/verifier", methods=["GET", "POST"])
def credential_verify_page() -> str:
    """For an employer or a counsellor: paste the badge, read the answer."""
    verdict = None
    if request.method == "POST":
        verdict = credentials.verify(get_db(), request.form.get("badge", ""))
    return render_template("verify.html", verdict=verdict, messages=MESSAGES)


@bp.post("/badges/verifier.json")
@csrf.exempt
def credential_verify_api() -> Response:
    """Machine-readable verification: the VC-JWT as the request body."""
    verdict = credentials.verify(get_db(), request.get_data(as_text=True)[:20000])
    return jsonify({"valid": verdict.valid, "reason": verdict.reason})
