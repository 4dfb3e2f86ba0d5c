"""A real OctoPrint (1.11, its own virtualenv) with its Virtual Printer, on a free loopback port.

`make test` builds `.venv-octoprint`; the session-scoped fixture in conftest
starts one server for the whole run. The configuration below starts in about
two seconds and makes no network calls.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from pathlib import Path

import requests

from tests.servers import free_port

ROOT = Path(__file__).resolve().parent.parent
OCTOPRINT = ROOT / ".venv-octoprint" / "bin" / "octoprint"
CONFIG = """\
server:
  firstRun: false
  onlineCheck: {enabled: false}
  pluginBlacklist: {enabled: false}
plugins:
  _disabled: [announcements, discovery, errortracking, tracking, softwareupdate, pluginmanager,
              health_check, achievements, backup, firmware_check, file_check]
  virtual_printer: {enabled: true, sendWait: false, simulateReset: false}
serial:
  autoconnect: false
gcodeAnalysis:
  runAt: always
"""


class OctoPrintServer:
    def __init__(self, basedir: Path) -> None:
        if not OCTOPRINT.exists():
            raise RuntimeError(f"{OCTOPRINT} is missing: run `make test`, which installs OctoPrint")
        self.basedir = basedir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.api_key = secrets.token_hex(16).upper()
        self.process: subprocess.Popen | None = None
        basedir.mkdir(parents=True, exist_ok=True)
        (basedir / "config.yaml").write_text(CONFIG)
        subprocess.run(
            [str(OCTOPRINT), "--basedir", str(basedir), "user", "add", "tests",
             "--password", secrets.token_hex(8), "--admin"],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        keys = basedir / "data" / "appkeys"
        keys.mkdir(parents=True, exist_ok=True)
        (keys / "keys.yaml").write_text(f"tests:\n- {{app_id: tests, api_key: {self.api_key}}}\n")

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Api-Key": self.api_key}

    def start(self, timeout: float = 60) -> None:
        with open(self.basedir / "serve.log", "ab") as log:  # the child keeps its own copy
            self.process = subprocess.Popen(
                [str(OCTOPRINT), "serve", "--basedir", str(self.basedir), "--host", "127.0.0.1",
                 "--port", str(self.port), "--iknowwhatimdoing"],
                stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"OctoPrint exited: see {self.basedir / 'serve.log'}")
            try:
                if requests.get(f"{self.url}/api/version", headers=self.headers, timeout=2).ok:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        raise TimeoutError("OctoPrint did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    # --- helpers for tests ---------------------------------------------------------------------

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        return requests.request(
            method, f"{self.url}{path}", headers=self.headers, timeout=10, **kwargs
        )

    def state(self) -> str:
        return self.api("GET", "/api/connection").json()["current"]["state"]

    def wait_for_state(self, *wanted: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while (state := self.state()) not in wanted:
            if time.monotonic() > deadline:
                raise TimeoutError(f"printer state stayed {state!r}, wanted {wanted}")
            time.sleep(0.05)
        return state

    def connect_printer(self) -> None:
        self.api("POST", "/api/connection", json={"command": "connect", "port": "VIRTUAL"})
        self.wait_for_state("Operational")

    def upload(self, name: str, gcode: str, *, analysed: bool = False) -> None:
        """Upload a file; with `analysed`, wait until OctoPrint knows its filament length."""
        response = self.api("POST", "/api/files/local", files={"file": (name, gcode)})
        response.raise_for_status()
        deadline = time.monotonic() + 30
        while (
            analysed and "gcodeAnalysis" not in self.api("GET", f"/api/files/local/{name}").json()
        ):
            if time.monotonic() > deadline:
                raise TimeoutError(f"OctoPrint never analysed {name}")
            time.sleep(0.05)

    def print_file(self, name: str) -> None:
        """Start a print as someone at OctoPrint's own page would."""
        response = self.api(
            "POST", f"/api/files/local/{name}", json={"command": "select", "print": True}
        )
        response.raise_for_status()

    def gcode(self, *commands: str) -> None:
        self.api(
            "POST", "/api/printer/command", json={"commands": list(commands)}
        ).raise_for_status()


def quick_gcode(lines: int = 20) -> str:
    """A print that finishes at once (moves at G-code speed)."""
    return "G28\n" + "".join(
        f"G1 X{i % 100} Y{i % 50} E{i / 10:.1f} F60000\n" for i in range(lines)
    )


def slow_gcode(seconds: int) -> str:
    """A print that lasts about `seconds` and can be cancelled."""
    return "G28\n" + "G1 X10 Y10 E1 F60000\n" + "G4 S1\n" * seconds + "G1 X20 E2 F60000\n"
