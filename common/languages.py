"""The languages a resident can choose for the station's screen and voice.

French is the source of every text. Each other language says whether a native speaker has
reviewed its texts: the hub lets the facilitator hide the languages not reviewed yet, and
the station's catalogues carry the same mark (tests/test_station_texts.py keeps them in step).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    code: str
    name: str  # in the language itself, as a resident recognises it
    direction: str  # "ltr" or "rtl"
    reviewed: bool  # by a native speaker
    espeak_voice: str  # espeak-ng's voice for it


SOURCE = "fr"
LANGUAGES = {
    language.code: language
    for language in (
        Language("fr", "Français", "ltr", True, "fr"),
        Language("en", "English", "ltr", False, "en"),
        Language("ar", "العربية", "rtl", False, "ar"),
    )
}


def known(code: str | None) -> str:
    """`code` if it is a language the stations speak, else French."""
    return code if code in LANGUAGES else SOURCE
