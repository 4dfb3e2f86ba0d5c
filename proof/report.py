"""The proof's results: each check ok or FAILED with its reason, each phase's time, one summary.

A check that fails does not stop the others of its phase unless it is `required` (the rest
of the phase needs it); every failure is in the summary and the exit status.
"""

from __future__ import annotations

import contextlib
import platform
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


class Skip(Exception):
    """A required check failed: the rest of the phase cannot run."""


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class Report:
    log: Path
    checks: list[Check] = field(default_factory=list)
    phases: list[tuple[str, float]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # printed at the end of the summary

    def say(self, text: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {text}"
        print(line, flush=True)
        with self.log.open("a") as out:
            out.write(f"\n### {line}\n")

    def record(self, name: str, ok: bool, detail: str) -> bool:
        self.checks.append(Check(name, ok, detail))
        self.say(f"{'ok    ' if ok else 'FAILED'} {name}: {detail}")
        return ok

    @contextlib.contextmanager
    def check(self, name: str, *, required: bool = False) -> Iterator[list[str]]:
        """`with report.check("x") as detail: ...; detail.append("what was seen")`: ok unless it
        raises; the exception's text is the reason."""
        detail: list[str] = []
        started = time.monotonic()
        try:
            yield detail
        except (KeyboardInterrupt, Skip):
            raise
        except Exception as problem:  # every failure is reported with its reason
            reason = str(problem) or type(problem).__name__
            self.record(name, False, f"{reason} ({time.monotonic() - started:.0f} s)")
            if required:
                raise Skip(name) from None
        else:
            seen = "; ".join(detail) or "as expected"
            self.record(name, True, f"{seen} ({time.monotonic() - started:.0f} s)")

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started = time.monotonic()
        self.say(f"== {name}")
        try:
            yield
        except Skip as skipped:
            self.say(f"== {name}: stopped after the failed check '{skipped}'")
        finally:
            self.phases.append((name, time.monotonic() - started))

    def summary(self) -> str:
        failed = [check for check in self.checks if not check.ok]
        lines = ["", "=" * 78, "make pi-proof: summary", "=" * 78]
        lines += [f"{'ok    ' if c.ok else 'FAILED'} {c.name}: {c.detail}" for c in self.checks]
        lines.append("-" * 78)
        lines += [f"time   {name}: {minutes(seconds)}" for name, seconds in self.phases]
        total = sum(seconds for _, seconds in self.phases)
        lines.append(f"time   total: {minutes(total)}")
        verdict = (
            f"{len(failed)} of {len(self.checks)} check(s) FAILED"
            if failed
            else f"all {len(self.checks)} checks ok"
        )
        lines += [
            "-" * 78,
            verdict,
            *self.notes,
            f"run on {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, {machine()}",
            f"full log: {self.log}",
        ]
        return "\n".join(lines)

    @property
    def failed(self) -> bool:
        return not self.checks or any(not check.ok for check in self.checks)


def minutes(seconds: float) -> str:
    return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"


def machine() -> str:
    """The machine, as one line: OS, kernel, architecture, CPU count and model, memory."""
    os_name = "unknown OS"
    with contextlib.suppress(OSError):
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, ValueError):
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB"
    nspawn = subprocess.run(["systemd-nspawn", "--version"], capture_output=True, text=True)
    systemd = nspawn.stdout.split("(")[0].strip() if nspawn.returncode == 0 else "no systemd"
    cpus = len(
        [
            line
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("processor")
        ]
    )
    return (
        f"{os_name}, Linux {platform.release()} {platform.machine()}, {cpus} CPU(s) "
        f"{model}{memory}; {systemd}"
    )
