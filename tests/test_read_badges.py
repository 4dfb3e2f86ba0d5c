"""`fablab-kiosk read-badges`: what an installer runs to check a reader's wiring."""

import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

from badge.simulated import SimulatedSerialPort

KIOSK = str(Path(sys.executable).parent / "fablab-kiosk")


def test_stdin_taps_on_stdout_and_mistakes_on_stderr():
    done = subprocess.run(
        [KIOSK, "read-badges", "--reader", "stdin"],
        input="deadbeef\nnot a badge\n04:A1:B2:C3:D4:E5:F6\nDEADBEEF\n",
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0
    assert done.stdout.splitlines() == ["DEADBEEF", "04A1B2C3D4E5F6", "DEADBEEF"]
    assert "invalid_uid" in done.stderr


def _readable(stream, timeout: float) -> bool:
    with selectors.DefaultSelector() as watch:
        watch.register(stream, selectors.EVENT_READ)
        return bool(watch.select(timeout=timeout))


def test_a_serial_reader_held_card_unplugged_adapter(tmp_path):
    port = SimulatedSerialPort(tmp_path / "ttyUSB0")
    process = subprocess.Popen(
        [KIOSK, "read-badges", "--reader", "serial", "--port", str(port.path), "--gap", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # A tag held on the reader repeats its frame: send until the first line shows.
        deadline = time.monotonic() + 15
        while not _readable(process.stdout, 0.1) and time.monotonic() < deadline:
            port.present("0A0B0C0D0E")
        first = process.stdout.readline().strip()
        for _ in range(5):
            port.present("0A0B0C0D0E")  # still held
        port.unplug()
        assert _readable(process.stderr, 15), "no fault reported"
        fault = process.stderr.readline()
    finally:
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=15)
        port.close()
    assert first == "0A0B0C0D0E"
    assert out.strip() == ""  # the held card was one tap only
    assert fault.startswith("fault reader_unplugged")
    assert process.returncode == 0


def test_wrong_usage_is_explained():
    done = subprocess.run(
        [KIOSK, "read-badges", "--reader", "keyboard"], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 2 and "needs --device" in done.stderr


def test_an_mfrc522_on_chip_select_0_is_read_not_refused():
    """`--spi-device 0` (CE0, where most modules are wired) is a device, not a missing one."""
    done = subprocess.run(
        [KIOSK, "read-badges", "--reader", "mfrc522", "--spi-device", "0"],
        capture_output=True,
        text=True,
        timeout=30,
        input="",
        preexec_fn=lambda: signal.alarm(3),  # no Pi here: it reports the fault, then SIGALRM
    )
    assert "needs" not in done.stderr
    assert "fault reader_unplugged" in done.stderr and "/dev/spidev0.0" in done.stderr


def test_ctrl_c_while_the_reader_is_away_stops_cleanly(tmp_path):
    process = subprocess.Popen(
        [KIOSK, "read-badges", "--reader", "serial", "--port", str(tmp_path / "ttyUSB9")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert _readable(process.stderr, 15), "no fault reported"
    assert process.stderr.readline().startswith("fault reader_unplugged")
    process.send_signal(signal.SIGINT)
    _, errors = process.communicate(timeout=15)
    assert process.returncode == 0
    assert "Traceback" not in errors and "RuntimeError" not in errors
