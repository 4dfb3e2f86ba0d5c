"""The station's words in each resident's language.

French is written in the code (marked with `N_` and `NP_` for extraction); the other
languages come from gettext catalogues, `kiosk/translations/LANG/LC_MESSAGES/station.po`,
compiled when the package is built (`make i18n-update` collects new texts). Only the
standard library reads them: a station needs no translation framework.
"""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path

from common.languages import known

DOMAIN = "station"
FOLDER = Path(__file__).with_name("translations")


def N_(text: str) -> str:
    """Marks a French text to translate; the translation happens when it is shown."""
    return text


def NP_(singular: str, plural: str) -> tuple[str, str]:
    """Marks a French text with a number in it (`{n}`), in its singular and plural forms."""
    return singular, plural


@cache
def catalogue(language: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, FOLDER, languages=[known(language)], fallback=True)


def text(language: str, message: str, **params: object) -> str:
    """`message` (French, as marked by N_) in `language`, with its `{placeholders}` filled."""
    return catalogue(language).gettext(message).format(**params)


def plural(language: str, forms: tuple[str, str], n: int, **params: object) -> str:
    """The form of `forms` (marked by NP_) that `n` takes in `language` (Arabic has six)."""
    return catalogue(language).ngettext(forms[0], forms[1], n).format(n=n, **params)


MINUTES = NP_("{n} minute", "{n} minutes")
HOURS = NP_("{n} heure", "{n} heures")
SECONDS = NP_("{n} seconde", "{n} secondes")


def duration(language: str, seconds: float) -> str:
    """A length of time in words: "45 minutes", "2 heures et 5 minutes"."""
    minutes = int(seconds // 60)
    if minutes < 1:
        return text(language, N_("moins d'une minute"))
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return plural(language, MINUTES, minutes)
    if not minutes:
        return plural(language, HOURS, hours)
    return text(
        language,
        N_("{hours} et {minutes}"),
        hours=plural(language, HOURS, hours),
        minutes=plural(language, MINUTES, minutes),
    )
