"""MFRC522 readers on SPI (13.56 MHz, ISO 14443A cards), through the `mfrc522` library.

The library only reads 4-byte UIDs and its SimpleMFRC522 folds a check byte
into the number, so this reader drives the chip with the library's own
primitives (request, transceive, CRC coprocessor) and walks the cascade
levels itself: 4-, 7- and 10-byte UIDs come out as the card's own bytes.

Each poll wakes any card in the field (WUPA), selects it, then halts it; a
card held on the reader is read at every poll, and the debounce makes it one
tap. Two cards at once, a garbled BCC or a bad CRC give no read at all.

Frames go through this module's own `transceive`, not the library's
`MFRC522_ToCard`: that one reads the interrupt register up to 2,000 times
whenever no card answers (it never notices the chip's timer), tens of
milliseconds of CPU per empty poll on a Pi. Here the wait ends on the answer
or on the chip's timer (about 15 ms, as the library programs it), reading the
register every half millisecond: a few dozen SPI transfers per empty poll.
`mfrc522` refuses to import off a Raspberry Pi, so it is imported only when
the reader opens.
"""

from __future__ import annotations

import time
from functools import reduce
from operator import xor
from typing import Any

from badge.reader import DeviceReader

WUPA = 0x52
SELECT = (0x93, 0x95, 0x97)
CASCADE_TAG = 0x88
CASCADE_BIT = 0x04
HLTA = 0x50
# VersionReg of genuine chips (1.0, 2.0) and of the common clones.
KNOWN_VERSIONS = frozenset({0x91, 0x92, 0x88, 0x12, 0xB2})
TIMER_IRQ, IDLE_IRQ, RX_IRQ = 0x01, 0x10, 0x20
ERRORS = 0x1B  # BufferOvfl, CollErr, ParityErr, ProtocolErr
ANSWER_WAIT = 0.03  # seconds; the chip's timer ends an unanswered frame after about 15 ms
REGISTER_PAUSE = 0.0005


class Mfrc522Unavailable(OSError):
    """No working MFRC522 on the bus (library missing, not a Pi, wiring)."""


class Mfrc522Reader(DeviceReader):
    kind = "mfrc522"

    def __init__(
        self,
        *,
        bus: int = 0,
        device: int = 0,
        pin_rst: int = 22,
        poll_interval: float = 0.05,
        name: str | None = None,
        gap: float = 1.0,
    ) -> None:
        super().__init__(name=name or f"mfrc522:spi{bus}.{device}", gap=gap)
        self.bus, self.spi_device, self.pin_rst = bus, device, pin_rst
        self.device = f"/dev/spidev{bus}.{device}"
        self.poll_interval = poll_interval

    def _open(self) -> Any:
        try:
            import mfrc522
        except (ImportError, RuntimeError) as error:
            raise Mfrc522Unavailable(f"the mfrc522 library cannot load here: {error}") from None
        chip = mfrc522.MFRC522(bus=self.bus, device=self.spi_device, pin_rst=self.pin_rst)
        version = chip.Read_MFRC522(chip.VersionReg)
        if version not in KNOWN_VERSIONS:
            chip.Close_MFRC522()
            raise Mfrc522Unavailable(
                f"no MFRC522 answers on {self.device} "
                f"(version register {version:#04x}): check the wiring"
            )
        return chip

    def _close(self, chip: Any) -> None:
        chip.Close_MFRC522()

    def _read(self, chip: Any) -> list[str]:
        self._stopped.wait(self.poll_interval)
        uid = read_uid(chip)
        return [uid] if uid else []


def transceive(chip: Any, frame: list[int], last_bits: int = 0) -> tuple[list[int], int] | None:
    """Send `frame` (with `last_bits` bits of its last byte, 0 for all 8) and wait, bounded, for
    the answer; (bytes, bit count), or None when nobody answered or the answer was garbled."""
    chip.Write_MFRC522(chip.CommIEnReg, 0x77 | 0x80)
    chip.ClearBitMask(chip.CommIrqReg, 0x80)  # clear every interrupt flag
    chip.SetBitMask(chip.FIFOLevelReg, 0x80)  # empty the FIFO
    chip.Write_MFRC522(chip.CommandReg, chip.PCD_IDLE)
    for byte in frame:
        chip.Write_MFRC522(chip.FIFODataReg, byte)
    chip.Write_MFRC522(chip.CommandReg, chip.PCD_TRANSCEIVE)
    chip.Write_MFRC522(chip.BitFramingReg, 0x80 | last_bits)  # StartSend
    deadline = time.monotonic() + ANSWER_WAIT
    while not (irq := chip.Read_MFRC522(chip.CommIrqReg)) & (RX_IRQ | IDLE_IRQ | TIMER_IRQ):
        if time.monotonic() > deadline:
            break
        time.sleep(REGISTER_PAUSE)
    chip.ClearBitMask(chip.BitFramingReg, 0x80)
    if not irq & (RX_IRQ | IDLE_IRQ) or chip.Read_MFRC522(chip.ErrorReg) & ERRORS:
        return None
    level = chip.Read_MFRC522(chip.FIFOLevelReg)
    last = chip.Read_MFRC522(chip.ControlReg) & 0x07
    data = [chip.Read_MFRC522(chip.FIFODataReg) for _ in range(level)]
    return data, (level - 1) * 8 + last if last else level * 8


def read_uid(chip: Any) -> str | None:
    """The UID of the one card in the field as upper-case hex, or None (no card, or a bad read)."""
    woken = transceive(chip, [WUPA], last_bits=7)
    if woken is None or woken[1] != 16:
        return None
    uid: list[int] = []
    for select in SELECT:
        answer = _anticollision(chip, select)
        if answer is None:
            return None
        sak = _select(chip, select, answer)
        if sak is None:
            return None
        if answer[0] == CASCADE_TAG and sak & CASCADE_BIT:
            uid += answer[1:4]
            continue
        uid += answer[:4]
        _halt(chip)
        return bytes(uid).hex().upper()
    return None


def _anticollision(chip: Any, select: int) -> list[int] | None:
    answer = transceive(chip, [select, 0x20])
    if answer is None:
        return None
    data = answer[0]
    if len(data) != 5 or reduce(xor, data[:4]) != data[4]:
        return None
    return data


def _select(chip: Any, select: int, answer: list[int]) -> int | None:
    frame = [select, 0x70, *answer]
    frame += chip.CalulateCRC(frame)
    reply = transceive(chip, frame)
    if reply is None:
        return None
    data, bits = reply
    if bits != 24 or chip.CalulateCRC(data[:1]) != data[1:3]:
        return None
    return data[0]


def _halt(chip: Any) -> None:
    """Put the card to sleep; the next poll's WUPA wakes it if it is still there."""
    frame = [HLTA, 0x00]
    transceive(chip, frame + chip.CalulateCRC(frame))
