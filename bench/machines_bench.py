"""Machine controller benchmark: unlock latency (relay, printer) and OctoPrint polling load.

The relay runs on gpiozero's mock pins; the printer against a real OctoPrint with its
Virtual Printer (`.venv-octoprint`, built by `make test` or `make bench`). Prints figures.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gpiozero.pins.mock import MockFactory

from bench.figures import Figure, percentile, spread
from demo.octoprint import OctoPrintServer
from machines.octoprint import OctoPrintPrinter
from machines.relay import RelayInterlock


def relay_unlock() -> list[float]:
    """ms from calling unlock() to the relay pin having changed (it changes inside the call)."""
    pins = MockFactory()
    relay = RelayInterlock(pin=17, busy_pin=27, permit_pins={"extractor": 22}, pin_factory=pins)
    pins.pin(22).drive_high()
    time.sleep(0.2)  # let the permit settle once
    samples = []
    for n in range(2000):
        began = time.perf_counter()
        relay.unlock(f"s{n}")
        assert pins.pin(17).state
        samples.append((time.perf_counter() - began) * 1000)
        relay.lock("badge_out")
    relay.close()
    return samples


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> list[Figure]:
    relay = relay_unlock()
    print(f"{'figure':<56}{'p50':>10}{'p99':>10}")
    print(f"{'relay: unlock() call to pin on, ms (2,000)':<56}"
          f"{percentile(relay, 50):>10.3f}{percentile(relay, 99):>10.3f}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        server = OctoPrintServer(Path(tmp) / "octoprint")
        server.start()
        server.connect_printer()
        try:
            printer = OctoPrintPrinter(url=server.url, api_key=server.api_key, port="VIRTUAL")
            printer.wait_for_printer("ready", 30)
            ready = []
            for n in range(30):
                began = time.perf_counter()
                printer.unlock(f"s{n}")
                assert printer.wait_ready(10)
                ready.append((time.perf_counter() - began) * 1000)
                printer.lock("badge_out")
            cold = []
            for n in range(5):
                server.api("POST", "/api/connection", json={"command": "disconnect"})
                assert printer.wait_for_printer("offline", 30)
                began = time.perf_counter()
                printer.unlock(f"cold{n}")
                assert printer.wait_ready(30)
                cold.append((time.perf_counter() - began) * 1000)
                printer.lock("badge_out")
            print(f"{'printer: unlock() to ready, printer connected, ms (30)':<56}"
                  f"{percentile(ready, 50):>10.1f}{percentile(ready, 99):>10.1f}")  # fmt: skip
            print(f"{'printer: unlock() to ready, printer disconnected, ms (5)':<56}"
                  f"{statistics.median(cold):>10.1f}{max(cold):>10.1f}")  # fmt: skip
            # Polling load: a session with the default intervals, measured for 30 s.
            printer.unlock("load")
            requests_before, cpu_before = printer.requests, cpu_seconds(server.process.pid)
            window = 30.0
            time.sleep(window)
            requests = printer.requests - requests_before
            cpu = cpu_seconds(server.process.pid) - cpu_before
            printer.lock("badge_out")
            printer.close()
            idle_before = cpu_seconds(server.process.pid)
            time.sleep(window)  # the same window with nobody polling: OctoPrint's own work
            baseline = cpu_seconds(server.process.pid) - idle_before
        finally:
            server.stop()
    per_hour = 3600 / window
    print()
    print(f"OctoPrint polling during a session (poll every {printer.poll_interval:g} s; "
          f"{printer.idle_poll_interval:g} s when idle):")  # fmt: skip
    print(f"  {requests * per_hour:.0f} API requests per hour of session")
    print(f"  {cpu * per_hour:.1f} s of OctoPrint CPU per hour of session, against")
    print(f"  {baseline * per_hour:.1f} s with nobody polling (each over {window:g} s)")
    return [
        spread("relay: unlock() to pin on (mock pins)", relay),
        spread("printer: unlock() to ready, printer connected", ready),
        Figure(
            "printer: unlock() to ready, printer disconnected (median, worst of 5)",
            statistics.median(cold),
            max(cold),
        ),
        Figure(
            "printer: OctoPrint polling during a session", requests * per_hour, unit="requests/hour"
        ),
    ]


if __name__ == "__main__":
    main()
