"""Facilitator pages benchmark: server time of Today and of a person's page, a year of data.

2,000 people, 20 machines, 200,000 sessions over a year; pages rendered through the Flask
test client (server time, no network). Prints figures; asserts nothing.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import fablab
from bench.figures import Figure, spread
from common.clock import to_iso
from web.db import open_database, writing
from web.domain import stats
from web.migrations import migrate

PEOPLE, MACHINES, SESSIONS, REQUESTS = 2000, 20, 200_000, 100


def populate(path: Path) -> list[str]:
    rng = random.Random(3)
    db = open_database(path)
    migrate(db)
    with writing(db):
        _, ids = fablab.populate(db, people_count=PEOPLE, machine_count=MACHINES, rng=rng,
                                 uid_base=0x30000000)  # fmt: skip
        start = datetime.now(UTC) - timedelta(days=365)
        rows = []
        for n in range(SESSIONS):
            began = start + timedelta(seconds=n * 365 * 86400 / SESSIONS)
            ended = (
                None
                if n >= SESSIONS - 5
                else to_iso(began + timedelta(minutes=rng.randint(5, 180)))
            )
            machine, person = rng.randint(1, MACHINES), rng.choice(ids)
            reason = "badge_out" if ended else None
            rows.append((str(uuid.uuid4()), machine, person, to_iso(began), ended, reason, 1))
        db.conn.executemany(
            "INSERT INTO sessions (id, machine_id, person_id, started_at, ended_at, end_reason,"
            " counted) VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        stats.rebuild(db)  # the totals the history pages read, as counting them would have
    db.close()
    return ids


def timings(client, path: str) -> list[float]:
    samples = []
    for _ in range(REQUESTS):
        began = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return samples


def main() -> list[Figure]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "hub.db"
        began = time.perf_counter()
        ids = populate(path)
        print(f"populated {PEOPLE} people, {MACHINES} machines, {SESSIONS} sessions "
              f"in {time.perf_counter() - began:.1f} s")  # fmt: skip
        client = fablab.logged_in(path)
        someone = ids[0]  # sessions are spread evenly: about 100 each
        figures = {
            "Today page": timings(client, "/aujourdhui"),
            "a person's page (~100 sessions)": timings(client, f"/personnes/{someone}"),
            "a person's parcours": timings(client, f"/personnes/{someone}/parcours"),
            "people search (accents and case folded)": timings(
                client, "/personnes?q=personne%2019"
            ),
            "history: a past week (~3,800 sessions, 50 shown)": timings(
                client, f"/historique?date={date.today() - timedelta(days=7)}"
            ),
            "history: a month, one machine": timings(
                client, "/historique?periode=mois&machine=machine-03"
            ),
            "history: a chart (12 weeks)": timings(
                client, "/historique/graphique.svg?unite=semaine&mesure=heures"
            ),
            "machines": timings(client, "/machines"),
            "skills": timings(client, "/competences"),
            "wall screen": timings(client, "/tableau"),
            "export page": timings(client, "/export"),
            "accounts": timings(client, "/comptes"),
        }
    print(f"{'server time, ms':<40}{'p50':>10}{'p95':>10}{'p99':>10}")
    for label, samples in figures.items():
        quantiles = statistics.quantiles(samples, n=100, method="inclusive")
        print(f"{label:<40}{quantiles[49]:>10.1f}{quantiles[94]:>10.1f}{quantiles[98]:>10.1f}")
    return [spread(f"pages: {label}, server time", samples) for label, samples in figures.items()]


if __name__ == "__main__":
    main()
