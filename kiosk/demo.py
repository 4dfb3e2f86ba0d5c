"""`fablab-demo`: the whole fablab on one machine, driven from one terminal.

It runs what a real fablab runs, as separate processes: the hub (`fablab-hub
serve`) with the demo data, a real OctoPrint with its Virtual Printer, and three
`fablab-kiosk run` stations: the laser and the sewing station on simulated relay
pins, the 3D printer through OctoPrint. Each station reads its badge taps from
its standard input, which this console feeds: pick a station, tap a demo badge
(or type any UID), and see what the resident would see: the decision, the
lights, the buzzer, the session. Ctrl-C stops the stations first (each closes its
session and drives its relay off), then the hub, then OctoPrint.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import click
import requests

from machines.subprocesses import stop_process, wait_for_http

BIN = Path(sys.executable).parent
MARKER = ".fablab-demo"
LETTERS = "abcdefghijklmnopqrstuvwxyz"
FEEDBACK = 'green_pin = 5\nred_pin = 6\namber_pin = 13\nbuzzer_pin = 19\npin_factory = "mock"\n'
RELAY_MACHINES = {  # the stations on simulated relay pins, by kind
    "laser": 'kind = "laser"\npin = 17\nbeam_pin = 27\npin_factory = "mock"\n',
    "sewing": 'kind = "sewing"\npin = 22\nmotor_pin = 23\npin_factory = "mock"\n',
}
# What the console shows of a station's log (everything goes to its log file).
SHOWN = re.compile(
    r"(decision |machine (un)?locked|lights |buzzer |fault |interrupted|station ready"
    r"|print job |session over|WARNING|ERROR|reader)"
)
LOG_LINE = re.compile(r"^\S+ \S+ [A-Z]+ [\w.]+: (?P<message>.*)$")  # time level logger:
LIGHTS = {"green": ("vert", "32"), "red": ("rouge", "31"), "amber": ("orange", "33")}


class DemoError(click.ClickException):
    """The demo cannot start; the message says what to do."""


@dataclass
class Child:
    """One process of the demo, with its output copied to a log file and shown by `show`."""

    name: str
    process: subprocess.Popen
    log: TextIO
    threads: list[threading.Thread] = field(default_factory=list)

    def follow(self, show) -> None:
        for stream in (self.process.stdout, self.process.stderr):
            if stream is None:
                continue
            thread = threading.Thread(target=self._copy, args=(stream, show), daemon=True)
            thread.start()
            self.threads.append(thread)

    def _copy(self, stream: TextIO, show) -> None:
        for line in stream:
            self.log.write(line)
            self.log.flush()
            show(self.name, line.rstrip("\n"), stream is self.process.stdout)

    def stop(self) -> int:
        code = stop_process(self.process)
        for thread in self.threads:
            thread.join(timeout=2)
        self.log.close()
        return code


class Console:
    """Prints lines from several threads without tearing them."""

    def __init__(self, out: TextIO = sys.stdout) -> None:
        self.out = out
        self.colour = out.isatty() and os.environ.get("NO_COLOR") is None
        self.lock = threading.Lock()

    def say(self, text: str = "") -> None:
        with self.lock:
            print(text, file=self.out, flush=True)

    def paint(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.colour else text

    def station_line(self, station: str, line: str, is_display: bool) -> None:
        """A station's screen line as the resident reads it; its log lines, when telling."""
        if is_display:
            self.say(f"[{station}] {self.paint(line, '1')}")
            return
        match = LOG_LINE.match(line)
        message = match["message"] if match else line
        if not SHOWN.search(line):
            return
        if message.startswith("lights "):
            message = "voyants: " + "  ".join(self._light(part) for part in message[7:].split())
        elif message.startswith("buzzer "):
            message = "bip " * int(message.split()[1])
        self.say(f"[{station}]   {message}")

    def _light(self, part: str) -> str:
        name, _, pattern = part.partition("=")
        french, code = LIGHTS.get(name, (name, "0"))
        if pattern == "off":
            return f"○ {french}"
        symbol = "●" if pattern == "on" else "◐ (clignote)"
        return self.paint(f"{symbol} {french}", code)


def _prepare(directory: Path) -> None:
    """An empty demo directory: earlier demo state is wiped, anything else is left alone."""
    if directory.exists() and any(directory.iterdir()):
        if not (directory / MARKER).exists():
            raise DemoError(f"{directory} is not empty and not a demo directory; choose another")
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    (directory / MARKER).write_text("made by fablab-demo; wiped at its next start\n")
    (directory / "logs").mkdir()


def _hub_command(directory: Path, *args: str) -> str:
    result = subprocess.run(
        [str(BIN / "fablab-hub"), "--db", str(directory / "hub.db"), *args],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    if result.returncode:
        raise DemoError(f"fablab-hub {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def _wait_for(url: str, process: subprocess.Popen, what: str) -> None:
    try:
        wait_for_http(url, process, what)
    except (RuntimeError, TimeoutError) as problem:
        raise DemoError(str(problem)) from None


def _port_free(port: int, option: str) -> None:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            message = f"port {port} is in use (another demo?); choose another with {option}"
            raise DemoError(message) from None


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
    )
    return Child(name, process, log)


def _station_config(directory: Path, name: str, hub_url: str, token: str, machine: str) -> Path:
    folder = directory / "stations" / name
    folder.mkdir(parents=True)
    config = folder / "station.toml"
    config.write_text(
        f'[hub]\nurl = "{hub_url}"\ntoken = "{token}"\ntimeout_seconds = 3\n\n'
        '[station]\ndata_dir = "data"\nheartbeat_seconds = 5\n'
        "supervisor_window_seconds = 60\nwarning_minutes = 1\n\n"
        f'[reader]\nkind = "stdin"\n\n[machine]\n{machine}\n[feedback]\n{FEEDBACK}',
        encoding="utf-8",
    )
    return config


class Demo:
    def __init__(self, directory: Path, hub_port: int, octoprint_port: int) -> None:
        self.directory = directory.resolve()
        self.hub_url = f"http://127.0.0.1:{hub_port}"
        self.hub_port = hub_port
        self.octoprint_port = octoprint_port
        self.console = Console()
        self.children: dict[str, Child] = {}
        self.stations: list[str] = []
        self.relays: set[str] = set()  # the stations driving a relay
        self.octoprint = None
        self.data: dict = {}

    # --- start ---------------------------------------------------------------------------------

    def start(self) -> None:
        for port, option in ((self.hub_port, "--hub-port"),
                             (self.octoprint_port, "--octoprint-port")):  # fmt: skip
            _port_free(port, option)
        _prepare(self.directory)
        say = self.console.say
        say("Starting the hub with the demo data…")
        _hub_command(self.directory, "init")
        self.data = json.loads(_hub_command(self.directory, "demo-data", "--json"))
        hub = _spawn("hub", [str(BIN / "fablab-hub"), "--db", str(self.directory / "hub.db"),
                             "serve", "--host", "127.0.0.1", "--port", str(self.hub_port)],
                     self.directory)  # fmt: skip
        self.children["hub"] = hub
        hub.follow(lambda *_: None)
        _wait_for(f"{self.hub_url}/api/v1/openapi.json", hub.process, "the hub")

        machines = dict(RELAY_MACHINES)
        printer = self._start_octoprint()
        if printer:
            machines["printer"] = printer
        for entry in self.data["machines"]:
            if entry["kind"] not in machines:
                continue
            config = _station_config(self.directory, entry["name"], self.hub_url,
                                     self.data["tokens"][entry["name"]],
                                     machines[entry["kind"]])  # fmt: skip
            child = _spawn(entry["name"], [str(BIN / "fablab-kiosk"), "--config", str(config),
                                           "run"], self.directory, stdin=True)  # fmt: skip
            self.children[entry["name"]] = child
            self.stations.append(entry["name"])
            if entry["kind"] in RELAY_MACHINES:
                self.relays.add(entry["name"])
            child.follow(self.console.station_line)
        say("Waiting for the stations to fetch their access lists…")
        for name in self.stations:
            self._wait_for_log(name, "access list ")

    def _start_octoprint(self) -> str | None:
        from machines.octoprint_sandbox import OctoPrintServer, slow_gcode

        self.console.say("Starting OctoPrint with its Virtual Printer…")
        try:
            server = OctoPrintServer(self.directory / "octoprint", self.octoprint_port,
                                     login=("demo", "fablab-demo"))  # fmt: skip
        except (RuntimeError, OSError, subprocess.SubprocessError) as problem:
            self.console.say(f"  OctoPrint is not installed here ({problem}): no printer station.")
            return None
        self.octoprint = server  # from here on, stop() stops it, even after a Ctrl-C
        try:
            server.start()
            server.connect_printer()
            server.upload("porte-cles.gcode", slow_gcode(45))
        except (RuntimeError, TimeoutError, OSError, requests.RequestException) as problem:
            self.console.say(f"  OctoPrint could not start ({problem}): no printer station.")
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

    # --- the console ---------------------------------------------------------------------------

    def banner(self) -> None:
        say, login = self.console.say, self.data["facilitator"]
        say()
        say("The demo fablab is running. Open in a browser:")
        say(f"  facilitator pages  {self.hub_url}/   (log in: {login['name']} / "
            f"{login['password']})")  # fmt: skip
        say(f"  wall screen        {self.hub_url}/tableau")
        if self.octoprint:
            say(f"  OctoPrint          {self.octoprint.url}/   (log in: demo / fablab-demo)")
        say("Stations:")
        for number, name in enumerate(self.stations, 1):
            say(f"  {number}  {name}")
        say("Badges:")
        for letter, person in zip(LETTERS, self.data["people"], strict=False):
            say(f"  {letter}  {person['name']:<14} {person['uid']:<16} {person['note']}")
        self.help()

    def help(self) -> None:
        say = self.console.say
        say("Type a station and a badge to tap it there: `1 a` (Amina on the laser).")
        say("A station alone switches to it; then a badge letter or any UID taps there.")
        if self.octoprint:
            say("`p` starts a print from OctoPrint's side (unlock the printer first).")
        say("`?` shows this again; `q` or Ctrl-C stops everything (relays off).")

    def run_console(self, lines: TextIO) -> None:
        current = self.stations[0]
        while True:
            if lines.isatty():
                self.console.out.write(f"[{current}] > ")
                self.console.out.flush()
            line = lines.readline()
            if not line:
                return
            words = line.split()
            if not words:
                continue
            if words[0] in ("q", "quit", "exit"):
                return
            if words[0] in ("?", "h", "help"):
                self.help()
                continue
            if words[0] == "p":
                self._print_from_octoprint()
                continue
            station = self._station(words[0])
            if station:
                current, words = station, words[1:]
                if not words:
                    self.console.say(f"Now tapping on the {current} station.")
                    continue
            uid = self._badge(words[0])
            if uid is None:
                self.console.say(f"Not a station, a badge letter or a UID: {words[0]!r} (? helps)")
                continue
            self._tap(current, uid)

    def _station(self, word: str) -> str | None:
        if word.isdigit() and 1 <= int(word) <= len(self.stations):
            return self.stations[int(word) - 1]
        return word if word in self.stations else None

    def _badge(self, word: str) -> str | None:
        people = self.data["people"]
        if len(word) == 1 and word in LETTERS[: len(people)]:
            return people[LETTERS.index(word)]["uid"]
        return word if re.fullmatch(r"[0-9A-Fa-f:]{8,29}", word) else None

    def _tap(self, station: str, uid: str) -> None:
        owner = next((p["name"] for p in self.data["people"] if p["uid"] == uid), "unknown card")
        self.console.say(f"[{station}] tap: {uid} ({owner})")
        stdin = self.children[station].process.stdin
        stdin.write(uid + "\n")
        stdin.flush()

    def _print_from_octoprint(self) -> None:
        if not self.octoprint:
            self.console.say("No OctoPrint in this demo.")
            return
        try:
            self.octoprint.print_file("porte-cles.gcode")
            self.console.say("OctoPrint: print of porte-cles.gcode started (about 45 s).")
        except requests.RequestException as problem:
            self.console.say(f"OctoPrint refused the print: {problem}")

    # --- stop ----------------------------------------------------------------------------------

    def stop(self) -> int:
        """Stations first (sessions closed, relays off, events handed over), then the hub."""
        say, worst = self.console.say, 0
        say("Stopping…")
        for name in self.stations:
            child = self.children[name]
            code = child.stop()
            worst = max(worst, code)
            outcome = "stopped, machine locked" if code == 0 else f"exit code {code}"
            if code == 0 and name in self.relays:
                outcome = "stopped, relay off"
            say(f"  {name} station (pid {child.process.pid}): {outcome}")
        if "hub" in self.children:
            hub = self.children["hub"]
            hub.stop()
            say(f"  hub (pid {hub.process.pid}): stopped")
        if self.octoprint:
            pid = self.octoprint.process.pid if self.octoprint.process else "-"
            self.octoprint.stop()
            say(f"  OctoPrint (pid {pid}): stopped")
        if (self.directory / MARKER).exists():
            say(f"Everything the demo wrote is in {self.directory} (logs in logs/).")
        return worst


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo-data"),
    show_default=True,
    help="Where the demo keeps its hub, stations and logs (wiped at start).",
)
@click.option("--hub-port", type=int, default=5000, show_default=True)
@click.option("--octoprint-port", type=int, default=5001, show_default=True)
def main(directory: Path, hub_port: int, octoprint_port: int) -> None:  # fmt: skip
    """Run the demo fablab: hub, OctoPrint and three stations, with a console to tap badges."""
    demo = Demo(directory, hub_port, octoprint_port)

    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    code = 0
    try:
        demo.start()
        demo.banner()
        demo.run_console(sys.stdin)
    except KeyboardInterrupt:
        demo.console.say()
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the stop
        code = demo.stop()
    sys.exit(code)
