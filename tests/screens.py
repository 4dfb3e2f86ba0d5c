"""The station's screen in a real browser: a `fablab-kiosk run` process with its [screen],
and Debian's Chromium on the page it serves, as cage would show it on the Pi."""

from __future__ import annotations

import os
import time
from pathlib import Path

from demo.octoprint import free_port
from tests.stations import KioskProcess

ROOT = Path(__file__).resolve().parent.parent
# Screenshots of every screen, kept after the run (CI keeps the folder as an artefact).
ARTEFACTS = Path(os.environ.get("FABLAB_ARTEFACTS", ROOT / "test-artifacts"))
SIZES = {"landscape": (800, 480), "portrait": (720, 1280)}


def screen_station(directory: Path, hub_url: str, token: str, **options: object) -> KioskProcess:
    """A laser station with its screen on a free port, and a voice whose player only keeps
    what it was given (there is no speaker here)."""
    port = free_port()
    played = directory / "played"
    played.mkdir(parents=True, exist_ok=True)
    extra = options.pop("extra", "")
    kiosk = KioskProcess(
        directory, hub_url, token,
        extra=f'[screen]\nport = {port}\n\n[voice]\nplayer = "cp -t {played}"\n{extra}',
        **options,
    )  # fmt: skip
    kiosk.screen_url = f"http://127.0.0.1:{port}/"
    kiosk.played = played
    return kiosk


class StationPage:
    """The page as a resident sees it."""

    def __init__(self, browser, url: str, size: str = "landscape") -> None:
        width, height = SIZES[size]
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.page.goto(url)
        self.size = size

    def shows(self, code: str, timeout: float = 10) -> dict:
        """Wait until the screen shows `code`; what it shows."""
        self.page.wait_for_selector(f'body[data-code="{code}"]', timeout=timeout * 1000)
        return self.read()

    def read(self) -> dict:
        return self.page.evaluate(
            """() => ({
                code: document.body.dataset.code, tone: document.body.dataset.tone,
                lang: document.documentElement.lang, dir: document.documentElement.dir,
                title: document.getElementById('title').textContent,
                sentence: document.getElementById('sentence').textContent,
                next: document.getElementById('next').textContent,
                clock: document.getElementById('clock').hidden ? ''
                       : document.getElementById('clock').textContent,
                machine: document.getElementById('machine').textContent,
                pictogram: getComputedStyle(document.getElementById('icon'))
                           .getPropertyValue('--icon'),
                alt: document.getElementById('icon').getAttribute('aria-label'),
                background: getComputedStyle(document.body).backgroundColor,
                offline: !document.getElementById('offline').hidden,
                smallest: Math.min(...[...document.querySelectorAll('h1, p, .machine')]
                    .filter(e => e.offsetParent && e.textContent.trim())
                    .map(e => parseFloat(getComputedStyle(e).fontSize))),
            })"""
        )

    def shoot(self, name: str) -> None:
        """Screenshots of what is shown, in both orientations."""
        folder = ARTEFACTS / "station-screens"
        folder.mkdir(parents=True, exist_ok=True)
        for _size, (width, height) in SIZES.items():
            self.page.set_viewport_size({"width": width, "height": height})
            self.page.screenshot(path=str(folder / f"{name}-{width}x{height}.png"))
        self.page.set_viewport_size(dict(zip(("width", "height"), SIZES[self.size], strict=True)))

    def close(self) -> None:
        self.page.close()


def wait_for_file(folder: Path, count: int, timeout: float = 10) -> list[Path]:
    deadline = time.monotonic() + timeout
    while len(found := sorted(folder.glob("*.wav"))) < count:
        assert time.monotonic() < deadline, f"{len(found)} sound(s) played, not {count}"
        time.sleep(0.05)
    return found
