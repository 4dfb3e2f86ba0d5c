"""Real `fablab-kiosk run` processes for tests: stdin reader, laser relay on mock pins."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

KIOSK = str(Path(sys.executable).parent / "fablab-kiosk")


class KioskProcess:
    LASER = 'kind = "laser"\npin = 17\nbeam_pin = 27\npin_factory = "mock"\n'

    def __init__(
        self,
        directory: Path,
        hub_url: str,
        token: str,
        machine: str = LASER,
        reader: str = 'kind = "stdin"\n',
        extra: str = "",
        **station: object,
    ) -> None:
        """`extra`: more TOML sections ([screen], [voice]...)."""
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        options = "\n".join(f"{key} = {value!r}" for key, value in station.items())
        self.config = directory / "station.toml"
        self.config.write_text(
            f'[hub]\nurl = "{hub_url}"\ntoken = "{token}"\ntimeout_seconds = 2\n'
            f'[station]\ndata_dir = "data"\nheartbeat_seconds = 1\n{options}\n'
            f"[reader]\n{reader}[machine]\n{machine}\n{extra}"
        )
        self.process: subprocess.Popen | None = None
        self.lines: queue.Queue[str] = queue.Queue()
        self.log: list[str] = []  # every log line, across restarts
        self.screen: list[str] = []  # what the resident was shown, across restarts

    def start(self, env: dict[str, str] | None = None) -> KioskProcess:
        self.lines = queue.Queue()  # wait_for() looks at this run's lines only
        self.process = subprocess.Popen(
            [KIOSK, "--config", str(self.config), "run"],
            env={**os.environ, **(env or {})},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self._readers = [
            threading.Thread(target=target, args=(self.process,), daemon=True)
            for target in (self._collect, self._watch_screen)
        ]
        for thread in self._readers:
            thread.start()
        return self

    def _collect(self, process: subprocess.Popen) -> None:
        for line in process.stderr:
            self.log.append(line)
            self.lines.put(line)

    def _watch_screen(self, process: subprocess.Popen) -> None:
        for line in process.stdout:
            self.screen.append(line)

    def tap(self, uid: str) -> None:
        self.process.stdin.write(uid + "\n")
        self.process.stdin.flush()

    def wait_for(self, pattern: str, timeout: float = 15.0) -> re.Match:
        """The next log line matching `pattern` (lines before it are skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"no log line like {pattern!r}; log:\n{''.join(self.log[-30:])}"
                )
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if match := re.search(pattern, line):
                return match

    def decide(self, uid: str, timeout: float = 15.0) -> str:
        """Tap and return the decision code the station logged."""
        self.tap(uid)
        return self.wait_for(r"decision (\S+)", timeout).group(1)

    def ready(self, timeout: float = 20.0) -> KioskProcess:
        self.wait_for(r"access list \S+: \d+ badges", timeout)
        return self

    def stop(self) -> int:
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=20)
        finally:
            self._close_pipes()
        return code

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=20)
        self._close_pipes()

    def _close_pipes(self) -> None:
        for thread in self._readers:  # the process is gone: they reach the end of its output
            thread.join(timeout=5)
        for pipe in (self.process.stdin, self.process.stderr, self.process.stdout):
            with contextlib.suppress(OSError):
                pipe.close()


def station(tmp_path, url, fablab, name="laser", **options):
    return KioskProcess(tmp_path / f"kiosk-{name}", url, fablab.tokens[name], **options)


def hub_events(db, kind):
    return [
        json.loads(row["data"])
        for row in db.query("SELECT data FROM events WHERE type = ?", [kind])
    ]


def wait_until(condition, timeout=15.0, what="condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
