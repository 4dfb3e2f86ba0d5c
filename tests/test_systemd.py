"""The systemd units: valid for systemd, naming commands that exist; the agent's watchdog pings."""

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


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed"
)
def test_systemd_accepts_every_unit(tmp_path):
    assert {unit.name for unit in UNITS} >= {
        "fablab-hub.service", "fablab-kiosk.service", "fablab-export.service",
        "fablab-export.timer", "fablab-purge.service", "fablab-purge.timer",
    }  # fmt: skip
    for unit in UNITS:  # installed under /opt/fablab/venv; here, this virtualenv
        text = unit.read_text().replace("/opt/fablab/venv/bin", str(BIN))
        (tmp_path / unit.name).write_text(text)
    done = subprocess.run(
        ["systemd-analyze", "verify", *sorted(str(p) for p in tmp_path.iterdir())],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr


def test_every_command_a_unit_runs_exists():
    for unit in UNITS:
        for line in unit.read_text().splitlines():
            if not line.startswith(("ExecStart=", "ExecStartPre=")):
                continue
            program, *words = line.split("=", 1)[1].split()
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
