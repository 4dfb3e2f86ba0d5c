"""Child processes for the demo, tests and benchmarks (OctoPrint, the hub, stations): start them
so that they die with their parent, wait for them, stop them together within a deadline, and
look at what they hold (Linux /proc)."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

import requests

_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)  # loaded before any fork: the child only calls it


def die_with_parent() -> None:
    """`preexec_fn` for a child that must not outlive the process starting it, however that
    process ends (Ctrl-C, a closed terminal, `kill -9`): the kernel sends the child SIGTERM
    when its parent dies. The parent is the *thread* that forked, so start children from the
    main thread. If the parent died before the call, the child leaves at once."""
    parent = os.getppid()
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


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
    return stop_all([process], timeout)[0]


def stop_all(processes: Iterable[subprocess.Popen], timeout: float) -> list[int]:
    """SIGTERM to every process at once, SIGKILL to those still there after `timeout` seconds
    in all; their exit codes, in order. Stopping them one after the other would add up."""
    processes = list(processes)
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    codes = []
    for process in processes:
        try:
            codes.append(process.wait(timeout=max(0.0, deadline - time.monotonic())))
        except subprocess.TimeoutExpired:
            process.kill()
            codes.append(process.wait())
    return codes


def start_time(pid: int) -> int | None:
    """When the process started (clock ticks since boot), to tell it from a later one that got
    the same pid; None if there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[19])


def alive(pid: int, started: int | None = None) -> bool:
    """The process exists (and, with `started`, is the same one), and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    fields = stat.rsplit(")", 1)[1].split()
    return fields[0] != "Z" and (started is None or int(fields[19]) == started)


def port_owner(port: int) -> str | None:
    """'NAME (pid N)' of the process listening on a loopback TCP port, if /proc tells."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # LISTEN
                inodes.add(f"socket:[{fields[9]}]")
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if any(os.readlink(fd) in inodes for fd in (proc / "fd").iterdir()):
                command = (proc / "cmdline").read_bytes().split(b"\0")
                names = [Path(part.decode(errors="replace")).name for part in command[:2]]
                name = names[1] if names[0].startswith("python") and len(names) > 1 else names[0]
                return f"{name} (pid {proc.name})"
        except OSError:
            continue
    return None


def resident_kib(pid: int) -> int:
    """Resident memory (VmRSS) of a running process, KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise ValueError(f"no VmRSS for process {pid}")


def open_files(pid: int) -> int:
    """File descriptors a running process holds (files, sockets, pipes)."""
    return len(list(Path(f"/proc/{pid}/fd").iterdir()))
