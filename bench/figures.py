"""What every benchmark returns: named figures, and the one table `make bench` prints."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from demo.processes import resident_kib


@dataclass(frozen=True)
class Figure:
    label: str
    p50: float  # or the single value (a rate, a size)
    p99: float | None = None  # None for a single value
    unit: str = "ms"

    def row(self) -> str:
        tail = f"{self.p99:,.2f}" if self.p99 is not None else ""
        return f"| {self.label} | {self.p50:,.2f} | {tail} | {self.unit} |"


def percentile(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1]


def spread(label: str, samples: list[float], unit: str = "ms", high: int = 99) -> Figure:
    """p50 and p`high` of `samples`."""
    return Figure(label, percentile(samples, 50), percentile(samples, high), unit)


def rss_mib(pid: int) -> float:
    """Resident memory of a running process (VmRSS), MiB."""
    return resident_kib(pid) / 1024


def table(figures: list[Figure]) -> str:
    lines = ["| figure | p50 (or value) | p99 (or worst) | unit |", "|---|---:|---:|---|"]
    return "\n".join(lines + [figure.row() for figure in figures])
