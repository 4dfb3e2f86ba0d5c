"""A real OctoPrint (1.11, its own virtualenv) with its Virtual Printer, on a loopback port.

The printer's simulated twin: `make test` and `make demo` build `.venv-octoprint`
beside the project (OctoPrint pins older Flask than the hub), the tests start one
server for the whole run and `fablab-demo` starts one for its printer station.
The configuration below starts in a few seconds and makes no network calls.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import time
from pathlib import Path

import requests

from demo.processes import die_with_parent, stop_process

ROOT = Path(__file__).resolve().parent.parent
OCTOPRINT = Path(os.environ.get("FABLAB_OCTOPRINT", ROOT / ".venv-octoprint" / "bin" / "octoprint"))
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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OctoPrintServer:
    def __init__(
        self, basedir: Path, port: int | None = None, login: tuple[str, str] | None = None
    ) -> None:
        """`login`: the user (name, password) for OctoPrint's own page; a random one if None."""
        if not OCTOPRINT.exists():
            raise RuntimeError(f"{OCTOPRINT} is missing: `make test` or `make demo` installs it")
        self.basedir = basedir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.api_key = secrets.token_hex(16).upper()
        self.process: subprocess.Popen | None = None
        basedir.mkdir(parents=True, exist_ok=True)
        (basedir / "config.yaml").write_text(CONFIG)
        user, password = login or ("tests", secrets.token_hex(8))
        subprocess.run(
            [str(OCTOPRINT), "--basedir", str(basedir), "user", "add", user,
             "--password", password, "--admin"],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        keys = basedir / "data" / "appkeys"
        keys.mkdir(parents=True, exist_ok=True)
        (keys / "keys.yaml").write_text(f"{user}:\n- {{app_id: fablab, api_key: {self.api_key}}}\n")

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Api-Key": self.api_key}

    def start(self, timeout: float = 60) -> None:
        with open(self.basedir / "serve.log", "ab") as log:  # the child keeps its own copy
            self.process = subprocess.Popen(
                [str(OCTOPRINT), "serve", "--basedir", str(self.basedir), "--host", "127.0.0.1",
                 "--port", str(self.port), "--iknowwhatimdoing"],
                stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
                start_new_session=True,  # a Ctrl-C in the terminal is for whoever started it
                preexec_fn=die_with_parent,  # and it never outlives whoever started it
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

    def stop(self, timeout: float = 20) -> None:
        if self.process is not None:
            stop_process(self.process, timeout)
        self.process = None

    # --- what someone at OctoPrint's page would do (tests, demo) ---------------------------

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
