"""English is selectable, and no French message is left without its English."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "web" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
METHODS = [("web/**.py", "python"), ("web/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "ngettext": (1, 2)}


def test_every_message_in_the_code_has_an_english_translation():
    found = {
        message if isinstance(message, str) else message[0]
        for _, _, message, _, _ in extract_from_dir(ROOT, METHODS, keywords=KEYWORDS)
    }
    with open(CATALOGUE, "rb") as handle:
        catalogue = {
            (m.id if isinstance(m.id, str) else m.id[0]): m for m in read_po(handle) if m.id
        }

    def translated(text: str) -> bool:
        entry = catalogue.get(text)
        strings = entry.string if entry else ""
        return all(strings) if isinstance(strings, tuple) else bool(strings)

    missing = sorted(text for text in found if not translated(text))
    assert len(found) > 100
    assert missing == [], f"untranslated: {missing[:10]}"
    fuzzy = [m.id for m in catalogue.values() if m.fuzzy]
    assert fuzzy == []


def test_the_pages_speak_english_when_asked(client, fablab):
    assert "Les machines" in client.get("/tableau").get_data(as_text=True)
    client.get("/langue/en")
    html = client.get("/tableau").get_data(as_text=True)
    assert "The machines" in html and "Les machines" not in html
