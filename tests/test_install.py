"""What docs/install.md installs: a wheel of the project holding everything the hub serves."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_carries_the_pages_their_files_and_the_english_catalogue(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
         "-w", str(tmp_path), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("fablab_stations-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    needed = [path.relative_to(ROOT).as_posix() for pattern in
              ("web/templates/*.html", "web/static/*", "web/translations/*/LC_MESSAGES/*.mo")
              for path in ROOT.glob(pattern)]  # fmt: skip
    assert any(name.endswith(".mo") for name in needed), "make translations has not run"
    assert sorted(set(needed) - names) == []
    for package in ("badge", "machines", "kiosk", "web"):
        assert f"{package}/__init__.py" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    scripts = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert all(f"{name} =" in scripts for name in ("fablab-hub", "fablab-kiosk", "fablab-demo"))
