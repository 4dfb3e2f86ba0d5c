"""Child processes for the demo and the tests (OctoPrint, the hub, stations): wait, stop."""

from __future__ import annotations

import signal
import subprocess
import time

import requests


def wait_for_http(url: str, process: subprocess.Popen, what: str, timeout: float = 60) -> None:
    """Until `url` answers; RuntimeError if `process` exits first, TimeoutError after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode} at start; see its log")
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.05)
    raise TimeoutError(f"{what} did not answer at {url}")


def stop_process(process: subprocess.Popen, timeout: float = 20) -> int:
    """SIGTERM, then SIGKILL if it has not exited after `timeout`; its exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()
