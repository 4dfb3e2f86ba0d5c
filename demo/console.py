"""`fablab-demo`: the whole fablab on one machine, driven from one terminal.

It runs what a real fablab runs, as separate processes (`demo.fablab`): the hub
with the demo data, a real OctoPrint with its Virtual Printer, and three stations.
Each station reads its badge taps from its standard input, which this console
feeds: pick a station, tap a demo badge (or type any UID), and see what the
resident would see: the decision, the lights, the buzzer, the session. Ctrl-C
(or a closed terminal, or SIGTERM) stops the stations first (each closes its
session and drives its relay off), then the hub and OctoPrint, within 10 seconds.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sys
import threading
from pathlib import Path
from typing import TextIO

import click
import requests

from demo.fablab import DemoFablab

LETTERS = "abcdefghijklmnopqrstuvwxyz"
# What the console shows of a station's log (everything goes to its log file).
SHOWN = re.compile(
    r"(decision |machine (un)?locked|machine working|machine resting|touch |handover "
    r"|lights |buzzer |fault |interrupted|station ready"
    r"|print job |session over|WARNING|ERROR|reader)"
)
LOG_LINE = re.compile(r"^\S+ \S+ [A-Z]+ [\w.]+: (?P<message>.*)$")  # time level logger:
LIGHTS = {"green": ("vert", "32"), "red": ("rouge", "31"), "amber": ("orange", "33")}


class Console:
    """Prints lines from several threads without tearing them."""

    def __init__(self, out: TextIO = sys.stdout) -> None:
        self.out = out
        self.colour = out.isatty() and os.environ.get("NO_COLOR") is None
        self.lock = threading.Lock()

    def say(self, text: str = "") -> None:
        # A closed terminal (OSError) does not stop the stop.
        with self.lock, contextlib.suppress(OSError):
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


class Demo:
    """The console: what the newcomer types and reads, over the demo's processes."""

    def __init__(
        self, directory: Path, hub_port: int, octoprint_port: int, screen_port: int = 8010
    ) -> None:
        self.console = Console()
        self.fablab = DemoFablab(directory, hub_port, octoprint_port, screen_port, self.console.say)

    @property
    def stations(self) -> list[str]:
        return self.fablab.stations

    def start(self) -> None:
        self.fablab.start(self.console.station_line)

    def stop(self) -> int:
        return self.fablab.stop()

    def banner(self) -> None:
        say, login = self.console.say, self.fablab.data["facilitator"]
        say()
        say("The demo fablab is running. Open in a browser:")
        say(f"  facilitator pages  {self.fablab.hub_url}/   (log in: {login['name']} / "
            f"{login['password']})")  # fmt: skip
        say(f"  wall screen        {self.fablab.hub_url}/tableau")
        if self.fablab.octoprint:
            say(f"  OctoPrint          {self.fablab.octoprint.url}/   (log in: demo / fablab-demo)")
        say("Stations, and the screen each resident reads at the machine (open it in a browser):")
        for number, name in enumerate(self.stations, 1):
            say(f"  {number}  {name:<14} screen {self.fablab.screens[name]}")
        say("Badges:")
        for letter, person in zip(LETTERS, self.fablab.data["people"], strict=False):
            say(f"  {letter}  {person['name']:<14} {person['uid']:<16} {person['note']}")
        self.help()

    def help(self) -> None:
        say = self.console.say
        say("Type a station and a badge to tap it there: `1 a` (Amina on the laser).")
        say("A station alone switches to it; then a badge letter or any UID taps there.")
        say("Residents read the station's screen; the lines below are what it says.")
        say("`w` makes the current station's machine work (a laser cutting), `w` again rests it:")
        say("  while it works, another badge cannot take it over.")
        if self.fablab.octoprint:
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
            if words[0] == "w":
                self.console.say(f"[{current}] machine {self.fablab.work(current)}")
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
        people = self.fablab.data["people"]
        if len(word) == 1 and word in LETTERS[: len(people)]:
            return people[LETTERS.index(word)]["uid"]
        return word if re.fullmatch(r"[0-9A-Fa-f:]{8,29}", word) else None

    def _tap(self, station: str, uid: str) -> None:
        people = self.fablab.data["people"]
        owner = next((p["name"] for p in people if p["uid"] == uid), "unknown card")
        self.console.say(f"[{station}] tap: {uid} ({owner})")
        self.fablab.tap(station, uid)

    def _print_from_octoprint(self) -> None:
        if not self.fablab.octoprint:
            self.console.say("No OctoPrint in this demo.")
            return
        try:
            self.fablab.octoprint.print_file("porte-cles.gcode")
            self.console.say("OctoPrint: print of porte-cles.gcode started (about 45 s).")
        except requests.RequestException as problem:
            self.console.say(f"OctoPrint refused the print: {problem}")


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
@click.option(
    "--screen-port",
    type=int,
    default=8010,
    show_default=True,
    help="The first station's screen; the others take the next ports.",
)
def main(directory: Path, hub_port: int, octoprint_port: int, screen_port: int) -> None:
    """Run the demo fablab: hub, OctoPrint and three stations, with a console to tap badges."""
    demo = Demo(directory, hub_port, octoprint_port, screen_port)

    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt

    # SIGTERM, and SIGHUP when the terminal closes, stop everything like Ctrl-C. Ctrl-C itself
    # may arrive ignored (a background job, a test harness): the demo still wants it.
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, interrupted)
    code = 0
    try:
        demo.start()
        demo.banner()
        demo.run_console(sys.stdin)
    except KeyboardInterrupt:
        demo.console.say()
    finally:
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(number, signal.SIG_IGN)  # a second Ctrl-C must not cut the stop
        code = demo.stop()
    sys.exit(code)
