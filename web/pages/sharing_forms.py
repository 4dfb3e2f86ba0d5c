"""The forms for what the fablab shares with others: its identity on credentials, another
fablab's credential recognised here, trusted fablabs, and the partners' agreements."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp

from web.pages.forms import LEVELS, REQUIRED, PageForm


class IdentityForm(PageForm):
    """Who signs the credentials: the name and the address the public knows."""

    fablab_name = StringField(
        _l("Nom du fablab, tel qu'il figure sur les attestations"),
        validators=[
            DataRequired(message=REQUIRED),
            Length(max=80, message=_l("80 caractères au plus.")),
        ],
    )
    public_url = StringField(
        _l("Adresse publique du hub (https://…), celle qu'un employeur peut ouvrir"),
        validators=[DataRequired(message=REQUIRED), Length(max=200)],
    )
    logo = FileField(
        _l("Logo (PNG ou JPEG, 300 Ko au plus ; laissez vide pour garder l'actuel)"),
        validators=[FileAllowed(["png", "jpg", "jpeg"], _l("Une image PNG ou JPEG."))],
    )
    remove_logo = BooleanField(_l("Retirer le logo"))


class RecogniseForm(PageForm):
    """A credential from another fablab: its file, or its text or address pasted."""

    upload = FileField(_l("Le fichier du badge (PDF, .jwt ou .json)"))
    text = TextAreaField(
        _l("Ou collez le badge (le texte qui commence par « eyJ ») ou l'adresse de sa page "
           "de vérification"),
        validators=[Length(max=20000)],
    )  # fmt: skip


class RecognitionForm(PageForm):
    """What the verified credential becomes here."""

    token = HiddenField(validators=[DataRequired()])
    skill = SelectField(_l("Compétence de ce fablab"), validators=[DataRequired(REQUIRED)])
    level = SelectField(_l("Niveau reconnu"), choices=LEVELS)


SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$"


class PartnerForm(PageForm):
    slug = StringField(
        _l("Nom court, pour les fichiers (minuscules et tirets, ex. mission-locale)"),
        validators=[
            DataRequired(REQUIRED),
            Regexp(SLUG_PATTERN, message=_l("3 à 40 minuscules, chiffres et tirets.")),
        ],
    )
    name = StringField(_l("Nom du partenaire"), validators=[DataRequired(REQUIRED), Length(max=80)])


class TrustForm(PageForm):
    url = StringField(
        _l("Adresse du hub de l'autre fablab (https://…)"),
        validators=[DataRequired(REQUIRED), Length(max=200)],
    )
