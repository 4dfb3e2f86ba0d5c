"""The laser's station as the at-the-machine tests use it: a real `fablab-kiosk run` on
simulated pins read and driven through their panel, and its screen in Chromium, touched as
a resident would (the fixtures `fablab_at` and `claire_at` are in conftest)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from common.panel import ask
from tests.screens import StationPage, screen_station
from tests.servers import HubProcess

ACTOR = "test"
RELAY, BEAM = 17, 27
CHECKLIST = [
    {"icon": "wind", "text_fr": "L'aspiration est allumée.", "text_en": "The extraction is on."},
    {"icon": "eye", "text_fr": "Je reste devant la machine pendant la découpe."},
]


class Station:
    """The laser's station with its screen, its simulated pins' panel, and a browser on it."""

    def __init__(self, tmp_path: Path, hub: HubProcess, token: str, browser, **options) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="panel"))  # a UNIX socket's path is short
        self.panel = self.folder / "pins.sock"
        machine = (f'kind = "laser"\npin = {RELAY}\nbeam_pin = {BEAM}\npin_factory = "mock"\n'
                   f'panel = "{self.panel}"\n')  # fmt: skip
        self.kiosk = screen_station(tmp_path / "kiosk", hub.url, token, machine=machine,
                                    **options)  # fmt: skip
        self.kiosk.start().ready()
        self.page = StationPage(browser, self.kiosk.screen_url)

    def tap(self, uid: str) -> str:
        """Tap a badge; the station's word for it ("granted (tap_holder)"...)."""
        self.kiosk.tap(uid)
        match = self.kiosk.wait_for(r"decision (\S+) \S+ \((\w+)\)")
        return f"{match.group(1)} ({match.group(2)})"

    def touch(self, label: str) -> None:
        """Touch the button that says `label` on the screen."""
        self.page.page.get_by_role("button", name=label).click()

    def relay(self) -> list[int]:
        """Every state the relay's pin went through since the station started."""
        return json.loads(ask(self.panel, f"history {RELAY}"))

    def beam(self, on: bool) -> None:
        assert ask(self.panel, f"drive {BEAM} {'high' if on else 'low'}") == "ok"

    def buttons(self) -> list[str]:
        return self.page.page.eval_on_selector_all(
            "#actions button", "bs => bs.map(b => b.innerText)"
        )

    def close(self) -> None:
        self.page.close()
        assert self.kiosk.stop() == 0


def hub_rows(db, sql, *args):
    return [dict(row) for row in db.query(sql, list(args))]
