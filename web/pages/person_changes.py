"""Changing what the hub holds about a person: correcting it (their right to rectification),
a lost badge blocked, a training suspended, revoked or reinstated, and erasure on request.
What cannot be undone is confirmed on a page of its own first (web.pages.confirm)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from web.app import get_db
from web.db import fetch_one
from web.domain import badges, grants, people
from web.domain.errors import HubError
from web.pages import bp, confirm
from web.pages.forms import EmptyForm, PersonForm, StopForm
from web.pages.people import person_or_404, person_page
from web.pages.security import actor, admin_required


def _back(person_id: str) -> str:
    return url_for("pages.person", person_id=person_id)


@bp.route("/personnes/<person_id>/modifier", methods=["GET", "POST"])
@login_required
def person_edit(person_id: str) -> str | tuple[str, int] | Response:
    """Name, age band, gender, consents and language, as the person asks them corrected."""
    row = person_or_404(person_id)
    form = PersonForm(data={
        "display_name": row["display_name"], "age_band": row["age_band"] or "",
        "gender": row["gender"] or "", "consent_statistics": bool(row["consent_statistics"]),
        "consent_partner_sharing": bool(row["consent_partner_sharing"]),
        "language": row["language"] or "fr",
    })  # fmt: skip
    if form.validate_on_submit():
        changed = people.update_person(
            get_db(), person_id, form.display_name.data,
            age_band=form.age_band.data or None, gender=form.gender.data or None,
            consent_statistics=form.consent_statistics.data,
            consent_partner_sharing=form.consent_partner_sharing.data,
            language=None if form.language.data == "fr" else form.language.data,
            actor=actor(),
        )  # fmt: skip
        flash(_("C'est corrigé.") if changed else _("Rien n'a changé."))
        return redirect(_back(person_id))
    status = 400 if form.errors else 200
    return render_template("person_edit.html", form=form, person=row), status


@bp.post("/personnes/<person_id>/badges/<int:badge_id>/bloquer")
@login_required
def badge_block(person_id: str, badge_id: int) -> str | tuple[str, int] | Response:
    """A lost (or returned) badge stops opening anything, at every station within seconds."""
    person = person_or_404(person_id)
    badge = fetch_one(get_db(), "SELECT * FROM badges WHERE id = ? AND person_id = ?",
                      [badge_id, person_id])  # fmt: skip
    if badge is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if badge["revoked_at"]:
        flash(_("Ce badge est déjà bloqué."))
        return redirect(_back(person_id))
    reason = "lost" if request.form.get("reason") != "returned" else "returned"
    if not confirm.asked():
        return confirm.page(
            _("Bloquer le badge %(uid)s ?", uid=badge["uid"]),
            [_("Ce badge n'ouvrira plus aucune machine : les stations le sauront dans quelques "
               "secondes."),
             _("Si %(name)s utilise une machine en ce moment, sa séance continue jusqu'à ce "
               "qu'elle la termine.", name=person["display_name"]),
             _("Ses formations et son parcours ne changent pas.")],
            undone=_("un badge bloqué ne peut pas être débloqué. Si on le retrouve, il faudra "
                     "l'enregistrer de nouveau, comme un badge neuf."),
            then=[_("Pour lui donner un nouveau badge : « Badger maintenant » sur sa page, "
                    "puis posez le badge neuf sur un lecteur.")],
            button=_("Bloquer ce badge"), back=_back(person_id), keep={"reason": reason},
        )  # fmt: skip
    badges.revoke_badge(get_db(), badge["uid"], reason=reason, actor=actor())
    flash(_("Badge bloqué. Les machines le refuseront dans quelques secondes."))
    return redirect(_back(person_id))


@bp.post("/personnes/<person_id>/formations/<skill>/<action>")
@login_required
def grant_change(person_id: str, skill: str, action: str) -> str | tuple[str, int] | Response:
    """Suspend (reversible), revoke (confirmed first) or reinstate a training."""
    person = person_or_404(person_id)
    if action not in ("suspendre", "retirer", "retablir"):
        abort(404)
    form = StopForm() if action in ("suspendre", "retirer") else EmptyForm()
    if not form.validate_on_submit():
        if not isinstance(form, StopForm):
            abort(400)
        return person_page(person_id, 400, reason_form=form)
    if action == "retirer" and not confirm.asked():
        now = form.when.data == "now"
        return confirm.page(
            _("Retirer cette formation à %(name)s ?", name=person["display_name"]),
            [_("Les machines de cette compétence refuseront son badge dans quelques secondes."),
             _("Une séance en cours s'arrête après un compte à rebours à la machine.") if now
             else _("Une séance en cours continue jusqu'à sa fin."),
             _("Son badge numérique pour cette formation ne sera plus reconnu comme valable."),
             _("Raison notée : %(reason)s", reason=form.reason.data)],
            undone=_("une formation retirée ne se rétablit pas : il faudra en enregistrer une "
                     "nouvelle, après une nouvelle formation."),
            button=_("Retirer la formation"), back=_back(person_id),
            keep={"reason": form.reason.data, "when": form.when.data},
        )  # fmt: skip
    db = get_db()
    try:
        if action in ("suspendre", "retirer"):
            change = grants.suspend if action == "suspendre" else grants.revoke
            change(db, person_id, skill, reason=form.reason.data,
                   stop_now=form.when.data == "now", actor=actor())  # fmt: skip
        else:
            grants.reinstate(db, person_id, skill, actor=actor())
    except HubError:  # a double click, or another facilitator was quicker
        flash(_("Cette formation a déjà changé : voici où elle en est."))
        return redirect(_back(person_id))
    flash(_("C'est fait. Les machines le sauront dans quelques secondes."))
    return redirect(_back(person_id))


@bp.post("/personnes/<person_id>/effacer")
@admin_required
def person_erase(person_id: str) -> str | tuple[str, int] | Response:
    """Erasure on request: the name and badges go, anonymous totals stay."""
    from web.domain.erasure import erase

    person = person_or_404(person_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if not confirm.asked():
        return confirm.page(
            _("Effacer les données de %(name)s ?", name=person["display_name"]),
            [_("Son nom, ses badges, ses réglages et ses consentements sont effacés."),
             _("Ses séances et ses formations ne sont plus liées à personne : seuls des "
               "totaux anonymes restent dans les statistiques."),
             _("Ses badges n'ouvrent plus aucune machine, dans quelques secondes."),
             _("Ses badges numériques ne sont plus reconnus comme valables.")],
            undone=_("rien ne pourra être retrouvé, pas même par un administrateur. Si la "
                     "personne veut une copie de ses données, téléchargez-la d'abord depuis "
                     "sa page."),
            button=_("Effacer pour de bon"), back=_back(person_id),
        )  # fmt: skip
    erase(get_db(), person_id, actor=actor())
    flash(_("Les données de cette personne sont effacées. Seuls des totaux anonymes restent."))
    return redirect(url_for("pages.people_list"))
