"""Digital badges from the facilitator's pages: give a resident one of their own valid
trainings as a credential (a PDF that shows it and carries it, or the raw VC-JWT for a
wallet), named after the skill; the printable attestation; and the public page where
anyone pastes a badge to check it."""

from __future__ import annotations

from datetime import date

from flask import abort, jsonify, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from werkzeug.wrappers import Response

from web.app import get_db
from web.domain import credentials, grants, identity
from web.domain.errors import NotFound
from web.domain.people import get_person
from web.pages import bp
from web.pages.documents import pdf_response, qr_svg
from web.pages.forms import EmptyForm
from web.pages.security import actor, csrf

MESSAGES = {
    "ok": _l("Ce badge est authentique et la formation est valable."),
    "malformed": _l("Ce n'est pas un badge numérique : vérifiez que le texte est complet."),
    "bad_signature": _l("La signature ne correspond pas : ce badge a été modifié, ou il n'a pas "
                        "été signé par une clé de ce fablab."),
    "other_issuer": _l("Ce badge a été délivré par un autre fablab : vérifiez-le chez lui."),
    "not_yet_valid": _l("Ce badge n'est pas encore valable."),
    "expired": _l("Ce badge est authentique, mais la formation a expiré."),
    "revoked": _l("Ce badge est authentique, mais la formation n'est plus valable."),
    "unknown": _l("Ce fablab ne connaît pas ce badge."),
}  # fmt: skip
DETAILS = {
    "revoked": _l("La formation a été retirée."),
    "suspended": _l("La formation a été suspendue."),
    "lapsed": _l("La formation s'est arrêtée faute de pratique."),
    "superseded": _l("La formation a été remplacée par une autre, plus récente."),
    "erased": _l("La personne a demandé l'effacement de ses données."),
}


def holder(person: dict, share: bool) -> str | None:
    """The first name and initial, if the person agrees to show them."""
    if not share:
        return None
    words = person["display_name"].split()
    return " ".join([words[0], *(f"{word[0]}." for word in words[1:2])]) if words else None


def _training(person_id: str, grant_id: int) -> dict:
    found = next((row for row in grants.history(get_db(), person_id) if row["id"] == grant_id),
                 None)  # fmt: skip
    if found is None:
        abort(404)  # only the person's own trainings, under their page
    return found


@bp.route("/personnes/<person_id>/badges/<int:grant_id>", methods=["GET", "POST"])
@login_required
def credential_page(person_id: str, grant_id: int) -> str | Response | tuple[str, int]:
    """Choose what the verification page may show, then download."""
    db = get_db()
    try:
        person = get_person(db, person_id)
    except NotFound:
        abort(404)
    training = _training(person_id, grant_id)
    try:
        who = identity.issuer(db)
    except identity.NotConfigured:
        who = None
    if request.method == "GET" or who is None or not training["state"].valid:
        status = 200 if request.method == "GET" else 400
        return render_template("credential_issue.html", person=person, training=training,
                               who=who, button=EmptyForm()), status  # fmt: skip
    if not EmptyForm().validate_on_submit():
        abort(400)
    shown = holder(person, request.form.get("share") == "y")
    issued = credentials.issue(db, person_id, grant_id, holder_name=shown, actor=actor())
    name = f"badge-{training['skill']}-niveau-{training['level']}"
    if request.form.get("format") == "jwt":
        response = Response(issued.token, mimetype="application/vc+jwt")
        response.headers["Content-Disposition"] = f'attachment; filename="{name}.jwt"'
        return response
    return pdf_response(
        "pdf/badge.html", f"{name}.pdf",
        attachments=[(f"{name}.jwt", issued.token, "Le badge signé (VC-JWT, Open Badges 3.0)")],
        who=who, person=person, training=training, issued=issued, qr=qr_svg(issued.url),
        today=date.today(), issued_holder=shown,
    )  # fmt: skip


@bp.route("/personnes/<person_id>/attestation", methods=["GET", "POST"])
@login_required
def attestation(person_id: str) -> str | Response | tuple[str, int]:
    """The printable attestation: every training with its real state; each valid one with a
    credential and the QR code of its verification page."""
    from web.domain.parcours import parcours

    db = get_db()
    try:
        person = get_person(db, person_id)
    except NotFound:
        abort(404)
    try:
        who = identity.issuer(db)
    except identity.NotConfigured:
        who = None
    if request.method == "GET" or who is None:
        status = 200 if request.method == "GET" else 400
        page = render_template("attestation_form.html", person=person, who=who,
                               button=EmptyForm())  # fmt: skip
        return page, status
    if not EmptyForm().validate_on_submit():
        abort(400)
    name = holder(person, request.form.get("share") == "y")
    trainings = {row["skill"]: row for row in grants.history(db, person_id)
                 if row["status"] != "superseded"}  # fmt: skip
    records, attached = [], []
    for record in parcours(db, person_id):
        training = trainings.get(record.slug)
        issued = None
        if training is not None and training["state"].valid:
            issued = credentials.issue(db, person_id, training["id"], holder_name=name,
                                       actor=actor())  # fmt: skip
            attached.append((f"badge-{record.slug}.jwt", issued.token, record.name_fr))
        records.append({"record": record, "training": training, "issued": issued,
                        "qr": qr_svg(issued.url) if issued else None})  # fmt: skip
    named = "attestation-" + "-".join(person["display_name"].split()) + ".pdf"
    return pdf_response("pdf/attestation.html", named,
                        attachments=attached, who=who, person=person, records=records,
                        today=date.today(), inline=True)  # fmt: skip


@bp.get("/personnes/<person_id>/attestation.pdf")
@login_required
def attestation_old_address(person_id: str) -> Response:
    """The attestation's former address: its page now (it asks what to show first)."""
    return redirect(url_for("pages.attestation", person_id=person_id))


@bp.route("/badges/verifier", methods=["GET", "POST"])
def credential_verify_page() -> str:
    """For an employer or a counsellor: paste the badge, read the answer."""
    verdict = None
    if request.method == "POST":
        verdict = credentials.verify(get_db(), request.form.get("badge", ""))
    return render_template("verify.html", verdict=verdict, messages=MESSAGES, details=DETAILS)


@bp.post("/badges/verifier.json")
@csrf.exempt
def credential_verify_api() -> Response:
    """Machine-readable verification: the VC-JWT as the request body."""
    verdict = credentials.verify(get_db(), request.get_data(as_text=True)[:20000])
    return jsonify({"valid": verdict.valid, "reason": verdict.reason, "detail": verdict.detail,
                    "message": str(MESSAGES[verdict.reason])})  # fmt: skip
