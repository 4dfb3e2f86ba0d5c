"""`make mutation`'s last lines: the score from mutmut's own counts, with the survivors that
are equivalent by construction set apart, and the others listed (to kill with a test, or
to explain in docs/testing.md).

Equivalent by construction: a mutant that only changes the letter case of SQL (SQLite's
keywords, table and column names are case-insensitive, also as sqlite-utils column keys), of
a codec name ("ASCII", "UTF-8") or of float("-inf"); `ensure_ascii=None` for `False` (json
only tests its truth); any change of `ensure_ascii` in the station's saved access list, which
only json.loads reads back; and the ones docs/testing.md lists by name with the reason.
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
# A string literal is SQL when it holds one of SQL's words as written here, in capitals.
SQL = re.compile(
    r"\b(SELECT|UPDATE|DELETE|INSERT|INTO|VALUES|CREATE|TABLE|PRAGMA|BEGIN|COMMIT|VACUUM|"
    r"WHERE|FROM|SET|JOIN|ORDER BY|GROUP BY|LIMIT|NOT NULL|PRIMARY KEY|ON CONFLICT)\b"
)
LITERAL = re.compile(r"\"[^\"]*\"|'[^']*'")
CASE_FREE = ("ascii", "utf-8", "-inf")  # codec names and float("-inf"), exactly
# Where the JSON is only ever read back by json.loads: the station's saved access list (the
# outbox's size counts, the hub's JSON shows in a person's data export).
READ_BACK_ONLY = ("kiosk.access.",)
ESCAPING = re.compile(r",?\s*ensure_ascii=\w*|,\s*(?=\))")
LISTED = Path(__file__).parents[1] / "docs" / "testing.md"
OUTSIDE = "### Killed where mutmut cannot look"
NAMED = re.compile(r"`([\w.ǁ]+__mutmut_\d+)`")


def changed_lines(name: str) -> tuple[list[str], list[str]]:
    shown = subprocess.run([str(BIN / "mutmut"), "show", name], capture_output=True,
                           text=True, check=False).stdout  # fmt: skip
    lines = [line for line in shown.splitlines() if not line.startswith(("+++", "---"))]
    return ([line[1:] for line in lines if line.startswith("-")],
            [line[1:] for line in lines if line.startswith("+")])  # fmt: skip


def case_free(before: str, after: str) -> bool:
    """Only the letter case of string literals changed, and each of them is SQL or a name
    whose case does not matter."""
    if before == after or before.lower() != after.lower():
        return False
    pairs = zip(LITERAL.findall(before), LITERAL.findall(after), strict=False)
    changed = [old for old, new in pairs if old != new]
    outside = LITERAL.sub('""', before) == LITERAL.sub('""', after)
    return outside and bool(changed) and all(
        SQL.search(old) or old[1:-1].lower() in CASE_FREE for old in changed)  # fmt: skip


def equivalent(name: str, listed: set[str]) -> str | None:
    if name in listed:
        return "listed"
    before, after = changed_lines(name)
    if not before or len(before) != len(after):
        return None
    pairs = list(zip(before, after, strict=True))
    if all(a == b.replace("ensure_ascii=False", "ensure_ascii=None") != b for b, a in pairs):
        return "JSON escaping only"  # json tests ensure_ascii's truth: None is False
    if (
        name.startswith(READ_BACK_ONLY)
        and "ensure_ascii" in " ".join(before)
        and all(ESCAPING.sub("", b) == ESCAPING.sub("", a) for b, a in pairs)
    ):
        return "JSON escaping only"
    if all(case_free(b, a) for b, a in pairs):
        return "letter case only"
    return None


def main() -> int:
    subprocess.run([str(BIN / "mutmut"), "export-cicd-stats"], check=True, capture_output=True)
    stats = json.loads(Path("mutants/mutmut-cicd-stats.json").read_text())
    survivors = [line.split(":")[0] for line in subprocess.run(
        [str(BIN / "mutmut"), "results"], capture_output=True, text=True, check=False
    ).stdout.splitlines() if "survived" in line]  # fmt: skip
    text = LISTED.read_text(encoding="utf-8") if LISTED.exists() else ""
    same_text, _, outside_text = text.partition(OUTSIDE)
    listed, outside = set(NAMED.findall(same_text)), set(NAMED.findall(outside_text))
    judged = {name.strip(): equivalent(name.strip(), listed) for name in survivors}
    seen = {name for name, why in judged.items() if why is None and name in outside}
    alive = sorted(name for name, why in judged.items() if why is None and name not in seen)
    same = len(survivors) - len(alive) - len(seen)
    tried = stats["total"] - stats["skipped"] - stats["no_tests"]
    # A mutant that hangs the tests is caught too; so is one a test mutmut cannot follow
    # kills (docs/testing.md says which, and how that was checked).
    killed = stats["killed"] + stats["timeout"] + len(seen)
    print(f"mutation, {datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, Python "
          f"{platform.python_version()}: {tried} mutants run, {killed} killed "
          f"({len(seen)} by a test mutmut cannot follow), "
          f"{stats['survived'] - len(seen)} survived of which {same} equivalent; "
          f"score {100 * killed / max(tried - same, 1):.1f}% of the non-equivalent "
          f"({100 * killed / max(tried, 1):.1f}% of all); {stats['no_tests']} reached by no "
          f"in-process test")  # fmt: skip
    for name in alive:
        print("  alive:", name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
