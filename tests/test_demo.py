"""`make demo`'s console (`fablab-demo`): hub, OctoPrint and three stations as real processes."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import signal
import socket
import sqlite3
import subprocess
import threading
import time

import pytest
import requests

from demo.processes import alive, start_time
from tests.servers import BIN, free_port
from tests.stations import wait_until


def free_ports(count: int = 3) -> int:
    """The first of `count` consecutive free loopback ports (the demo's stations' screens)."""
    while True:
        first = free_port()
        try:
            for port in range(first + 1, first + count):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue


class DemoProcess:
    def __init__(self, directory, hub_port: int, octoprint_port: int) -> None:
        self.directory, self.hub = directory, f"http://127.0.0.1:{hub_port}"
        self.screen_port = free_ports(3)
        self.process = subprocess.Popen(
            [str(BIN / "fablab-demo"), "--dir", str(directory), "--hub-port", str(hub_port),
             "--octoprint-port", str(octoprint_port), "--screen-port", str(self.screen_port)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, bufsize=1, env={**os.environ, "NO_COLOR": "1"},
            start_new_session=True,  # its own process group, killed whole if a test fails
        )  # fmt: skip
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        self._reader = threading.Thread(target=self._collect, daemon=True)
        self._reader.start()

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)  # its children die with it
        self.process.wait()
        self._reader.join(timeout=10)  # it has read to the end of the output
        self.process.stdin.close()
        self.process.stdout.close()

    def _collect(self) -> None:
        for line in self.process.stdout:
            self.output.append(line)
            self.lines.put(line)

    def expect(self, pattern: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                break
            if re.search(pattern, line):
                return line
        raise AssertionError(f"no line like {pattern!r} in:\n{''.join(self.output[-40:])}")

    def wall_shows(self, pattern: str, timeout: float = 15) -> None:
        """The entrance screen (the hub's page) shows `pattern` once the station has reported."""
        deadline = time.monotonic() + timeout
        while not re.search(pattern, page := requests.get(f"{self.hub}/tableau", timeout=5).text):
            if time.monotonic() > deadline:
                raise AssertionError(f"the wall screen never showed {pattern!r}:\n{page}")
            time.sleep(0.1)

    def type(self, line: str) -> None:
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()


@pytest.fixture
def demo(tmp_path):
    running = DemoProcess(tmp_path / "demo", free_port(), free_port())
    yield running
    running.close()


def test_the_demo_shows_the_whole_flow_and_ctrl_c_stops_everything(demo):
    demo.expect(r"The demo fablab is running", timeout=120)
    demo.expect(r"`\?` shows this again")

    demo.type("1 a")  # Amina, laser referent, taps the laser
    demo.expect(r"\[laser\]   decision granted")
    demo.expect(r"\[laser\]   machine unlocked for session")
    demo.expect(r"\[laser\] » Bonjour Amina")
    # The laser's screen, which the banner named, shows what Amina reads at the machine.
    assert re.search(
        rf"1  laser +screen http://127.0.0.1:{demo.screen_port}/", "".join(demo.output)
    )
    view = requests.get(f"http://127.0.0.1:{demo.screen_port}/view.json", timeout=5).json()
    assert (view["after"]["code"], view["after"]["title"]) == ("granted", "Bonjour Amina !")
    demo.wall_shows(r"Laser Trotec</span>\s*<span class=\"state\">Occupée")
    demo.type("w")  # the laser cuts (its simulated beam input goes high), then rests
    demo.expect(r"\[laser\] machine working")
    demo.expect(r"\[laser\]   machine working")  # the station saw it
    demo.type("w")
    demo.expect(r"\[laser\]   machine resting")

    demo.type("2")  # switch to the sewing station, then Karim (laser only) taps there
    demo.expect(r"Now tapping on the couture station")
    demo.type("b")
    demo.expect(r"\[couture\]   decision denied:unknown_badge")  # not trained: not listed
    demo.expect(r"\[couture\]   voyants: ○ vert  ◐ \(clignote\) rouge")
    demo.expect(r"\[couture\] » Pas pour cette machine\. Ce badge n'ouvre pas cette machine\.")

    demo.type("3 d")  # Fatou unlocks the printer through OctoPrint, then prints from its page
    demo.expect(r"\[imprimante-3d\]   machine unlocked", timeout=30)
    demo.type("p")
    demo.expect(r"\[imprimante-3d\]   print job started", timeout=30)

    demo.type("zz")
    demo.expect(r"Not a station, a badge letter or a UID")

    demo.process.send_signal(signal.SIGINT)  # Ctrl-C
    assert demo.process.wait(timeout=60) == 0
    summary = "".join(demo.output)
    pids = [int(pid) for pid in re.findall(r"\(pid (\d+)\)", summary)]
    assert re.search(r"laser station \(pid \d+\): stopped, relay off", summary)
    assert re.search(r"couture station \(pid \d+\): stopped, relay off", summary)
    assert re.search(r"imprimante-3d station \(pid \d+\): stopped, machine locked", summary)
    assert len(pids) == 5  # three stations, the hub, OctoPrint
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{demo.hub}/tableau", timeout=2)

    # The hub kept what happened: Amina's laser session closed by the stop, Karim's refusal.
    hub = sqlite3.connect(demo.directory / "hub.db")
    sessions = dict(
        hub.execute(
            "SELECT m.name, s.end_reason FROM sessions s JOIN machines m ON m.id = s.machine_id"
        ).fetchall()
    )
    assert sessions["laser"] == "shutdown"
    refusals = hub.execute(
        "SELECT count(*) FROM events WHERE type IN ('denied', 'unknown_badge')"
    ).fetchone()[0]
    assert refusals == 1


def test_a_port_in_use_is_named_before_anything_starts(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [str(BIN / "fablab-demo"), "--dir", str(tmp_path / "demo"), "--hub-port", str(port),
             "--octoprint-port", str(free_port()), "--screen-port", str(free_ports(3))],
            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    assert result.returncode != 0
    assert f"port {port} is in use" in result.stderr and "--hub-port" in result.stderr
    assert not (tmp_path / "demo").exists()


def test_the_demo_leaves_a_directory_it_did_not_make_alone(tmp_path):
    (tmp_path / "precious.txt").write_text("not a demo")
    result = subprocess.run(
        [str(BIN / "fablab-demo"), "--dir", str(tmp_path), "--hub-port", str(free_port()),
         "--octoprint-port", str(free_port()), "--screen-port", str(free_ports(3))],
        capture_output=True, text=True,
        timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode != 0
    assert "not a demo directory" in result.stderr
    assert (tmp_path / "precious.txt").read_text() == "not a demo"


def test_ctrl_c_while_the_demo_starts_leaves_nothing_running(tmp_path):
    hub_port, octoprint_port = free_port(), free_port()
    demo = DemoProcess(tmp_path / "demo", hub_port, octoprint_port)
    try:
        demo.expect(r"Starting OctoPrint", timeout=60)
        demo.process.send_signal(signal.SIGINT)
        assert demo.process.wait(timeout=60) == 0
    finally:
        demo.close()
    summary = "".join(demo.output)
    assert re.search(r"hub \(pid \d+\): stopped", summary)
    for port in (hub_port, octoprint_port):
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{port}/", timeout=2)


def _recorded_children(directory) -> list[dict]:
    recorded = json.loads((directory / "pids.json").read_text())
    assert {entry["name"] for entry in recorded} >= {"hub", "laser", "couture", "OctoPrint"}
    assert all(alive(entry["pid"], entry["started"]) for entry in recorded)
    return recorded


def _none_alive(recorded: list[dict], directory=None, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while still := [e for e in recorded if alive(e["pid"], e["started"])]:
        if time.monotonic() > deadline:
            pytest.fail(f"still running after the demo died: {[e['name'] for e in still]}"
                        + _where_stuck(still, directory))  # fmt: skip
        time.sleep(0.1)


def _where_stuck(stuck: list[dict], directory) -> str:
    """Each stuck station's threads (it dumps them on SIGUSR1) and the end of its log."""
    if directory is None:
        return ""
    told = []
    for entry in stuck:
        log = directory / "logs" / f"{entry['name']}.log"
        before = log.stat().st_size if log.exists() else 0
        with contextlib.suppress(ProcessLookupError):
            os.kill(entry["pid"], signal.SIGUSR1)
        with contextlib.suppress(AssertionError):
            wait_until(
                lambda log=log, before=before: log.exists() and log.stat().st_size > before,
                timeout=5,
            )
        tail = log.read_text(errors="replace")[-4000:] if log.exists() else "(no log)"
        told.append(f"\n--- {entry['name']} ---\n{tail}")
    return "".join(told)


@pytest.mark.slow
def test_killing_the_demo_with_sigkill_leaves_no_process_behind(demo):
    demo.expect(r"The demo fablab is running", timeout=120)
    recorded = _recorded_children(demo.directory)
    demo.process.kill()  # no handler runs: only the children's parent-death signal
    demo.process.wait(timeout=10)
    _none_alive(recorded, demo.directory)


@pytest.mark.slow
def test_closing_the_terminal_stops_the_demo_cleanly(demo):
    demo.expect(r"The demo fablab is running", timeout=120)
    recorded = _recorded_children(demo.directory)
    demo.process.send_signal(signal.SIGHUP)
    assert demo.process.wait(timeout=30) == 0
    demo.expect(r"laser station \(pid \d+\): stopped, relay off")
    _none_alive(recorded, timeout=5)
    assert not (demo.directory / "pids.json").exists()


def test_a_leftover_from_an_older_demo_is_named_at_start(tmp_path):
    directory = tmp_path / "demo"
    directory.mkdir()
    (directory / ".fablab-demo").write_text("")
    older = subprocess.Popen(["sleep", "60"])
    try:
        (directory / "pids.json").write_text(json.dumps(
            [{"name": "hub", "pid": older.pid, "started": start_time(older.pid)},
             {"name": "laser", "pid": 999_999_999, "started": 1}]  # long gone
        ))  # fmt: skip
        result = subprocess.run(
            [str(BIN / "fablab-demo"), "--dir", str(directory), "--hub-port", str(free_port()),
             "--octoprint-port", str(free_port()), "--screen-port", str(free_ports(3))],
            capture_output=True, text=True,
            timeout=60, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    finally:
        older.kill()
        older.wait()
    assert result.returncode != 0
    assert f"still running: hub (pid {older.pid})" in result.stderr
    assert f"kill {older.pid})" in result.stderr and "laser" not in result.stderr
    assert (directory / "pids.json").exists()  # nothing wiped


def test_a_port_held_by_a_process_names_it(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [str(BIN / "fablab-demo"), "--dir", str(tmp_path / "d"), "--octoprint-port", str(port),
             "--hub-port", str(free_port()), "--screen-port", str(free_ports(3))],
            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    assert f"port {port} is in use by" in result.stderr
    assert f"(pid {os.getpid()})" in result.stderr
