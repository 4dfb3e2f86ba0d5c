"""`make bench`: every benchmark in turn (each prints its details), then one table.

The table is Markdown, headed by the machine it ran on, ready for docs/performance.md.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import (
    badge_bench,
    export_bench,
    hub_bench,
    kiosk_bench,
    machines_bench,
    pages_bench,
    parcours_bench,
    screen_bench,
    trust_bench,
)
from bench.figures import table

BENCHES = (kiosk_bench, screen_bench, trust_bench, hub_bench, pages_bench, export_bench,
           parcours_bench, badge_bench, machines_bench)  # fmt: skip


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith(("model name", "Model"))), platform.machine())  # fmt: skip
    memory = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))  # fmt: skip
    system = platform.freedesktop_os_release().get("PRETTY_NAME", platform.system())
    return (f"{cpu}, {os.cpu_count()} cores, {memory / 1024 / 1024:.1f} GiB RAM; {system}; "
            f"Python {platform.python_version()}")  # fmt: skip


def main() -> None:
    figures, began = [], time.monotonic()
    for bench in BENCHES:
        name = bench.__name__.rsplit(".", 1)[1]
        print(f"\n=== {name} ===", flush=True)
        figures += bench.main()
    print(f"\n## make bench, {time.strftime('%Y-%m-%d')} ({time.monotonic() - began:.0f} s)\n")
    print(f"Machine: {machine()}\n")
    print(table(figures))


if __name__ == "__main__":
    main()
