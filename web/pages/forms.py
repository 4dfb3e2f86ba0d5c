"""The facilitator's forms (Flask-WTF: CSRF on every one, errors shown next to their field)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import g
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from common.languages import LANGUAGES
from common.uid import InvalidUid, normalise_uid

AGE_BANDS = [
    SelectChoice("", _l("Non renseigné")),
    SelectChoice("under_26", _l("Moins de 26 ans")),
    SelectChoice("26_44", _l("26 à 44 ans")),
    SelectChoice("45_54", _l("45 à 54 ans")),
    SelectChoice("55_plus", _l("55 ans et plus")),
]
GENDERS = [
    SelectChoice("", _l("Non renseigné")),
    SelectChoice("female", _l("Femme")),
    SelectChoice("male", _l("Homme")),
    SelectChoice("other", _l("Autre")),
]
LEVELS = [
    SelectChoice("1", _l("1 · Découverte : avec un référent")),
    SelectChoice("2", _l("2 · Autonome")),
    SelectChoice("3", _l("3 · Référent : peut encadrer et former")),
]
REQUIRED = _l("Ce champ est obligatoire.")
STALE = _l(
    "Ce formulaire était resté ouvert trop longtemps, ou a déjà été envoyé : rien n'a "
    "été enregistré. Vérifiez ce qui est écrit et envoyez-le de nouveau."
)


def station_language_choices() -> list[SelectChoice]:
    """The stations' languages by their own names; those no native speaker has reviewed say
    so (their texts may read oddly)."""
    return [
        SelectChoice(code, language.name if language.reviewed else f"{language.name} · "
                     + str(_l("textes à relire")))
        for code, language in LANGUAGES.items()
    ]  # fmt: skip


class PageForm(FlaskForm):
    """Every form of the pages: a form whose token the hub no longer knows (left open across
    a new login, sent twice) is shown again with what was typed and a message, and changes
    nothing (web.pages.errors)."""

    def validate_on_submit(self, extra_validators: Any = None) -> bool:
        if g.get("stale_form"):
            self.validate(extra_validators)
            g.stale_message = STALE
            return False
        return super().validate_on_submit(extra_validators)


class LoginForm(PageForm):
    name = StringField(_l("Votre nom"), validators=[DataRequired(REQUIRED)])
    password = PasswordField(_l("Mot de passe"), validators=[DataRequired(REQUIRED)])


class PersonForm(PageForm):
    display_name = StringField(
        _l("Nom affiché (prénom et initiale suffisent)"),
        validators=[DataRequired(REQUIRED), Length(max=80, message=_l("80 caractères au plus."))],
    )
    age_band = SelectField(_l("Tranche d'âge (pour les statistiques)"), choices=AGE_BANDS)
    gender = SelectField(_l("Genre (pour les statistiques)"), choices=GENDERS)
    consent_statistics = BooleanField(_l("Accepte d'être compté·e dans les statistiques"))
    consent_partner_sharing = BooleanField(
        _l(
            "Accepte que ses séances soient transmises sans son nom, sous un pseudonyme, aux "
            "partenaires (France Travail, Mission Locale, PLIE), pour suivre son parcours"
        )
    )
    language = SelectField(
        _l("Langue de l'écran et de la voix aux machines"),
        choices=station_language_choices,
        default="fr",
    )


class LanguageForm(PageForm):
    language = SelectField(
        _l("Langue de l'écran et de la voix aux machines"), choices=station_language_choices
    )


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class StationSettingsForm(PageForm):
    contact_name = StringField(
        _l("Prénom de la personne à qui les machines envoient les gens (« Allez voir Claire »)"),
        validators=[Length(max=40, message=_l("40 caractères au plus."))],
    )
    languages = CheckboxesField(
        _l("Langues que les machines peuvent parler (le français toujours)"),
        choices=station_language_choices,
    )


def _uid(form: FlaskForm, field: StringField) -> None:
    try:
        field.data = normalise_uid(field.data or "")
    except InvalidUid:
        raise ValidationError(
            _l("Ce n'est pas un numéro de badge (chiffres 0-9 et lettres A-F, 8 à 20 signes).")
        ) from None


class BadgeForm(PageForm):
    uid = StringField(_l("Numéro du badge"), validators=[DataRequired(REQUIRED), _uid])


class GrantForm(PageForm):
    skill = SelectField(_l("Machine / compétence"), validators=[DataRequired(REQUIRED)])
    level = RadioField(_l("Niveau"), choices=LEVELS, validators=[DataRequired(REQUIRED)])
    by = StringField(_l("Formé·e par"), validators=[DataRequired(REQUIRED), Length(max=80)])
    valid_months = IntegerField(
        _l("Valable (mois) — vide : durée habituelle"),
        validators=[Optional(), NumberRange(min=1, max=120, message=_l("Entre 1 et 120 mois."))],
    )
    on = DateField(_l("Date de la formation — vide : aujourd'hui"), validators=[Optional()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.on.render_kw = {"max": date.today().isoformat()}  # the browser's date picker too

    def validate_on(self, field: DateField) -> None:
        if field.data and field.data > date.today():
            raise ValidationError(_l("Une formation ne peut pas être datée dans le futur."))
        if field.data and field.data.year < 2000:
            raise ValidationError(_l("Une date à partir de l'an 2000."))


class ReasonForm(PageForm):
    reason = StringField(_l("Raison"), validators=[DataRequired(REQUIRED), Length(max=200)])


STOP_CHOICES = [
    SelectChoice("now", _l("L'arrêter maintenant (la station prévient 30 secondes avant)")),
    SelectChoice("end", _l("Laisser finir la séance en cours")),
]
CANCEL_PRINT = SelectChoice("cancel", _l("Arrêter maintenant et annuler l'impression en cours"))


class StopForm(ReasonForm):
    """Suspend or revoke a training: and a session of theirs running now, stopped at once
    (after a countdown at the machine) or left to its end."""

    when = RadioField(
        _l("Si une séance est en cours"),
        choices=STOP_CHOICES,
        default="now",
        validators=[DataRequired(REQUIRED)],
    )


class MachineStopForm(StopForm):
    """Take a machine out of service; a printer's print may be cancelled too."""

    when = RadioField(
        _l("Si une séance est en cours"),
        choices=[*STOP_CHOICES, CANCEL_PRINT],
        default="now",
        validators=[DataRequired(REQUIRED)],
    )


# The pictograms a checklist item may carry, by what they show.
CHECKLIST_ICONS = [
    SelectChoice("wind", _l("Aspiration, ventilation")),
    SelectChoice("flame", _l("Feu, chaleur")),
    SelectChoice("fire-extinguisher", _l("Extincteur")),
    SelectChoice("eye", _l("Surveiller")),
    SelectChoice("hand-stop", _l("Ne pas toucher, s'arrêter")),
    SelectChoice("package", _l("Matériau")),
    SelectChoice("box", _l("Objet, pièce")),
    SelectChoice("droplet", _l("Liquide, refroidissement")),
    SelectChoice("plug-connected-x", _l("Électricité")),
    SelectChoice("lock", _l("Capot, verrou")),
    SelectChoice("shield-check", _l("Protection")),
    SelectChoice("first-aid-kit", _l("Premiers secours")),
    SelectChoice("needle", _l("Aiguille")),
    SelectChoice("scissors", _l("Ciseaux, coupe")),
    SelectChoice("brush", _l("Nettoyer")),
    SelectChoice("clock", _l("Durée")),
    SelectChoice("alert-triangle", _l("Danger")),
    SelectChoice("checklist", _l("Autre consigne")),
]


class ChecklistItemForm(Form):
    icon = SelectField(_l("Pictogramme"), choices=CHECKLIST_ICONS, default="checklist")
    text_fr = StringField(_l("Consigne en français"), validators=[Optional(), Length(max=200)])
    text_en = StringField(_l("En anglais (facultatif)"), validators=[Optional(), Length(max=200)])
    text_ar = StringField(
        _l("En arabe (facultatif)"), validators=[Optional(), Length(max=200)],
        render_kw={"lang": "ar", "dir": "rtl"},
    )  # fmt: skip


class ChecklistForm(PageForm):
    items = FieldList(FormField(ChecklistItemForm), min_entries=1, max_entries=12)
    checklist_seconds = IntegerField(
        _l("Secondes pour tout confirmer"),
        validators=[DataRequired(REQUIRED), NumberRange(10, 600, _l("De 10 à 600 secondes."))],
    )
    checklist_skip_level3 = BooleanField(_l("Les référents (niveau 3) peuvent la passer"))
    hours_to_autonomous = DecimalField(
        _l("Heures de pratique pour passer Autonome"), places=1,
        validators=[DataRequired(REQUIRED), NumberRange(0, 500, _l("De 0 à 500 heures."))],
    )  # fmt: skip
    hours_to_referent = DecimalField(
        _l("Heures de pratique pour devenir Référent"), places=1,
        validators=[DataRequired(REQUIRED), NumberRange(0, 2000, _l("De 0 à 2000 heures."))],
    )  # fmt: skip


class PresenceForm(PageForm):
    presence_minutes = IntegerField(
        _l("« Vous êtes là ? » toutes les (minutes, 0 pour jamais)"),
        validators=[Optional(), NumberRange(0, 240, _l("De 0 à 240 minutes."))],
    )


class EmptyForm(PageForm):
    """A button that changes something: only the CSRF token."""


class SkillForm(PageForm):
    slug = StringField(
        _l("Identifiant (minuscules et tirets, ex. decoupe-laser)"),
        validators=[
            DataRequired(REQUIRED),
            Regexp(
                r"^[a-z0-9][a-z0-9-]{0,39}$",
                message=_l("Minuscules, chiffres et tirets seulement (40 au plus)."),
            ),
        ],
    )
    name_fr = StringField(_l("Nom en français"), validators=[DataRequired(REQUIRED)])
    name_en = StringField(_l("Nom en anglais"), validators=[Optional()])
    validity_months = IntegerField(
        _l("Formation valable (mois)"),
        default=24,
        validators=[Optional(), NumberRange(min=1, max=120, message=_l("Entre 1 et 120 mois."))],
    )
    inactivity_months = IntegerField(
        _l("S'arrête sans pratique après (mois)"),
        default=6,
        validators=[Optional(), NumberRange(min=1, max=120, message=_l("Entre 1 et 120 mois."))],
    )
    rome = StringField(
        _l("Codes ROME liés (ex. H2905)"),
        validators=[
            Optional(),
            Regexp(
                r"^\s*([A-Na-n][0-9]{4}[\s,]*)*$",
                message=_l("Un code ROME, c'est une lettre et quatre chiffres (ex. H2905)."),
            ),
        ],
    )


SLUG = Regexp(r"^[a-z0-9][a-z0-9-]{0,39}$",
              message=_l("Minuscules, chiffres et tirets seulement (40 au plus)."))  # fmt: skip
MACHINE_KINDS = [
    SelectChoice("laser", _l("Découpe laser (relais, faisceau)")),
    SelectChoice("sewing", _l("Machine à coudre (relais, moteur)")),
    SelectChoice("relay", _l("Autre machine sur relais")),
    SelectChoice("printer", _l("Imprimante 3D (OctoPrint)")),
    SelectChoice("checkin", _l("Entrée du fablab (badge à l'arrivée)")),
]


class MachineForm(PageForm):
    """A machine: its identifier (fixed once made), its name for people, what it is, the
    skill it requires, and how often it asks "are you there?"."""

    name = StringField(_l("Identifiant (minuscules et tirets, ex. laser-1)"),
                       validators=[DataRequired(REQUIRED), SLUG])  # fmt: skip
    display_name = StringField(
        _l("Nom affiché aux machines et sur le tableau (ex. Laser Trotec)"),
        validators=[Optional(), Length(max=40, message=_l("40 caractères au plus."))],
    )
    kind = SelectField(_l("Genre de machine"), choices=MACHINE_KINDS)
    skill = SelectField(_l("Compétence demandée"), validate_choice=False)
    presence_minutes = IntegerField(
        _l("« Vous êtes là ? » toutes les (minutes, 0 pour jamais ; vide : selon le genre)"),
        validators=[Optional(), NumberRange(0, 240, _l("De 0 à 240 minutes."))],
    )

    def validate_skill(self, field: SelectField) -> None:
        if self.kind.data == "checkin" and field.data:
            raise ValidationError(_l("L'entrée ne demande pas de compétence."))
        if self.kind.data != "checkin" and not field.data:
            raise ValidationError(_l("Choisissez la compétence que la machine demande."))


class AccountForm(PageForm):
    name = StringField(_l("Nom de connexion"),
                       validators=[DataRequired(REQUIRED), Length(max=40)])  # fmt: skip
    password = PasswordField(
        _l("Mot de passe (10 caractères au moins)"),
        validators=[DataRequired(REQUIRED),
                    Length(min=10, message=_l("10 caractères au moins."))],
    )  # fmt: skip
    admin = BooleanField(_l("Administrateur (efface des personnes, gère machines et comptes)"))


class PasswordForm(PageForm):
    password = PasswordField(
        _l("Nouveau mot de passe (10 caractères au moins)"),
        validators=[DataRequired(REQUIRED),
                    Length(min=10, message=_l("10 caractères au moins."))],
    )  # fmt: skip
