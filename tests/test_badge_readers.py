"""Every reader kind against its simulated twin: taps, debounce, faults and recovery."""

import io
import os
import threading
from typing import ClassVar

import pytest

from badge import fake_mfrc522
from badge.keyboard_reader import KeyboardReader
from badge.mfrc522_reader import Mfrc522Reader
from badge.reader import ReaderConfigError, build_reader
from badge.serial_reader import SerialReader
from badge.simulated import SimulatedKeyboard, SimulatedSerialPort
from badge.stream_reader import SimulatedReader, StdinReader
from badge.taps import ReaderFault, ReaderRecovered, Tap
from tests.readers import RunningReader


@pytest.fixture
def tty_usb(tmp_path):
    port = SimulatedSerialPort(tmp_path / "ttyUSB0")
    yield port
    port.close()


def test_a_serial_rdm6300_reader_over_a_pty(tty_usb):
    reader = SerialReader(port=str(tty_usb.path), protocol="rdm6300", gap=0.5)
    with RunningReader(reader) as running:
        running.connected()
        tty_usb.present("0A0B0C0D0E")
        tap = running.next()
        assert isinstance(tap, Tap)
        assert (tap.uid, tap.reader) == ("0A0B0C0D0E", f"serial:{tty_usb.path}")
        assert tap.at.tzinfo is not None
        # Held on the reader, the tag repeats its frame: still one tap.
        for _ in range(5):
            tty_usb.present("0A0B0C0D0E")
        tty_usb.send(b"\x02garbage\x03\xff\x00" + tty_usb.frame("0102030405")[:-3] + b"ZZ\x03")
        tty_usb.present("1122334455")
        assert running.next().uid == "1122334455"
        assert running.quiet_for(0.2) == []


def test_a_card_lifted_and_presented_again_is_a_new_tap(tty_usb):
    reader = SerialReader(port=str(tty_usb.path), gap=0.2)
    with RunningReader(reader) as running:
        running.connected()
        tty_usb.present("0A0B0C0D0E")
        first = running.next()
        tty_usb.present("0A0B0C0D0E")  # still held
        assert running.quiet_for(0.3) == []  # ... and then lifted for longer than the gap
        tty_usb.present("0A0B0C0D0E")
        again = running.next()
        assert again.uid == first.uid and again.monotonic - first.monotonic >= 0.2


def test_a_serial_reader_unplugged_and_plugged_back(tty_usb):
    tty_usb.protocol = "lines"
    reader = SerialReader(port=str(tty_usb.path), protocol="lines", gap=0.0)
    with RunningReader(reader) as running:
        running.connected()
        tty_usb.present("DEADBEEF")
        assert running.next().uid == "DEADBEEF"
        tty_usb.unplug()
        fault = running.next()
        assert isinstance(fault, ReaderFault) and fault.code == "reader_unplugged"
        assert str(tty_usb.path) in fault.message
        tty_usb.plug()
        assert isinstance(running.next(timeout=10), ReaderRecovered)
        running.connected()
        tty_usb.present("CAFEF00D")
        assert running.next().uid == "CAFEF00D"


def test_a_serial_reader_started_before_its_adapter_is_plugged(tmp_path):
    path = tmp_path / "ttyUSB1"
    reader = SerialReader(port=str(path), protocol="rdm6300")
    with RunningReader(reader) as running:
        assert running.next().code == "reader_unplugged"
        port = SimulatedSerialPort(path)
        try:
            assert isinstance(running.next(timeout=10), ReaderRecovered)
            running.connected()
            port.present("0A0B0C0D0E")
            assert running.next().uid == "0A0B0C0D0E"
        finally:
            port.close()


def test_a_keyboard_reader_types_uids_and_survives_unplugging():
    keyboard = SimulatedKeyboard()
    reader = KeyboardReader(device="/dev/input/event7", open_device=keyboard.open, gap=0.0)
    with RunningReader(reader) as running:
        keyboard.type_uid("04A1B2C3D4E5F6")
        tap = running.next()
        assert (tap.uid, tap.reader) == ("04A1B2C3D4E5F6", "keyboard:/dev/input/event7")
        keyboard.unplug()
        assert running.next().code == "reader_unplugged"
        keyboard.plug()
        assert isinstance(running.next(timeout=10), ReaderRecovered)
        keyboard.type_uid("DEADBEEF")
        assert running.next().uid == "DEADBEEF"
    assert keyboard.opened == 2


@pytest.mark.parametrize(
    ("uid_format", "typed"),
    [
        ("decimal-reversed", "4022250974"),
        ("decimal", "3735928559"),
        ("hex-reversed", "EFBEADDE"),
        ("hex", "DEADBEEF"),
    ],
)
def test_one_card_is_one_badge_whatever_a_keyboard_reader_types(chip, uid_format, typed):
    """The card DE AD BE EF on an MFRC522 and on USB readers that write it their own way."""
    from badge.uid_formats import as_sent

    assert as_sent("DEADBEEF", uid_format) == typed  # what such a reader really types
    keyboard = SimulatedKeyboard()
    reader = KeyboardReader(device="kbd", open_device=keyboard.open, uid_format=uid_format)
    with RunningReader(reader) as typed_reader, RunningReader(Mfrc522Reader()) as spi_reader:
        keyboard.type_uid("DEADBEEF", uid_format=uid_format)
        chip.present("DEADBEEF")
        assert typed_reader.next().uid == spi_reader.next().uid == "DEADBEEF"
        keyboard.type_uid("04A1B2C3D4E5F6", uid_format=uid_format)  # a 7-byte card too
        assert typed_reader.next().uid == "04A1B2C3D4E5F6"


def test_a_reader_format_that_does_not_exist_is_named():
    with pytest.raises(ReaderConfigError, match=r"unknown UID format 'octal'.*decimal-reversed"):
        build_reader("keyboard", device="kbd", uid_format="octal")


class FakeInputDevice:
    """Stands in for evdev.InputDevice (no /dev/input here): a pipe and hand-made events."""

    instances: ClassVar[list] = []

    def __init__(self, path):
        self.path, self.grabbed, self.closed, self.gone = path, False, False, False
        self._read_fd, self._write_fd = os.pipe()
        self.fd = self._read_fd
        self._pending = []
        FakeInputDevice.instances.append(self)

    def feed(self, events):
        self._pending += events
        os.write(self._write_fd, b"x")

    def read(self):
        if self.gone:
            raise OSError(19, "No such device")
        os.read(self._read_fd, 1)
        events, self._pending = self._pending, []
        return iter(events)

    def grab(self):
        self.grabbed = True

    def ungrab(self):
        self.grabbed = False

    def close(self):
        self.closed = True
        os.close(self._read_fd)
        os.close(self._write_fd)


def test_a_real_evdev_path_grabs_the_device_and_decodes_input_events(monkeypatch):
    evdev = pytest.importorskip("evdev")
    monkeypatch.setattr(evdev, "InputDevice", FakeInputDevice)
    FakeInputDevice.instances.clear()
    codes = evdev.ecodes
    keys = [codes.KEY_C, codes.KEY_A, codes.KEY_F, codes.KEY_E, codes.KEY_F, codes.KEY_0]
    keys += [codes.KEY_0, codes.KEY_D, codes.KEY_ENTER]
    events = [
        evdev.InputEvent(100, index * 1000 + value * 500, codes.EV_KEY, code, value)
        for index, code in enumerate(keys)
        for value in (1, 0)
    ]
    reader = KeyboardReader(device="/dev/input/event3")
    with RunningReader(reader) as running:
        running.connected()
        (device,) = FakeInputDevice.instances
        assert device.grabbed, "the UID would leak into other programs"
        device.feed(events)
        assert running.next().uid == "CAFEF00D"
        device.gone = True
        device.feed([])
        assert running.next().code == "reader_unplugged"
    assert device.closed


def test_stdin_reader_every_line_is_a_tap_and_bad_lines_are_reported():
    stream = io.StringIO("deadbeef\n\nDEADBEEF\nhello\n04:a1:b2:c3:d4:e5:f6\n")
    events = list(StdinReader(stream=stream).events())
    assert [type(e).__name__ for e in events] == ["Tap", "Tap", "ReaderFault", "Tap"]
    assert [e.uid for e in events if isinstance(e, Tap)] == [
        "DEADBEEF",
        "DEADBEEF",
        "04A1B2C3D4E5F6",
    ]
    assert events[2].code == "invalid_uid"


def test_stdin_reader_on_a_pipe_stops_when_asked():
    read_end, write_end = os.pipe()
    with os.fdopen(read_end) as stream, RunningReader(StdinReader(stream=stream)) as running:
        os.write(write_end, b"CAFEF00D\n")
        assert running.next().uid == "CAFEF00D"
    os.close(write_end)


def test_the_simulated_reader_reports_what_it_is_told():
    reader = SimulatedReader(name="desk")
    with RunningReader(reader) as running:
        reader.present("de:ad:be:ef")
        reader.fail("reader_unplugged", "câble débranché")
        reader.recover()
        assert running.next().uid == "DEADBEEF"
        assert running.next().message == "câble débranché"
        assert isinstance(running.next(), ReaderRecovered)


@pytest.fixture
def chip():
    chip = fake_mfrc522.install(fake_mfrc522.FakeMfrc522())
    yield chip
    fake_mfrc522.install(None)


@pytest.mark.parametrize("uid", ["DEADBEEF", "04A1B2C3D4E5F6", "0102030405060708090A"])
def test_mfrc522_reads_4_7_and_10_byte_uids_through_the_real_library(chip, uid):
    reader = Mfrc522Reader(poll_interval=0.005, gap=0.3)
    with RunningReader(reader) as running:
        chip.present(uid)
        tap = running.next()
        assert (tap.uid, tap.reader) == (uid, "mfrc522:spi0.0")
        polls = chip.transceives
        assert running.quiet_for(0.15) == []  # held: read again and again, one tap
        assert chip.transceives > polls
        chip.lift()
        threading.Event().wait(0.35)
        chip.present(uid)
        assert running.next().uid == uid  # lifted and presented again


@pytest.mark.parametrize("fault", ["collision", "corrupt_crc", "corrupt_bcc"])
def test_mfrc522_bad_reads_give_no_tap(chip, fault):
    chip.present("DEADBEEF")
    if fault == "collision":
        chip.present("04A1B2C3D4E5F6")
    else:
        setattr(chip, fault, True)
    with RunningReader(Mfrc522Reader(poll_interval=0.005)) as running:
        assert running.quiet_for(0.3) == []
        chip.lift("04A1B2C3D4E5F6")
        chip.corrupt_crc = chip.corrupt_bcc = False
        assert running.next().uid == "DEADBEEF"


def test_mfrc522_spi_errors_are_faults_and_the_reader_recovers(chip):
    with RunningReader(Mfrc522Reader(poll_interval=0.005)) as running:
        chip.present("DEADBEEF")
        assert running.next().uid == "DEADBEEF"
        chip.spi_error = True
        fault = running.next()
        assert fault.code == "reader_unplugged" and "/dev/spidev0.0" in fault.message
        chip.spi_error = False
        assert isinstance(running.next(timeout=10), ReaderRecovered)


def test_an_empty_mfrc522_poll_waits_for_the_chips_timer_not_two_thousand_reads(chip):
    """The library's own transceive reads the interrupt register 2,000 times when no card
    answers; the reader's stops at the chip's timer (about 15 ms), polling it gently."""
    import mfrc522

    from badge.mfrc522_reader import read_uid

    library = mfrc522.MFRC522()
    chip.transfers = 0
    assert library.MFRC522_Request(library.PICC_REQALL)[0] != library.MI_OK
    assert chip.transfers > 2000  # what the library alone costs
    chip.transfers = 0
    assert read_uid(library) is None
    assert chip.transceives >= 1 and chip.transfers < 80
    chip.present("DEADBEEF")
    assert read_uid(library) == "DEADBEEF"


def test_mfrc522_not_wired_is_a_clear_fault():
    fake_mfrc522.install(fake_mfrc522.FakeMfrc522(version=0x00))
    try:
        with RunningReader(Mfrc522Reader()) as running:
            fault = running.next()
            assert fault.code == "reader_unplugged" and "check the wiring" in fault.message
    finally:
        fake_mfrc522.install(None)


def test_the_factory_builds_each_kind_and_names_bad_options(tmp_path):
    assert isinstance(build_reader("serial", port="/dev/ttyUSB0"), SerialReader)
    assert isinstance(build_reader("keyboard", device="/dev/input/event0"), KeyboardReader)
    assert isinstance(build_reader("mfrc522", bus=0, device=1), Mfrc522Reader)
    assert isinstance(build_reader("stdin"), StdinReader)
    with pytest.raises(ReaderConfigError, match="unknown reader kind 'nfc'"):
        build_reader("nfc")
    with pytest.raises(ReaderConfigError, match="protocol"):
        build_reader("serial", port="/dev/ttyUSB0", protocol="wiegand")
    with pytest.raises(ReaderConfigError, match="baud"):
        build_reader("serial", port="/dev/ttyUSB0", baud=9600)
