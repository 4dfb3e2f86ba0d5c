"""The pictograms both sides draw (Tabler Icons, vendored in common/icons/ with their
licence): the station's screen, the wall screen, the checklists a facilitator writes."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

FOLDER = Path(__file__).with_name("icons")
# Each kind of machine's pictogram, on its station's screen and on the wall screen.
MACHINE_ICONS = {
    "laser": "flame",
    "sewing": "needle",
    "printer": "printer",
    "checkin": "door-enter",
    "relay": "tool",
}
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")


@cache
def names() -> tuple[str, ...]:
    return tuple(sorted(path.stem for path in FOLDER.glob("*.svg")))


def exists(name: str) -> bool:
    return bool(_NAME.match(name)) and name in names()


def path(name: str) -> Path:
    """The SVG file of a pictogram; ValueError for a name that is not one."""
    if not exists(name):
        raise ValueError(f"no pictogram named {name!r}")
    return FOLDER / f"{name}.svg"
