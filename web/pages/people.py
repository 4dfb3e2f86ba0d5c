"""People: find, register, a person's page, badges and trainings."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from common.uid import InvalidUid, normalise_uid
from web.app import get_db
from web.db import fetch_all
from web.domain import badges, claims, enrolment, grants, people, skills
from web.domain.errors import HubError, NotFound
from web.pages import bp
from web.pages.forms import (
    BadgeForm,
    EmptyForm,
    GrantForm,
    LanguageForm,
    PersonForm,
    StopForm,
)
from web.pages.security import actor


def person_or_404(person_id: str) -> dict:
    try:
        return people.get_person(get_db(), person_id)
    except NotFound:
        abort(404)


@bp.get("/personnes")
@login_required
def people_list() -> str | Response:
    """Search by name, or tap a badge on the desk reader into the search field."""
    db = get_db()
    query = (request.args.get("q") or "").strip()
    if query:
        try:
            owner = badges.owner_of(db, normalise_uid(query))
        except InvalidUid:
            owner = None
        if owner is not None:
            return redirect(url_for("pages.person", person_id=owner["person_id"]))
    rows = fetch_all(
        db,
        """
        SELECT id, display_name, created_at FROM people
        WHERE erased_at IS NULL
          AND (:q = '' OR instr(fold(display_name), fold(:q)) > 0 OR id = upper(:q))
        ORDER BY display_name LIMIT 100
        """,
        {"q": query},
    )
    return render_template("people.html", people=rows, query=query)


@bp.route("/personnes/nouvelle", methods=["GET", "POST"])
@login_required
def person_new() -> str | Response:
    form = PersonForm()
    if form.validate_on_submit():
        person_id = people.add_person(
            get_db(),
            form.display_name.data,
            age_band=form.age_band.data or None,
            gender=form.gender.data or None,
            consent_statistics=form.consent_statistics.data,
            consent_partner_sharing=form.consent_partner_sharing.data,
            language=None if form.language.data == "fr" else form.language.data,
            actor=actor(),
        )
        flash(_("%(name)s est inscrit·e.", name=form.display_name.data))
        return redirect(url_for("pages.person", person_id=person_id))
    return render_template("person_new.html", form=form)


@bp.get("/personnes/<person_id>")
@login_required
def person(person_id: str) -> tuple[str, int]:
    return person_page(person_id)


def person_page(person_id: str, status: int = 200, **forms: object) -> tuple[str, int]:
    """The person's page; after a failed form, that form again with its errors (nothing saved)."""
    db = get_db()
    person_row = person_or_404(person_id)
    context = {
        "person": person_row,
        "badges": fetch_all(db, BADGES, [person_id]),
        "trainings": grants.history(db, person_id),
        "sessions": fetch_all(db, RECENT_SESSIONS, [person_id]),
        "badge_form": BadgeForm(formdata=None),
        "grant_form": _grant_form(formdata=None),
        "reason_form": StopForm(formdata=None),
        "language_form": LanguageForm(formdata=None, language=person_row["language"] or "fr"),
        "anomalies": claims.open_anomalies(db, person_id),
        "button": EmptyForm(),
        "waiting": request.args.get("attente", type=int),
        **forms,
    }
    return render_template("person.html", **context), status


BADGES = "SELECT * FROM badges WHERE person_id = ? ORDER BY id DESC"
RECENT_SESSIONS = """
    SELECT sessions.*, machines.name AS machine FROM sessions
    JOIN machines ON machines.id = sessions.machine_id
    WHERE sessions.person_id = ? ORDER BY sessions.started_at DESC LIMIT 20
"""


def _grant_form(**options: object) -> GrantForm:
    form = GrantForm(**options)
    form.skill.choices = [
        SelectChoice(s["slug"], s["name_fr"]) for s in skills.list_skills(get_db())
    ]
    return form


@bp.post("/personnes/<person_id>/badge")
@login_required
def badge_add(person_id: str) -> tuple[str, int] | Response:
    person_or_404(person_id)
    form = BadgeForm()
    if form.validate_on_submit():
        try:
            badges.assign_badge(get_db(), person_id, form.uid.data, actor=actor())
        except HubError:
            form.uid.errors.append(_("Ce badge appartient déjà à quelqu'un d'autre."))
        else:
            flash(_("Badge enregistré."))
            return redirect(url_for("pages.person", person_id=person_id))
    return person_page(person_id, 400, badge_form=form)


@bp.post("/personnes/<person_id>/langue")
@login_required
def person_language(person_id: str) -> tuple[str, int] | Response:
    """The language the stations' screens and voice use for this person."""
    person_or_404(person_id)
    form = LanguageForm()
    if not form.validate_on_submit():
        return person_page(person_id, 400, language_form=form)
    chosen = None if form.language.data == "fr" else form.language.data
    people.set_language(get_db(), person_id, chosen, actor=actor())
    flash(_("Langue enregistrée. Les machines la parleront dans quelques secondes."))
    return redirect(url_for("pages.person", person_id=person_id))


@bp.post("/personnes/<person_id>/badge/attente")
@login_required
def badge_wait(person_id: str) -> Response:
    """Start "tap the badge now"; the page then asks `badge_wait_status` every second."""
    person_or_404(person_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    enrolment_id = enrolment.start(get_db(), person_id, actor=actor())
    return redirect(url_for("pages.person", person_id=person_id, attente=enrolment_id))


@bp.get("/personnes/<person_id>/badge/attente/<int:enrolment_id>")
@login_required
def badge_wait_status(person_id: str, enrolment_id: int) -> Response:
    return jsonify(enrolment.status(get_db(), enrolment_id))


@bp.post("/personnes/<person_id>/formations")
@login_required
def grant_add(person_id: str) -> str | Response:
    person_or_404(person_id)
    form = _grant_form()
    if form.validate_on_submit():
        try:
            grants.grant(get_db(), person_id, form.skill.data, level=int(form.level.data),
                         valid_months=form.valid_months.data, by=form.by.data,
                         on=form.on.data, actor=actor())  # fmt: skip
        except HubError:
            form.on.errors.append(
                _(
                    "Une formation plus récente est déjà enregistrée pour "
                    "cette compétence : une plus ancienne ne la remplace pas."
                )
            )
        else:
            flash(_("Formation enregistrée. Les machines le sauront dans quelques secondes."))
            return redirect(url_for("pages.person", person_id=person_id))
    return person_page(person_id, 400, grant_form=form)


@bp.get("/personnes/<person_id>/parcours")
@login_required
def parcours_page(person_id: str) -> str:
    """The resident's own record, in plain words, to read together or print."""
    from web.domain.parcours import parcours, presence

    person_row = person_or_404(person_id)
    return render_template(
        "parcours.html",
        person=person_row,
        records=parcours(get_db(), person_id),
        presence=presence(get_db(), person_id),
    )


def _handed_over(person_id: str, form: str) -> dict:
    """Everything the hub holds about the person (right of access), logged as handed over."""
    from web.domain import audit
    from web.domain.person_record import export_person

    person_or_404(person_id)
    data = export_person(get_db(), person_id)
    audit.record(get_db(), actor(), "person.export", person_id, format=form)
    return data


@bp.get("/personnes/<person_id>/donnees")
@login_required
def person_data_page(person_id: str) -> str:
    """To read with the person, in words."""
    return render_template("person_data.html", data=_handed_over(person_id, "page"))


@bp.get("/personnes/<person_id>/donnees.json")
@login_required
def person_data(person_id: str) -> Response:
    """All of it, for another program."""
    data = _handed_over(person_id, "json")
    return _download(jsonify(data), f"donnees-{person_id}.json", "application/json")


@bp.get("/personnes/<person_id>/donnees.pdf")
@login_required
def person_data_pdf(person_id: str) -> Response:
    """The page, as a document to hand over."""
    from web.pages.documents import pdf_response

    return pdf_response("pdf/personal_data.html", f"donnees-{person_id}.pdf",
                        data=_handed_over(person_id, "pdf"), today=date.today())  # fmt: skip


def _download(
    response: Response, filename: str, mimetype: str, how: str = "attachment"
) -> Response:
    response.mimetype = mimetype
    response.headers["Content-Disposition"] = f'{how}; filename="{filename}"'
    return response
