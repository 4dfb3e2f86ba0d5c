"""Real processes for tests: the hub served by waitress on a free loopback port."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from demo.octoprint import free_port
from demo.processes import stop_process, wait_for_http

BIN = Path(sys.executable).parent


def fablab_hub(db_path: Path | str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run the installed `fablab-hub` command as an installer would."""
    return subprocess.run(
        [str(BIN / "fablab-hub"), "--db", str(db_path), *args],
        capture_output=True,
        text=True,
        check=check,
        timeout=60,
    )


class HubProcess:
    """`fablab-hub serve` in a subprocess on a loopback port, which survives restarts."""

    def __init__(
        self,
        db_path: Path | str,
        log_path: Path,
        port: int | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.db_path, self.log_path, self.env = db_path, log_path, env or {}
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> HubProcess:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [str(BIN / "fablab-hub"), "--db", str(self.db_path), "serve",
                 "--port", str(self.port)],
                stdout=log, stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1", **self.env},
            )  # fmt: skip
        wait_for_http(f"{self.url}/api/v1/openapi.json", self.process, "the hub")
        return self

    def __enter__(self) -> HubProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def kill(self) -> None:
        """Like a power cut for the hub's process: no chance to finish anything."""
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, timeout=10)


@contextmanager
def served_hub(db_path: Path | str, log_path: Path, port: int | None = None) -> Iterator[str]:
    """Serve the hub in a subprocess; yield its base URL; stop it with SIGTERM."""
    with HubProcess(db_path, log_path, port) as hub:
        yield hub.url
