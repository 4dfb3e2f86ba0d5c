"""The station's screen: does it slow the tap, how fast does the page follow, what it weighs.

Tap to relay with and without the screen (served, one Chromium connected, the voice on),
tap to the page showing the new screen (a MutationObserver's clock against the tap's), the
resident memory of a real `fablab-kiosk run` with its screen, and Chromium's own (PSS).
Prints figures; asserts nothing. Run with `make bench` or `python bench/screen_bench.py`.
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.figures import Figure, percentile, rss_mib, spread
from bench.kiosk_bench import hub_with_people, station_for, tap_to_relay
from kiosk.config import ScreenSettings, VoiceSettings
from tests.browser import chromium
from tests.screens import screen_station
from tests.servers import served_hub

TAPS = 100
WATCH = """() => {
    window.changes = [];
    new MutationObserver(() => window.changes.push(
        [document.body.dataset.code, performance.timeOrigin + performance.now()]
    )).observe(document.body, {attributes: true, attributeFilter: ["data-code"]});
}"""


def tap_to_page(station, reader, uid: str, page) -> list[float]:
    """ms from the tap to the page drawing the new screen, in and out."""
    thread = threading.Thread(target=station.run, daemon=True)
    thread.start()
    page.goto(station.show.screen.url)
    page.wait_for_selector('body[data-code="idle"]')
    page.evaluate(WATCH)
    samples = []
    for _ in range(TAPS * 2):  # in (its welcome), out (its goodbye)
        page.evaluate("() => { window.changes = []; }")
        began = time.time() * 1000
        reader.present(uid)
        deadline = time.monotonic() + 5
        while not (changes := page.evaluate("() => window.changes")):
            assert time.monotonic() < deadline, "the page did not change"
        samples.append(changes[0][1] - began)
    station.stop()
    thread.join(10)
    return samples


def chromium_pss_mib() -> float:
    """Proportional memory of every Chromium process running now (this bench's only)."""
    total = 0
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and (proc / "comm").read_text().strip() in (
                "chromium", "chrome", "headless_shell", "chrome_crashpad",
            ):  # fmt: skip
                for line in (proc / "smaps_rollup").read_text().splitlines():
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def main() -> list[Figure]:
    with tempfile.TemporaryDirectory() as tmp, chromium() as browser:
        tmp = Path(tmp)
        token, residents = hub_with_people(tmp / "hub.db")
        uid = residents[0][1]
        with served_hub(tmp / "hub.db", tmp / "hub.log") as url:
            plain = tap_to_relay(*station_for(tmp / "plain", url, token, tmp / "hub.db"), uid)
            screened = station_for(tmp / "screen", url, token, tmp / "hub.db",
                                   screen=ScreenSettings(port=0, blank_minutes=10),
                                   voice=VoiceSettings(player="true"))  # fmt: skip
            page = browser.new_page(viewport={"width": 800, "height": 480})

            def connect() -> None:
                page.goto(screened[0].show.screen.url)
                page.wait_for_selector('body[data-code="idle"]')

            with_browser = tap_to_relay(*screened, uid, on_start=connect)
            page.close()

            paged = station_for(tmp / "paged", url, token, tmp / "hub.db",
                                screen=ScreenSettings(port=0, blank_minutes=10))  # fmt: skip
            page = browser.new_page(viewport={"width": 800, "height": 480})
            to_page = tap_to_page(paged[0], paged[2], uid, page)
            page.close()

            kiosk = screen_station(tmp / "rss", url, token).start().ready()
            page = browser.new_page(viewport={"width": 800, "height": 480})
            page.goto(kiosk.screen_url)
            page.wait_for_selector('body[data-code="idle"]')
            for _ in range(10):
                kiosk.decide(uid)
            time.sleep(1)  # the last screens drawn, the voice's files written
            agent_rss = rss_mib(kiosk.process.pid)
            browser_pss = chromium_pss_mib()
            page.close()
            kiosk.stop()

    print(f"{'figure':<64}{'p50':>10}{'p99':>10}")
    for label, samples in (
        ("tap to relay, no screen, ms", plain),
        ("tap to relay, screen served, a browser on it, voice on, ms", with_browser),
        ("tap to the page showing the new screen (Chromium), ms", to_page),
    ):
        print(f"{label:<64}{percentile(samples, 50):>10.2f}{percentile(samples, 99):>10.2f}")
    print(
        f"{'agent with its screen and voice, a browser on it (VmRSS), MiB':<64}{agent_rss:>10.1f}"
    )
    print(f"{'Chromium, every process (PSS), MiB':<64}{browser_pss:>10.1f}")
    return [
        spread("screen: tap to relay on, no screen (same run)", plain),
        spread("screen: tap to relay on, screen + browser + voice", with_browser),
        spread("screen: tap to the page showing it (Chromium)", to_page),
        Figure("screen: agent with screen and voice, resident memory", agent_rss, unit="MiB"),
        Figure("screen: Chromium on the page, all its processes (PSS)", browser_pss, unit="MiB"),
    ]


if __name__ == "__main__":
    main()
