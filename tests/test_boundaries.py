"""The house's plan: the station and the hub never import each other, and a station Pi
runs without the hub's libraries."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.stations import KIOSK, KioskProcess

ROOT = Path(__file__).resolve().parent.parent
STATION = {"badge", "machines", "kiosk"}
HUB = {"web"}
OURS = STATION | HUB | {"common", "demo", "tests", "bench"}
# What may import what, among our own packages.
ALLOWED = {
    **{package: STATION | {"common"} for package in STATION},
    "web": HUB | {"common"},
    "common": {"common"},
    "demo": {"demo", "common"},  # it runs the processes; it imports neither side
}
HUB_LIBRARIES = (
    "flask",
    "werkzeug",
    "jinja2",
    "weasyprint",
    "xlsxwriter",
    "sqlite_utils",
    "jwt",
    "pygal",
)


def imported_packages(path: Path) -> set[str]:
    """Top-level names a module imports, wherever the import statement stands."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def crossings() -> list[str]:
    wrong = []
    for package, allowed in ALLOWED.items():
        for path in sorted((ROOT / package).rglob("*.py")):
            for name in sorted((imported_packages(path) & OURS) - allowed):
                wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    return wrong


def test_no_import_crosses_the_station_hub_boundary():
    assert crossings() == []


def test_the_boundary_check_sees_an_import_inside_a_function(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from web.clock import add_months\n    import kiosk.agent\n")
    assert imported_packages(module) == {"web", "kiosk"}


def test_common_needs_nothing_but_the_standard_library():
    for path in (ROOT / "common").rglob("*.py"):
        outside = {
            name
            for name in imported_packages(path)
            if name not in sys.stdlib_module_names and name not in ("common", "__future__")
        }
        assert outside == set(), f"{path.name} imports {outside}"


@pytest.mark.slow
def test_a_running_station_loads_none_of_the_hubs_libraries(tmp_path, hub):
    """`python -X importtime` lists every module the real `fablab-kiosk run` imported."""
    url, fablab, _ = hub
    kiosk = KioskProcess(tmp_path / "kiosk", url, fablab.tokens["laser"])
    kiosk.start(env={"PYTHONPROFILEIMPORTTIME": "1"}).ready()
    kiosk.tap("CAFEBABE")
    kiosk.wait_for("decision ")
    assert kiosk.stop() == 0
    imported = {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in kiosk.log
        if line.startswith("import time:") and "|" in line
    }
    assert {"kiosk", "badge", "machines", "common", "gpiozero"} <= imported
    assert imported & set(HUB_LIBRARIES) == set()
    assert "web" not in imported


def test_the_station_checks_itself_without_the_hub_installed(tmp_path):
    """The hub's libraries made unimportable, as on a station Pi: `check` still probes
    the configuration, the reader, the relay and (here, unreachable) hub."""
    (tmp_path / "sitecustomize.py").write_text(
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] in {(*HUB_LIBRARIES, 'web')!r}:\n"
        "            raise ImportError(f'{name} is not installed on a station')\n"
        "sys.meta_path.insert(0, Block())\n"
    )
    config = KioskProcess(tmp_path / "kiosk", "http://127.0.0.1:9", "fab_x").config
    env = {"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"}
    hidden = subprocess.run([sys.executable, "-c", "import flask"], env=env, capture_output=True)
    assert b"not installed on a station" in hidden.stderr  # the blocker works
    result = subprocess.run(
        [KIOSK, "--config", str(config), "check"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert "not installed on a station" not in result.stdout + result.stderr
    assert "ok       machine: laser, locked" in result.stdout
    assert "PROBLEM  hub:" in result.stdout
