"""Badge reader benchmark: frame-to-tap latency over a pseudo-terminal, MFRC522 poll cost.

Prints figures; asserts nothing. Run with `make bench` or `python bench/badge_bench.py`.
"""

from __future__ import annotations

import queue
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from badge import fake_mfrc522
from badge.serial_reader import SerialReader
from badge.simulated import SimulatedSerialPort
from badge.taps import Tap
from bench.figures import Figure, percentile, spread

TAPS = 1000


def serial_latency(protocol: str) -> list[float]:
    """ms from the frame's last byte written to the pty to the tap in the consumer's hands."""
    with tempfile.TemporaryDirectory() as tmp:
        port = SimulatedSerialPort(Path(tmp) / "ttyUSB0", protocol=protocol)
        reader = SerialReader(port=str(port.path), protocol=protocol, gap=0.0)
        delivered: queue.Queue[tuple[Tap, float]] = queue.Queue()

        def consume() -> None:
            for event in reader.events():
                if isinstance(event, Tap):
                    delivered.put((event, time.perf_counter()))

        thread = threading.Thread(target=consume, daemon=True)
        thread.start()
        reader.connected.wait(5)
        samples = []
        for n in range(TAPS):
            uid = f"{n:010X}"
            frame = port.frame(uid)
            port.send(frame[:-1])
            sent = time.perf_counter()
            port.send(frame[-1:])
            tap, received = delivered.get(timeout=5)
            assert tap.uid == uid
            samples.append((received - sent) * 1000)
        reader.stop()
        thread.join(5)
        port.close()
        return samples


def mfrc522_poll_cost() -> dict[str, tuple[float, float, float]]:
    """Per poll of the reader's code (the real library's register primitives) against the fake
    chip, whose timer runs out about 15 ms after an unanswered frame as a real one's does:
    wall ms, CPU ms and SPI transfers."""
    chip = fake_mfrc522.install(fake_mfrc522.FakeMfrc522())
    import mfrc522

    from badge.mfrc522_reader import read_uid

    library = mfrc522.MFRC522()
    results = {}
    for label, uid in (
        ("no card", None),
        ("4-byte card", "DEADBEEF"),
        ("7-byte card", "04A1B2C3D4E5F6"),
    ):
        chip.lift()
        if uid:
            chip.present(uid)
        chip.transfers = 0
        polls = 100
        began, cpu = time.perf_counter(), time.thread_time()
        for _ in range(polls):
            assert read_uid(library) == uid
        wall = (time.perf_counter() - began) / polls * 1000
        results[label] = (wall, (time.thread_time() - cpu) / polls * 1000, chip.transfers / polls)
    fake_mfrc522.install(None)
    return results


def mfrc522_idle_cpu(seconds: float = 5.0) -> float:
    """CPU share (%) of a running MFRC522 reader waiting for a card, as a station runs it."""
    fake_mfrc522.install(fake_mfrc522.FakeMfrc522())
    from badge.mfrc522_reader import Mfrc522Reader

    reader = Mfrc522Reader()
    used: list[float] = []

    def run() -> None:
        began = time.thread_time()
        for _ in reader.events():
            pass
        used.append(time.thread_time() - began)

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(seconds)
    reader.stop()
    thread.join(5)
    fake_mfrc522.install(None)
    return used[0] / seconds * 100


def main() -> list[Figure]:
    print(f"{'figure':<58}{'p50':>9}{'p99':>9}")
    figures = []
    for protocol in ("rdm6300", "lines"):
        samples = serial_latency(protocol)
        label = f"serial {protocol}: last byte to tap delivered, ms ({TAPS} taps)"
        print(f"{label:<58}{percentile(samples, 50):>9.3f}{percentile(samples, 99):>9.3f}")
        figures.append(spread(f"badge: serial {protocol}, last byte to tap", samples))
    print()
    print(f"{'MFRC522 poll (fake chip)':<49}{'ms/poll':>9}{'CPU ms':>9}{'SPI/poll':>9}")
    for label, (wall, cpu, transfers) in mfrc522_poll_cost().items():
        print(f"{'  ' + label:<49}{wall:>9.2f}{cpu:>9.3f}{transfers:>9.0f}")
        figures.append(Figure(f"badge: MFRC522 poll, {label}: CPU per poll (fake chip)", cpu))
        figures.append(Figure(f"badge: MFRC522 poll, {label}: SPI transfers", transfers, None, ""))
    idle = mfrc522_idle_cpu()
    print(f"{'MFRC522 reader waiting for a card: CPU':<58}{idle:>8.2f}%")
    figures.append(Figure("badge: MFRC522 reader idle, CPU (fake chip)", idle, None, "%"))
    return figures


if __name__ == "__main__":
    main()
