"""`make mutation`'s last lines: the score from mutmut's own counts, with the survivors that
are equivalent by construction set apart, and the others listed (to kill with a test, or
to explain in docs/testing.md).

Equivalent by construction: a mutant that only changes the letter case of SQL (SQLite's
keywords, table and column names are case-insensitive, also as sqlite-utils column keys), of
a codec name ("ASCII", "UTF-8") or of float("-inf"); one that only changes how JSON escapes
non-ASCII (`ensure_ascii`) where the JSON is only read back by json.loads, never searched as
text; and the ones docs/testing.md lists by name with the reason.
"""

from __future__ import annotations

import json
import platform
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

BIN = Path(sys.executable).parent
SQL = re.compile(
    r"\b(SELECT|UPDATE|DELETE|INSERT|CREATE|TABLE|PRAGMA|BEGIN|COMMIT|VACUUM|WHERE|FROM|SET)\b|"
    r"\b(status|status_reason|status_changed_at|grant_id|at|reason|by|stop_now)\b"
)
CASE_FREE = ("ascii", "utf-8", "-inf")
# Where the JSON is only ever read back by json.loads (the outbox, the saved access list,
# events' data and checklists), never searched as text as erasure searches audit details.
READ_BACK_ONLY = ("kiosk.outbox.", "kiosk.access.", "web.domain.events.", "web.domain.sessions.")
ESCAPING = re.compile(r",?\s*ensure_ascii=\w*|,\s*(?=\))")
LISTED = Path(__file__).parents[1] / "docs" / "testing.md"


def changed_lines(name: str) -> tuple[list[str], list[str]]:
    shown = subprocess.run([str(BIN / "mutmut"), "show", name], capture_output=True,
                           text=True, check=False).stdout  # fmt: skip
    lines = [line for line in shown.splitlines() if not line.startswith(("+++", "---"))]
    return ([line[1:] for line in lines if line.startswith("-")],
            [line[1:] for line in lines if line.startswith("+")])  # fmt: skip


def equivalent(name: str, listed: str) -> str | None:
    if name in listed:
        return "listed"
    before, after = changed_lines(name)
    if (
        name.startswith(READ_BACK_ONLY)
        and before
        and len(before) == len(after)
        and "ensure_ascii" in " ".join(before)
        and all(
            ESCAPING.sub("", b) == ESCAPING.sub("", a) for b, a in zip(before, after, strict=True)
        )
    ):
        return "JSON escaping only"
    if (
        before
        and len(before) == len(after)
        and all(b != a and b.lower() == a.lower() for b, a in zip(before, after, strict=True))
    ):
        text = " ".join(before)
        if SQL.search(text) or any(word in text.lower() for word in CASE_FREE):
            return "letter case only"
    return None


def main() -> int:
    subprocess.run([str(BIN / "mutmut"), "export-cicd-stats"], check=True, capture_output=True)
    stats = json.loads(Path("mutants/mutmut-cicd-stats.json").read_text())
    survivors = [line.split(":")[0] for line in subprocess.run(
        [str(BIN / "mutmut"), "results"], capture_output=True, text=True, check=False
    ).stdout.splitlines() if "survived" in line]  # fmt: skip
    listed = LISTED.read_text(encoding="utf-8") if LISTED.exists() else ""
    judged = {name: equivalent(name.strip(), listed) for name in survivors}
    alive = sorted(name.strip() for name, why in judged.items() if why is None)
    same = len(survivors) - len(alive)
    tried = stats["total"] - stats["skipped"] - stats["no_tests"]
    killed = stats["killed"] + stats["timeout"]  # a mutant that hangs the tests is caught too
    print(f"mutation, {datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, Python "
          f"{platform.python_version()}: {tried} mutants run, {killed} killed, "
          f"{stats['survived']} survived of which {same} equivalent; "
          f"score {100 * killed / max(tried - same, 1):.1f}% of the non-equivalent "
          f"({100 * killed / max(tried, 1):.1f}% of all); {stats['no_tests']} reached by no "
          f"in-process test")  # fmt: skip
    for name in alive:
        print("  alive:", name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
