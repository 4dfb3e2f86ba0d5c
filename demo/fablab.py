"""The demo fablab's processes: the hub with the demo data, a real OctoPrint with its Virtual
Printer, and three `fablab-kiosk run` stations (laser and sewing on simulated relay pins, the
printer through OctoPrint), each reading its taps from standard input.

Every child dies with the demo (a parent-death signal), so nothing is left running whether the
demo ends by Ctrl-C, a closed terminal or `kill -9`; their pids are kept in the demo directory,
so a leftover from an older run (before this guard) is found and named at the next start.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import click
import requests

from demo.processes import alive, die_with_parent, port_owner, start_time, stop_all, wait_for_http

BIN = Path(sys.executable).parent
MARKER = ".fablab-demo"
PIDS = "pids.json"
FEEDBACK = 'green_pin = 5\nred_pin = 6\namber_pin = 13\nbuzzer_pin = 19\npin_factory = "mock"\n'
RELAY_MACHINES = {  # the stations on simulated relay pins, by kind
    "laser": 'kind = "laser"\npin = 17\nbeam_pin = 27\npin_factory = "mock"\n',
    "sewing": 'kind = "sewing"\npin = 22\nmotor_pin = 23\npin_factory = "mock"\n',
}
BUSY_PINS = {"laser": 27, "sewing": 23}  # the beam, the motor: the console makes them work
STATIONS_STOP_SECONDS = 6  # then the hub and OctoPrint get the rest of Ctrl-C's 10 seconds
SERVERS_STOP_SECONDS = 3

Show = Callable[[str, str, bool], None]  # (child's name, line, is it standard output)


class DemoError(click.ClickException):
    """The demo cannot start; the message says what to do."""


@dataclass
class Child:
    """One process of the demo, with its output copied to a log file and shown by `show`."""

    name: str
    process: subprocess.Popen
    log: TextIO
    threads: list[threading.Thread] = field(default_factory=list)

    def follow(self, show: Show) -> None:
        for stream in (self.process.stdout, self.process.stderr):
            if stream is None:
                continue
            thread = threading.Thread(target=self._copy, args=(stream, show), daemon=True)
            thread.start()
            self.threads.append(thread)

    def _copy(self, stream: TextIO, show: Show) -> None:
        for line in stream:
            self.log.write(line)
            self.log.flush()
            show(self.name, line.rstrip("\n"), stream is self.process.stdout)

    def finish(self) -> None:
        """After the process has ended: the rest of its output copied, the log closed."""
        for thread in self.threads:
            thread.join(timeout=2)
        self.log.close()


def _spawn(name: str, command: list[str], directory: Path, stdin: bool = False) -> Child:
    log = open(directory / "logs" / f"{name}.log", "w", encoding="utf-8")  # noqa: SIM115
    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        bufsize=1,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        start_new_session=True,  # Ctrl-C reaches the console only: it stops them in order
        preexec_fn=die_with_parent,  # and none outlives the console, however it ends
    )
    return Child(name, process, log)


def _hub_command(directory: Path, *args: str) -> str:
    result = subprocess.run(
        [str(BIN / "fablab-hub"), "--db", str(directory / "hub.db"), *args],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    if result.returncode:
        raise DemoError(f"fablab-hub {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def _port_free(port: int, option: str) -> None:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            owner = port_owner(port)
            held = f" by {owner}" if owner else ""
            message = f"port {port} is in use{held} (another demo?); choose another with {option}"
            raise DemoError(message) from None


def leftovers(directory: Path) -> list[str]:
    """'NAME (pid N)' of the processes an earlier demo in `directory` started that still run."""
    try:
        recorded = json.loads((directory / PIDS).read_text())
    except (OSError, ValueError):
        return []
    return [
        f"{entry['name']} (pid {entry['pid']})"
        for entry in recorded
        if isinstance(entry, dict) and alive(entry.get("pid", 0), entry.get("started"))
    ]


def _prepare(directory: Path) -> None:
    """An empty demo directory: earlier demo state is wiped, anything else is left alone."""
    still = leftovers(directory)
    if still:
        pids = " ".join(item.rsplit(" ", 1)[1].strip(")") for item in still)
        raise DemoError(
            f"a demo started earlier in {directory} is still running: {', '.join(still)}. "
            f"Stop it first (kill {pids}), or choose another --dir"
        )
    if directory.exists() and any(directory.iterdir()):
        if not (directory / MARKER).exists():
            raise DemoError(f"{directory} is not empty and not a demo directory; choose another")
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    (directory / MARKER).write_text("made by fablab-demo; wiped at its next start\n")
    (directory / "logs").mkdir()


def _station_config(
    directory: Path, name: str, hub_url: str, token: str, machine: str, screen_port: int
) -> Path:
    folder = directory / "stations" / name
    folder.mkdir(parents=True)
    config = folder / "station.toml"
    config.write_text(
        f'[hub]\nurl = "{hub_url}"\ntoken = "{token}"\ntimeout_seconds = 3\n\n'
        '[station]\ndata_dir = "data"\nheartbeat_seconds = 5\n'
        "supervisor_window_seconds = 60\nwarning_minutes = 1\n\n"
        f'[reader]\nkind = "stdin"\n\n[machine]\n{machine}\n[feedback]\n{FEEDBACK}\n'
        f"[screen]\nport = {screen_port}\n",
        encoding="utf-8",
    )
    return config


class DemoFablab:
    """Starts the processes in order and stops them in the reverse order, within 10 seconds."""

    def __init__(
        self, directory: Path, hub_port: int, octoprint_port: int, screen_port: int, say
    ) -> None:
        """Stations' screens on `screen_port` and the ports after it, one per station."""
        self.directory = directory.resolve()
        self.hub_url = f"http://127.0.0.1:{hub_port}"
        self.hub_port, self.octoprint_port = hub_port, octoprint_port
        self.screen_ports = [screen_port + n for n in range(3)]
        self.screens: dict[str, str] = {}  # station: the address of its screen
        self.say = say
        self.children: dict[str, Child] = {}
        self.stations: list[str] = []
        self.relays: set[str] = set()  # the stations driving a relay
        # Their simulated pins' panels (machines.mock_panel), in a short path: a UNIX
        # socket's name is at most 107 bytes.
        self.panels = Path(tempfile.mkdtemp(prefix="fablab-demo-"))
        self.busy_pins: dict[str, int] = {}
        self.working: set[str] = set()
        self.octoprint = None
        self.data: dict = {}

    # --- start ---------------------------------------------------------------------------------

    def start(self, show: Show) -> None:
        ports = [(self.hub_port, "--hub-port"), (self.octoprint_port, "--octoprint-port")]
        ports += [(port, "--screen-port") for port in self.screen_ports]
        for port, option in ports:
            _port_free(port, option)
        _prepare(self.directory)
        self.say("Starting the hub with the demo data…")
        _hub_command(self.directory, "init", "--demo")
        self.data = json.loads(_hub_command(self.directory, "demo-data", "--json"))
        # Credentials name their issuer from these: the demo's hub, as this machine reaches it.
        _hub_command(self.directory, "settings", "set", "public_url", self.hub_url)
        _hub_command(self.directory, "settings", "set", "fablab_name", "Fablab de la Ville (démo)")
        database = str(self.directory / "hub.db")
        hub = self._add("hub", [str(BIN / "fablab-hub"), "--db", database, "serve",
                                "--host", "127.0.0.1", "--port", str(self.hub_port)])  # fmt: skip
        hub.follow(lambda *_: None)
        try:
            wait_for_http(f"{self.hub_url}/api/v1/openapi.json", hub.process, "the hub")
        except (RuntimeError, TimeoutError) as problem:
            raise DemoError(str(problem)) from None

        machines = dict(RELAY_MACHINES)
        printer = self._start_octoprint()
        if printer:
            machines["printer"] = printer
        for entry in self.data["machines"]:
            if entry["kind"] not in machines:
                continue
            port = self.screen_ports[len(self.stations)]
            machine = machines[entry["kind"]]
            if entry["kind"] in BUSY_PINS:
                machine += f'panel = "{self.panels / entry["name"]}.sock"\n'
                self.busy_pins[entry["name"]] = BUSY_PINS[entry["kind"]]
            config = _station_config(self.directory, entry["name"], self.hub_url,
                                     self.data["tokens"][entry["name"]], machine,
                                     port)  # fmt: skip
            self.screens[entry["name"]] = f"http://127.0.0.1:{port}/"
            command = [str(BIN / "fablab-kiosk"), "--config", str(config), "run"]
            child = self._add(entry["name"], command, stdin=True)
            self.stations.append(entry["name"])
            if entry["kind"] in RELAY_MACHINES:
                self.relays.add(entry["name"])
            child.follow(show)
        self.say("Waiting for the stations to fetch their access lists…")
        for name in self.stations:
            self._wait_for_log(name, "access list ")

    def _add(self, name: str, command: list[str], stdin: bool = False) -> Child:
        child = self.children[name] = _spawn(name, command, self.directory, stdin)
        self._write_pids()
        return child

    def _write_pids(self) -> None:
        processes = [(name, child.process.pid) for name, child in self.children.items()]
        if self.octoprint and self.octoprint.process:
            processes.append(("OctoPrint", self.octoprint.process.pid))
        (self.directory / PIDS).write_text(json.dumps(
            [{"name": name, "pid": pid, "started": start_time(pid)} for name, pid in processes]
        ))  # fmt: skip

    def _start_octoprint(self) -> str | None:
        from demo.octoprint import OctoPrintServer, slow_gcode

        self.say("Starting OctoPrint with its Virtual Printer…")
        try:
            server = OctoPrintServer(self.directory / "octoprint", self.octoprint_port,
                                     login=("demo", "fablab-demo"))  # fmt: skip
        except (RuntimeError, OSError, subprocess.SubprocessError) as problem:
            self.say(f"  OctoPrint is not installed here ({problem}): no printer station.")
            return None
        self.octoprint = server  # from here on, stop() stops it, even after a Ctrl-C
        try:
            server.start()
            self._write_pids()
            server.connect_printer()
            server.upload("porte-cles.gcode", slow_gcode(45))
        except (RuntimeError, TimeoutError, OSError, requests.RequestException) as problem:
            self.say(f"  OctoPrint could not start ({problem}): no printer station.")
            server.stop()
            self.octoprint = None
            return None
        return f'kind = "printer"\nurl = "{server.url}"\napi_key = "{server.api_key}"\n'

    def _wait_for_log(self, name: str, text: str, timeout: float = 30) -> None:
        path = self.directory / "logs" / f"{name}.log"
        deadline = time.monotonic() + timeout
        while text not in path.read_text(encoding="utf-8"):
            if self.children[name].process.poll() is not None:
                raise DemoError(f"the {name} station stopped; see {path}")
            if time.monotonic() > deadline:
                raise DemoError(f"the {name} station did not get its access list; see {path}")
            time.sleep(0.1)

    def tap(self, station: str, uid: str) -> None:
        stdin = self.children[station].process.stdin
        stdin.write(uid + "\n")
        stdin.flush()

    def work(self, station: str) -> str:
        """Make the station's machine work (the laser's beam, the sewing motor), or rest
        again: what the station sees through its busy input. Its new state, in words."""
        from common.panel import ask

        if station not in self.busy_pins:
            return "this machine has no busy input"
        on = station not in self.working
        answer = ask(self.panels / f"{station}.sock",
                     f"drive {self.busy_pins[station]} {'high' if on else 'low'}")  # fmt: skip
        if answer != "ok":
            return answer
        (self.working.add if on else self.working.discard)(station)
        return "working" if on else "resting"

    # --- stop ----------------------------------------------------------------------------------

    def stop(self) -> int:
        """Stations first (sessions closed, relays off, events handed over), then the hub and
        OctoPrint; all of them together within 10 seconds. The worst station exit code."""
        say, worst = self.say, 0
        if not self.children and not self.octoprint:
            return 0  # nothing was started (a port in use, a leftover...)
        say("Stopping…")
        stations = [self.children[name] for name in self.stations]
        codes = stop_all([child.process for child in stations], STATIONS_STOP_SECONDS)
        for name, child, code in zip(self.stations, stations, codes, strict=True):
            child.finish()
            worst = max(worst, code)
            outcome = "stopped, machine locked" if code == 0 else f"exit code {code}"
            if code == 0 and name in self.relays:
                outcome = "stopped, relay off"
            say(f"  {name} station (pid {child.process.pid}): {outcome}")
        servers = [("hub", self.children["hub"].process)] if "hub" in self.children else []
        if self.octoprint and self.octoprint.process:
            servers.append(("OctoPrint", self.octoprint.process))
        stop_all([process for _, process in servers], SERVERS_STOP_SECONDS)
        if "hub" in self.children:
            self.children["hub"].finish()
        for name, process in servers:
            say(f"  {name} (pid {process.pid}): stopped")
        shutil.rmtree(self.panels, ignore_errors=True)
        if self.octoprint:
            self.octoprint.process = None
        if (self.directory / MARKER).exists():
            (self.directory / PIDS).unlink(missing_ok=True)
            say(f"Everything the demo wrote is in {self.directory} (logs in logs/).")
        return worst
