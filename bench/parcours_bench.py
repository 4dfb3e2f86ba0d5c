"""Parcours page benchmark: a person with 1,000 sessions (server time, Flask test client).

Prints figures; asserts nothing. Run with `make bench` or `python bench/parcours_bench.py`.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import fablab
from bench.figures import Figure, spread
from web.db import open_database
from web.domain import badges, events, facilitators, grants, machines, people, skills
from web.migrations import migrate


def main() -> list[Figure]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "hub.db"
        db = open_database(path)
        migrate(db)
        for slug in ("decoupe-laser", "couture", "impression-3d"):
            skills.add_skill(db, slug, name_fr=slug, rome_codes=["H2905"], actor="bench")
            machines.add_machine(db, slug, kind="relay", skill=slug, actor="bench")
        person = people.add_person(db, "Résidente Assidue", actor="bench")
        badges.assign_badge(db, person, "DEADBEEF", actor="bench")
        facilitators.add_facilitator(db, *fablab.FACILITATOR, actor="bench")
        start = datetime.now(UTC) - timedelta(days=300)
        for n, slug in enumerate(("decoupe-laser", "couture", "impression-3d")):
            grants.grant(db, person, slug, level=1 + n, actor="bench")
        for n in range(1000):
            slug = ("decoupe-laser", "couture", "impression-3d")[n % 3]
            session, at = str(uuid.uuid4()), start + timedelta(hours=7 * n)
            events.ingest(db, machines.get_machine(db, slug), [
                {"id": str(uuid.uuid4()), "type": "session_started", "at": at.isoformat(),
                 "session": session, "person": person},
                {"id": str(uuid.uuid4()), "type": "session_ended",
                 "at": (at + timedelta(minutes=45)).isoformat(), "session": session,
                 "reason": "badge_out", "busy_seconds": 600},
            ])  # fmt: skip
        db.close()
        client = fablab.logged_in(path)
        samples = []
        for _ in range(100):
            began = time.perf_counter()
            assert client.get(f"/personnes/{person}/parcours").status_code == 200
            samples.append((time.perf_counter() - began) * 1000)
    quantiles = statistics.quantiles(samples, n=100, method="inclusive")
    print(f"parcours page, a person with 1,000 sessions: p50 {quantiles[49]:.1f} ms, "
          f"p95 {quantiles[94]:.1f} ms (server time, 100 requests)")  # fmt: skip
    return [spread("pages: parcours of a person with 1,000 sessions, server time", samples)]


if __name__ == "__main__":
    main()
