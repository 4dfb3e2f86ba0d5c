"""The systemd units: valid for systemd, naming commands that exist; the agent's watchdog pings."""

import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.stations import KioskProcess

ROOT = Path(__file__).resolve().parent.parent
UNITS = sorted((ROOT / "systemd").glob("*.service")) + sorted((ROOT / "systemd").glob("*.timer"))
BIN = Path(sys.executable).parent


needs_systemd_analyze = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed"
)


@needs_systemd_analyze
def test_systemd_accepts_every_unit(tmp_path):
    assert {unit.name for unit in UNITS} >= {
        "fablab-hub.service", "fablab-kiosk.service", "fablab-export.service",
        "fablab-export.timer", "fablab-purge.service", "fablab-purge.timer",
    }  # fmt: skip
    done = subprocess.run(
        ["systemd-analyze", "verify", *_installed_here(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr


@needs_systemd_analyze
def test_every_service_is_confined(tmp_path):
    """systemd's own exposure score (0 safe … 10 exposed): the hub and the timers' jobs need
    nothing but their directory; the station also needs its devices and the network."""
    limits = {"fablab-hub.service": 2.0, "fablab-kiosk.service": 2.5,
              "fablab-kiosk-screen.service": 6.5,  # a compositor and a browser: devices, namespaces
              "fablab-export.service": 1.0, "fablab-purge.service": 1.0}  # fmt: skip
    for path in _installed_here(tmp_path):
        if not path.endswith(".service"):
            continue
        done = subprocess.run(
            ["systemd-analyze", "security", "--offline=true", "--no-pager", path],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        score = float(re.search(r"Overall exposure level for \S+: ([\d.]+)", done.stdout)[1])
        assert score <= limits[Path(path).name], f"{path}: exposure {score}\n{done.stdout}"


def _installed_here(directory: Path) -> list[str]:
    """The units as installed, pointing at this virtualenv instead of /opt/fablab/venv."""
    for unit in UNITS:
        text = unit.read_text().replace("/opt/fablab/venv/bin", str(BIN))
        (directory / unit.name).write_text(text)
    return sorted(str(directory / unit.name) for unit in UNITS)


def test_every_command_a_unit_runs_exists():
    for unit in UNITS:
        for line in unit.read_text().replace("\\\n", " ").splitlines():
            if line.startswith("Documentation=file:///opt/fablab/src/"):
                assert (ROOT / line.split("/opt/fablab/src/", 1)[1]).exists(), line
            if not line.startswith(("ExecStart=", "ExecStartPre=", "ExecStopPost=")):
                continue
            program, *words = line.split("=", 1)[1].split()
            if not program.startswith("/opt/fablab/"):  # Debian's: cage, chromium, bash
                others = [word for word in words if word.startswith("/usr/bin/")]
                for path in (program, *others):
                    assert Path(path).exists(), f"{unit.name}: {path} (a Debian package)"
                continue
            script = BIN / Path(program).name
            assert script.exists(), f"{unit.name}: {program}"
            command = [word for word in words if not word.startswith("-") and "/" not in word]
            command = [w for w in command if not w.isdigit() and ":" not in w]
            done = subprocess.run([str(script), *command[:2], "--help"],
                                  capture_output=True, text=True, timeout=60)  # fmt: skip
            assert done.returncode == 0, f"{unit.name}: {line}\n{done.stderr}"


def test_the_agent_tells_systemd_it_is_ready_alive_and_stopping(tmp_path):
    address = str(tmp_path / "notify.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(address)
    listener.settimeout(20)
    kiosk = KioskProcess(tmp_path / "kiosk", "http://127.0.0.1:9", "fab_x")
    kiosk.start(env={"NOTIFY_SOCKET": address, "WATCHDOG_USEC": "400000"})
    try:
        heard = [listener.recv(64).decode() for _ in range(3)]
        assert heard[0] == "READY=1" and heard[1:] == ["WATCHDOG=1", "WATCHDOG=1"]
    finally:
        kiosk.stop()
    rest = []
    listener.settimeout(5)
    while "STOPPING=1" not in rest:
        rest.append(listener.recv(64).decode())
    listener.close()


def test_lock_drives_the_relay_off_and_says_so(tmp_path):
    kiosk = KioskProcess(tmp_path / "kiosk", "http://127.0.0.1:9", "fab_x")
    done = subprocess.run([str(BIN / "fablab-kiosk"), "--config", str(kiosk.config), "lock"],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0 and done.stdout.strip() == "relay on pin 17 driven off"

    broken = KioskProcess(tmp_path / "broken", "http://127.0.0.1:9", "fab_x",
                          machine='kind = "laser"\npin = 999\npin_factory = "mock"\n')  # fmt: skip
    done = subprocess.run([str(BIN / "fablab-kiosk"), "--config", str(broken.config), "lock"],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 1 and "could not drive the relay off" in done.stderr


@pytest.mark.skipif(shutil.which("systemd-sysusers") is None, reason="no systemd-sysusers")
def test_the_sysusers_files_make_the_user_and_its_device_groups(tmp_path):
    """On a system with none of them (plain Debian has no gpio or spi group): the user, its
    groups, and the user in each, so commands run as it open what the unit opens."""
    (tmp_path / "etc").mkdir()
    files = [str(ROOT / "systemd" / name) for name in
             ("fablab.sysusers.conf", "fablab-kiosk.sysusers.conf")]  # fmt: skip
    done = subprocess.run(["systemd-sysusers", f"--root={tmp_path}", *files],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    passwd = (tmp_path / "etc/passwd").read_text()
    assert re.search(r"^fablab:x:\d+:\d+:.*:/var/lib/fablab:", passwd, re.M)
    groups = {
        line.split(":")[0]: set(line.split(":")[3].split(","))
        for line in (tmp_path / "etc/group").read_text().split()
    }
    for name in ("gpio", "spi", "dialout", "input", "audio"):
        assert "fablab" in groups.get(name, ()), name
    for name in ("video", "render", "input"):  # the screen's compositor
        assert "fablab-screen" in groups.get(name, ()), name
    assert "fablab-screen" not in groups["fablab"]  # none of the agent's files


def test_the_station_unit_runs_where_lgpio_can_write_and_asks_for_no_missing_group():
    unit = (ROOT / "systemd" / "fablab-kiosk.service").read_text()
    assert "WorkingDirectory=/var/lib/fablab-kiosk" in unit
    assert "SupplementaryGroups" not in unit  # a missing group fails the unit (216/GROUP)
    for path in ROOT.glob("systemd/*.service"):
        text = path.read_text()
        for kind in ("State", "Configuration"):
            if f"{kind}Directory=" in text:
                assert f"{kind}DirectoryMode=0750" in text, f"{path.name}: {kind}DirectoryMode"
