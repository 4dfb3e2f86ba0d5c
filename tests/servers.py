"""Real processes for tests: the hub served by waitress on a free loopback port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fablab_hub(db_path: Path | str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run the installed `fablab-hub` command as an installer would."""
    return subprocess.run(
        [str(BIN / "fablab-hub"), "--db", str(db_path), *args],
        capture_output=True,
        text=True,
        check=check,
        timeout=60,
    )


def wait_until_serving(url: str, process: subprocess.Popen, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the hub exited with {process.returncode}")
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing answered at {url}")


@contextmanager
def served_hub(db_path: Path | str, log_path: Path, port: int | None = None) -> Iterator[str]:
    """Serve the hub in a subprocess; yield its base URL; stop it with SIGTERM."""
    port = port or free_port()
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [str(BIN / "fablab-hub"), "--db", str(db_path), "serve", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_serving(f"{base}/api/v1/openapi.json", process)
            yield base
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
