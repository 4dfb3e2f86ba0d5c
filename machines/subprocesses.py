"""Child processes for the demo, tests and benchmarks (OctoPrint, the hub, stations):
wait for them, stop them, look at what they hold (Linux /proc)."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

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


def resident_kib(pid: int) -> int:
    """Resident memory (VmRSS) of a running process, KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise ValueError(f"no VmRSS for process {pid}")


def open_files(pid: int) -> int:
    """File descriptors a running process holds (files, sockets, pipes)."""
    return len(list(Path(f"/proc/{pid}/fd").iterdir()))
