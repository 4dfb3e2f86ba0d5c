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


def mfrc522_poll_cost() -> dict[str, tuple[float, float]]:
    """µs and SPI transfers per poll of the real library against the fake chip."""
    chip = fake_mfrc522.install(fake_mfrc522.FakeMfrc522())
    import mfrc522

    from badge.mfrc522_reader import read_uid

    library = mfrc522.MFRC522()
    transfers = [0]
    original = chip.transfer

    def counted(data: list[int]) -> list[int]:
        transfers[0] += 1
        return original(data)

    chip.transfer = counted  # type: ignore[method-assign]
    results = {}
    for label, uid in (
        ("no card", None),
        ("4-byte card", "DEADBEEF"),
        ("7-byte card", "04A1B2C3D4E5F6"),
    ):
        chip.lift()
        if uid:
            chip.present(uid)
        transfers[0] = 0
        polls = 200
        began = time.perf_counter()
        for _ in range(polls):
            assert read_uid(library) == uid
        results[label] = ((time.perf_counter() - began) / polls * 1e6, transfers[0] / polls)
    fake_mfrc522.install(None)
    return results


def main() -> list[Figure]:
    print(f"{'figure':<58}{'p50':>9}{'p99':>9}")
    figures = []
    for protocol in ("rdm6300", "lines"):
        samples = serial_latency(protocol)
        label = f"serial {protocol}: last byte to tap delivered, ms ({TAPS} taps)"
        print(f"{label:<58}{percentile(samples, 50):>9.3f}{percentile(samples, 99):>9.3f}")
        figures.append(spread(f"badge: serial {protocol}, last byte to tap", samples))
    print()
    print(f"{'MFRC522 poll (library + fake chip)':<58}{'µs/poll':>9}{'SPI/poll':>9}")
    for label, (micros, transfers) in mfrc522_poll_cost().items():
        print(f"{'  ' + label:<58}{micros:>9.0f}{transfers:>9.0f}")
        figures.append(Figure(f"badge: MFRC522 poll, {label} (fake chip)", micros / 1000))
    return figures


if __name__ == "__main__":
    main()
