"""Trainings that travel, from the facilitator's side: import another fablab's credential
under a person (verified, then confirmed with the skill and level it becomes here), and the
list of trusted fablabs whose keys verify credentials when they cannot be reached."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from werkzeug.wrappers import Response

from web.app import get_db
from web.db import fetch_all
from web.domain import recognition
from web.domain.errors import Invalid, NotFound
from web.domain.people import get_person
from web.pages import bp
from web.pages.forms import LEVELS, EmptyForm
from web.pages.security import actor
from web.pages.sharing_forms import RecogniseForm, RecognitionForm, TrustForm

REFUSALS = {
    "malformed": _l("Ce n'est pas un badge numérique lisible. Joignez le fichier du badge (PDF "
                    "ou .jwt), ou collez son texte entier (il commence par « eyJ ») ou "
                    "l'adresse de sa page de vérification."),
    "unreachable": _l("Cette adresse ne répond pas. Joignez plutôt le fichier du badge, ou "
                      "réessayez plus tard."),
    "own": _l("Ce badge vient de ce fablab : la formation est déjà enregistrée ici."),
    "unknown_issuer": _l("Le fablab qui a délivré ce badge ne répond pas et n'est pas dans la "
                         "liste des fablabs de confiance. Ajoutez-le à la liste, puis "
                         "réessayez."),
    "bad_signature": _l("Refusé : la signature ne correspond pas aux clés du fablab qui "
                        "l'aurait délivré. Ce badge a été modifié, ou il n'est pas "
                        "authentique."),
    "expired": _l("Refusé : ce badge est authentique, mais la formation a expiré."),
    "not_yet_valid": _l("Refusé : ce badge n'est pas encore valable."),
    "revoked": _l("Refusé : le fablab qui l'a délivré l'a retiré (formation retirée, "
                  "suspendue ou arrêtée faute de pratique)."),
    "too_old": _l("Refusé : selon la règle de ce fablab, cette formation aurait expiré. Une "
                  "nouvelle formation est nécessaire."),
    "already": _l("Ce badge a déjà été reconnu ici."),
    "held_here": _l("Cette personne a déjà cette formation ici, à ce niveau ou plus haut."),
}  # fmt: skip


def _person(person_id: str) -> dict:
    try:
        return get_person(get_db(), person_id)
    except NotFound:
        abort(404)


@bp.route("/personnes/<person_id>/reconnaitre", methods=["GET", "POST"])
@login_required
def recognise(person_id: str) -> str | tuple[str, int]:
    """Step 1: the credential, read and verified; step 2 is the confirmation form."""
    person = _person(person_id)
    form = RecogniseForm()
    if not form.validate_on_submit():
        return render_template("recognise.html", person=person, form=form), (
            400 if form.errors else 200
        )
    upload = form.upload.data
    content = upload.read(recognition.MAX_BYTES + 1) if upload and upload.filename else b""
    try:
        candidate = recognition.examine(get_db(), recognition.read(form.text.data or "", content))
    except recognition.Refused as refusal:
        form.text.errors.append(str(REFUSALS.get(refusal.reason, REFUSALS["malformed"])))
        return render_template("recognise.html", person=person, form=form), 400
    return _confirmation(person, candidate, RecognitionForm(formdata=None), 200, fresh=True)


@bp.post("/personnes/<person_id>/reconnaitre/confirmer")
@login_required
def recognise_confirm(person_id: str) -> str | tuple[str, int] | Response:
    """Step 2: checked again (the page may have waited), then recorded."""
    person = _person(person_id)
    if not EmptyForm().validate_on_submit():
        abort(400)  # nothing fetched for a request that is not the facilitator's
    form = RecognitionForm()
    db = get_db()
    try:
        candidate = recognition.examine(db, request.form.get("token", "")[:20000])
    except recognition.Refused as refusal:
        first = RecogniseForm(formdata=None)
        first.text.errors = [str(REFUSALS.get(refusal.reason, REFUSALS["malformed"]))]
        return render_template("recognise.html", person=person, form=first), 400
    _choices(form, candidate)
    if not form.validate_on_submit():
        return _confirmation(person, candidate, form, 400)
    try:
        recognition.record(db, person_id, candidate, skill=form.skill.data,
                           level=int(form.level.data), actor=actor())  # fmt: skip
    except recognition.Refused as refusal:
        form.skill.errors.append(str(REFUSALS[refusal.reason]))
        return _confirmation(person, candidate, form, 400)
    except Invalid:
        form.level.errors.append(_("Au plus le niveau du badge."))
        return _confirmation(person, candidate, form, 400)
    flash(_("Formation reconnue de %(fablab)s.", fablab=candidate.issuer_name))
    return redirect(url_for("pages.person", person_id=person_id))


def _choices(form: RecognitionForm, candidate: recognition.Candidate) -> None:
    skills = fetch_all(get_db(), "SELECT slug, name_fr FROM skills ORDER BY name_fr")
    form.skill.choices = [("", _("Choisissez…"))] + [(s["slug"], s["name_fr"]) for s in skills]
    form.level.choices = [c for c in LEVELS if int(c.value) <= candidate.level]


def _confirmation(person: dict, candidate: recognition.Candidate, form: RecognitionForm,
                  status: int, fresh: bool = False) -> tuple[str, int]:  # fmt: skip
    _choices(form, candidate)
    if fresh:
        form.token.data = candidate.token
        form.level.data = str(candidate.level)
        form.skill.data = candidate.skills[0] if len(candidate.skills) == 1 else ""
    return render_template("recognise_confirm.html", person=person, candidate=candidate,
                           form=form), status  # fmt: skip


@bp.route("/fablabs", methods=["GET", "POST"])
@login_required
def trusted_fablabs() -> str | tuple[str, int] | Response:
    """The fablabs whose credentials this one recognises, and their keys."""
    db = get_db()
    form = TrustForm()
    if form.validate_on_submit():
        try:
            recognition.trust_address(db, form.url.data or "", actor=actor())
        except recognition.Refused:
            form.url.errors.append(_("Cette adresse ne publie pas de clés de fablab (ou ne "
                                     "répond pas)."))  # fmt: skip
        except Invalid:
            form.url.errors.append(_("Une adresse comme https://fablab.exemple.fr."))
        else:
            flash(_("Fablab ajouté à la liste de confiance."))
            return redirect(url_for("pages.trusted_fablabs"))
    page = render_template("trusted_fablabs.html", form=form, button=EmptyForm(),
                           fablabs=recognition.trusted(db))  # fmt: skip
    return page, 400 if form.errors else 200


@bp.post("/fablabs/retirer")
@login_required
def distrust_fablab() -> Response:
    if not EmptyForm().validate_on_submit():
        abort(400)
    recognition.distrust(get_db(), request.form.get("issuer", ""), actor=actor())
    flash(_("Fablab retiré de la liste de confiance."))
    return redirect(url_for("pages.trusted_fablabs"))
