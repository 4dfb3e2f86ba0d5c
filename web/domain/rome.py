"""The titles of the ROME fiches a skill relates to (France Travail's open data, vendored in
web/data/rome.tsv with its source), for attestations, credentials and their pages."""

from __future__ import annotations

from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "rome.tsv"


@cache
def titles() -> dict[str, str]:
    lines = DATA.read_text(encoding="utf-8").splitlines()
    return dict(line.split("\t", 1) for line in lines if "\t" in line)


def title(code: str) -> str | None:
    """The fiche's title, or None for a code not in the vendored list."""
    return titles().get(code.upper())


def fiche_url(code: str) -> str:
    return f"https://candidat.francetravail.fr/metierscope/fiche-metier/{code.upper()}"
