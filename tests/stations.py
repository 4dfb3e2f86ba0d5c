"""Real `fablab-kiosk run` processes for tests: stdin reader, laser relay on mock pins."""

from __future__ import annotations

import contextlib
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
        self, directory: Path, hub_url: str, token: str, machine: str = LASER, **station: object
    ) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        options = "\n".join(f"{key} = {value!r}" for key, value in station.items())
        self.config = directory / "station.toml"
        self.config.write_text(
            f'[hub]\nurl = "{hub_url}"\ntoken = "{token}"\ntimeout_seconds = 2\n'
            f'[station]\ndata_dir = "data"\nheartbeat_seconds = 1\n{options}\n'
            f'[reader]\nkind = "stdin"\n[machine]\n{machine}'
        )
        self.process: subprocess.Popen | None = None
        self.lines: queue.Queue[str] = queue.Queue()
        self.log: list[str] = []

    def start(self, env: dict[str, str] | None = None) -> KioskProcess:
        self.process = subprocess.Popen(
            [KIOSK, "--config", str(self.config), "run"],
            env={**os.environ, **(env or {})},
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        threading.Thread(target=self._collect, args=(self.process,), daemon=True).start()
        return self

    def _collect(self, process: subprocess.Popen) -> None:
        for line in process.stderr:
            self.log.append(line)
            self.lines.put(line)

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
        for pipe in (self.process.stdin, self.process.stderr):
            with contextlib.suppress(OSError):
                pipe.close()
