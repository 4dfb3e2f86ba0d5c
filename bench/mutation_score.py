"""`make mutation`'s last line: the score from mutmut's own counts, and the survivors to
kill or to list as equivalent in docs/testing.md."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

BIN = Path(sys.executable).parent


def main() -> int:
    subprocess.run([str(BIN / "mutmut"), "export-cicd-stats"], check=True)
    stats = json.loads(Path("mutants/mutmut-cicd-stats.json").read_text())
    tried = stats["total"] - stats["skipped"] - stats["no_tests"]
    killed = stats["killed"] + stats["timeout"]  # a mutant that hangs the tests is caught too
    survivors = subprocess.run([str(BIN / "mutmut"), "results"], capture_output=True,
                               text=True, check=False).stdout.split()  # fmt: skip
    print(f"mutation: {killed} of {tried} mutants killed ({100 * killed / max(tried, 1):.1f}%), "
          f"{stats['survived']} survived, {stats['no_tests']} reached by no test, "
          f"{stats['suspicious']} suspicious; {datetime.now(UTC):%Y-%m-%d}, "
          f"{platform.machine()}, Python {platform.python_version()}")  # fmt: skip
    for name in survivors:
        if "__mutmut_" in name:
            print("  survived:", name.rstrip(":"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
