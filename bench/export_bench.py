"""Weekly export benchmark: one week out of a year of data (2,000 people, 200,000 sessions).

Prints figures; asserts nothing. Run with `make bench` or `python bench/export_bench.py`.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from bench.figures import Figure
from bench.pages_bench import populate
from web.db import open_database
from web.domain import partners
from web.domain.export import Week, build
from web.domain.export_files import write


def main() -> list[Figure]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "hub.db"
        populate(path)
        db = open_database(path)
        week = Week.last_complete()
        db.execute("UPDATE people SET consent_partner_sharing = 1 WHERE rowid % 2 = 0")
        partner = partners.add(db, "mission-locale", "Mission Locale", actor="bench")
        samples, rows = [], 0
        for run in range(5):
            began = time.perf_counter()
            export = build(db, week, partner)
            write(export, Path(tmp) / f"out{run}")
            samples.append(time.perf_counter() - began)
            rows = len(export.sessions)
        db.close()
    print(f"weekly export of {week.label} ({rows} sessions, {len(export.summary)} summary lines) "
          f"over a year of 200,000 sessions:")  # fmt: skip
    print(f"  median {statistics.median(samples):.3f} s, worst {max(samples):.3f} s (5 runs)")
    return [
        Figure(
            "export: weekly export over a year of 200,000 sessions (median, worst of 5)",
            statistics.median(samples),
            max(samples),
            unit="s",
        )
    ]


if __name__ == "__main__":
    main()
