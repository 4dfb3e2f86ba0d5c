"""Hub benchmark: event ingest rate and access-list latency over real loopback HTTP.

A hub with 2,000 people (each with a badge, most trained on something) and 20
machines is served by waitress in its own process, as in production. Prints
figures; asserts nothing. Run with `make bench` or `python bench/hub_bench.py`.
"""

from __future__ import annotations

import http.client
import json
import random
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import fablab
from bench.figures import Figure, percentile, rss_mib
from tests.servers import HubProcess
from web.db import open_database, writing
from web.domain import events as events_domain
from web.domain import machines
from web.migrations import migrate

PEOPLE, MACHINES, BATCH, BATCHES = 2000, 20, 100, 200


def populate(path: Path) -> tuple[dict[str, str], list[str]]:
    db = open_database(path)
    migrate(db)
    with writing(db):
        tokens, ids = fablab.populate(db, people_count=PEOPLE, machine_count=MACHINES,
                                      rng=random.Random(7), uid_base=0x10000000)  # fmt: skip
    db.close()
    return tokens, ids


def batches(people_ids: list[str], count: int, start: datetime):
    """Realistic batches: session pairs, refusals and unknown badges."""
    rng = random.Random(11)
    at = start
    for _ in range(count):
        batch = []
        while len(batch) < BATCH:
            at += timedelta(seconds=rng.randint(1, 600))
            session, person = str(uuid.uuid4()), rng.choice(people_ids)
            batch += [
                {
                    "id": str(uuid.uuid4()),
                    "type": "session_started",
                    "at": at.isoformat(),
                    "session": session,
                    "person": person,
                    "level": 2,
                },
                {
                    "id": str(uuid.uuid4()),
                    "type": "session_ended",
                    "at": (at + timedelta(minutes=rng.randint(1, 120))).isoformat(),
                    "session": session,
                    "reason": "badge_out",
                    "busy_seconds": rng.randint(0, 3600),
                },
                {
                    "id": str(uuid.uuid4()),
                    "type": "denied",
                    "at": at.isoformat(),
                    "reason": "not_trained",
                    "person": rng.choice(people_ids),
                },
                {
                    "id": str(uuid.uuid4()),
                    "type": "unknown_badge",
                    "at": at.isoformat(),
                    "uid": f"{rng.getrandbits(32):08X}",
                },
            ]
        yield batch[:BATCH]


def ingest(base: str, tokens: dict[str, str], ids: list[str], stations: int) -> float:
    names = list(tokens)[:stations]
    work = {
        name: list(batches(ids, BATCHES // stations, datetime(2026, 1, 1, tzinfo=UTC)))
        for name in names
    }

    def run(name: str) -> None:
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {tokens[name]}"
        for batch in work[name]:
            answer = http.post(f"{base}/api/v1/events", json={"events": batch}, timeout=30).json()
            assert len(answer["accepted"]) == len(batch), answer["rejected"][:1]

    threads = [threading.Thread(target=run, args=(name,)) for name in names]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(len(b) for w in work.values() for b in w) / (time.perf_counter() - began)


def ingest_in_process(path: Path, tokens: dict[str, str], ids: list[str]) -> float:
    """The same work without HTTP: what the hub's domain code alone sustains on one core."""
    db = open_database(path)
    machine = machines.machine_for_token(db, tokens["machine-01"])
    work = list(batches(ids, BATCHES // 2, datetime(2027, 1, 1, tzinfo=UTC)))
    began = time.perf_counter()
    for batch in work:
        events_domain.ingest(db, machine, batch)
    rate = sum(len(batch) for batch in work) / (time.perf_counter() - began)
    db.close()
    return rate


def latencies(request, count: int, before=lambda: None) -> tuple[float, float]:
    """p50 and p99 in ms of `request`, with `before` run (untimed) ahead of each."""
    samples = []
    for _ in range(count):
        before()
        began = time.perf_counter()
        request()
        samples.append((time.perf_counter() - began) * 1000)
    return percentile(samples, 50), percentile(samples, 99)


def main() -> list[Figure]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "hub.db"
        began = time.perf_counter()
        tokens, ids = populate(path)
        took = time.perf_counter() - began
        print(f"populated {PEOPLE} people, {MACHINES} machines in {took:.1f} s")
        with HubProcess(path, Path(tmp) / "hub.log") as hub:
            base = hub.url
            # http.client on one kept-alive connection: requests would add ~1.5 ms of its own.
            station = http.client.HTTPConnection(urlsplit(base).hostname, urlsplit(base).port)
            auth = {"Authorization": f"Bearer {tokens['machine-00']}"}

            def get(**headers: str) -> tuple[int, str | None, bytes]:
                station.request("GET", "/api/v1/access-list", headers={**auth, **headers})
                response = station.getresponse()
                return response.status, response.getheader("ETag"), response.read()

            _, etag, body = get()
            badges_listed = len(json.loads(body)["badges"])
            print(f"access list of machine-00: {badges_listed} badges, {len(body) / 1024:.0f} KiB")
            full = latencies(get, 300)
            not_modified = latencies(lambda: get(**{"If-None-Match": etag}), 1000)
            db = open_database(path)

            def change() -> None:
                db.execute("UPDATE revision SET value = value + 1")  # as any change would

            rebuild = latencies(get, 100, before=change)
            db.close()
            rates = {n: ingest(base, tokens, ids, n) for n in (1, 4)}
            hub_rss = rss_mib(hub.process.pid)
        in_process = ingest_in_process(path, tokens, ids)

        print()
        print(f"{'figure':<48}{'p50':>10}{'p99':>10}")
        for label, (p50, p99) in (
            ("access list, full (unchanged, cached) ms", full),
            ("access list, full after a change (rebuilt) ms", rebuild),
            ("access list, 304 Not Modified ms", not_modified),
        ):
            print(f"{label:<48}{p50:>10.2f}{p99:>10.2f}")
        for stations, rate in rates.items():
            label = f"events ingested/s, batches of {BATCH}, {stations} station(s)"
            print(f"{label:<48}{rate:>10.0f}")
        print(f"{'events ingested/s, in-process, no HTTP':<48}{in_process:>10.0f}")
        print(f"{'hub resident memory after all that, MiB':<48}{hub_rss:>10.1f}")
    return [
        Figure("hub: access list, full, unchanged (2,000 badges)", *full),
        Figure("hub: access list, full, right after a change (rebuilt)", *rebuild),
        Figure("hub: access list, 304 Not Modified", *not_modified),
        *(
            Figure(
                f"hub: events ingested, batches of {BATCH}, {n} station(s) over HTTP",
                rate,
                unit="events/s",
            )
            for n, rate in rates.items()
        ),
        Figure("hub: resident memory after the above (waitress, 4 threads)", hub_rss, unit="MiB"),
    ]


if __name__ == "__main__":
    main()
