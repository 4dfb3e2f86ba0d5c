"""What docs/install.md installs: a wheel of the project holding everything the hub serves."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_carries_the_pages_their_files_and_the_english_catalogue(tmp_path):
    """Built from the project's files as a fresh clone has them (no catalogue compiled): the
    build compiles them."""
    clone = tmp_path / "clone"
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.split()  # fmt: skip
    for name in listed:
        if (ROOT / name).is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, clone / name)
    assert not list(clone.glob("*/translations/*/LC_MESSAGES/*.mo"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
         "-w", str(tmp_path), str(clone)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("fablab_stations-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    needed = [path.relative_to(ROOT).as_posix() for pattern in
              ("web/templates/*.html", "web/static/*", "web/translations/*/LC_MESSAGES/*.mo")
              for path in ROOT.glob(pattern)]  # fmt: skip
    needed += [path.with_suffix(".mo").relative_to(ROOT).as_posix()
               for path in ROOT.glob("*/translations/*/LC_MESSAGES/*.po")]  # fmt: skip
    assert any(name.endswith(".mo") for name in needed)
    assert sorted(set(needed) - names) == []
    for package in ("common", "badge", "machines", "kiosk", "web", "demo"):
        assert f"{package}/__init__.py" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    scripts = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert all(f"{name} =" in scripts for name in ("fablab-hub", "fablab-kiosk", "fablab-demo"))
