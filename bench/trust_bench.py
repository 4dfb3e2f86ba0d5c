"""What trusting nothing costs: one guess at a badge hash (what a thief pays per guess, what
a tap pays once), and a revocation made on the facilitator's pages reaching a station that is
long-polling (woken as the hub commits, not at its next look).

Prints figures; asserts nothing. Run with `make bench` or `python bench/trust_bench.py`.
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests

from bench.figures import Figure, spread
from bench.kiosk_bench import hub_with_people, station_for
from common.uid import BadgeHash
from tests.servers import served_hub
from web.db import open_database
from web.domain import facilitators

GUESSES = 200
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def log_in(url: str, name: str, password: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{url}/connexion", timeout=5).text
    form = {"name": name, "password": password, "csrf_token": CSRF.search(page)[1]}
    browser.post(f"{url}/connexion", timeout=5, data=form)
    return browser


def guess_cost() -> list[float]:
    """ms per badge hash, each a new UID (nothing remembered)."""
    scheme = BadgeHash(salt=os.urandom(16))
    samples = []
    for n in range(GUESSES):
        began = time.perf_counter()
        scheme.of(f"{0x30000000 + n:08X}")
        samples.append((time.perf_counter() - began) * 1000)
    return samples


def revocation_through_the_pages(url: str, token: str, db_path: Path, residents, tmp: Path):
    """ms from the facilitator's "Retirer" (its POST) to the station holding the new list."""
    station, _, _ = station_for(tmp / "revoke", url, token, db_path)
    thread = threading.Thread(target=station.run, daemon=True)
    thread.start()
    db = open_database(db_path)
    facilitators.add_facilitator(db, "bench", "mot-de-passe-bench", actor="bench")
    db.close()
    browser = log_in(url, "bench", "mot-de-passe-bench")
    time.sleep(1)  # into its long poll
    samples = []
    for person, _ in residents[1:21]:
        csrf = CSRF.search(browser.get(f"{url}/personnes/{person}", timeout=5).text)[1]
        before = station.access.etag
        began = time.perf_counter()
        done = browser.post(f"{url}/personnes/{person}/formations/laser/retirer", timeout=5,
                            data={"csrf_token": csrf, "reason": "bench", "when": "end",
                                  "confirmed": "yes"})  # fmt: skip
        if "C&#39;est fait" not in done.text and "C'est fait" not in done.text:
            raise RuntimeError(f"the revocation was not taken ({done.status_code})")
        deadline = time.monotonic() + 10
        while station.access.etag == before:
            if time.monotonic() > deadline:
                raise RuntimeError("the station did not get the new list within 10 s")
            time.sleep(0.0005)
        samples.append((time.perf_counter() - began) * 1000)
    station.stop()
    thread.join(10)
    return samples


def main() -> list[Figure]:
    guesses = guess_cost()
    per_guess = statistics.median(guesses)
    cores = os.cpu_count() or 1
    days = 2**32 * per_guess / 1000 / 86400 / cores
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        token, residents = hub_with_people(tmp / "hub.db")
        with served_hub(tmp / "hub.db", tmp / "hub.log") as url:
            revocation = revocation_through_the_pages(url, token, tmp / "hub.db", residents, tmp)
    print(f"{'badge hash (scrypt N=2048 r=8 p=1): one guess, ms':<64}{per_guess:>10.2f}")
    print(f"{'every 4-byte UID, on all this machine cores, days':<64}{days:>10.0f}")
    print(f"{'revocation on the pages to the station new list, ms p50/p99':<64}"
          f"{statistics.median(revocation):>10.1f}{max(revocation):>10.1f}")  # fmt: skip
    return [
        spread("trust: one guess at a badge hash (scrypt, 2 MiB)", guesses),
        Figure("trust: every 4-byte UID on this machine's cores", days, unit="days"),
        spread("trust: revocation on the pages to a station's new list (20)", revocation),
    ]


if __name__ == "__main__":
    main()
