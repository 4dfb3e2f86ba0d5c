"""A register-level MFRC522 and ISO 14443A cards, behind fake `spidev` and `RPi.GPIO` modules.

This is the simulated twin of the MFRC522 reader: installed before the
`mfrc522` library is imported, it lets the real library code (its register
writes, FIFO handling, CRC coprocessor use) run anywhere, against a chip that
answers like the real one: REQA/WUPA, anticollision and select at cascade
levels 1 to 3 (4-, 7- and 10-byte UIDs), HLTA, CRC_A. Faults real readers
have can be injected: an SPI bus error, two cards at once (collision), a
corrupt CRC or BCC, a card lifted away.
"""

from __future__ import annotations

import sys
import time
import types
from dataclasses import dataclass, field
from functools import reduce
from operator import xor

# Registers (MFRC522 datasheet, section 9).
COMMAND, COMM_IRQ, DIV_IRQ, ERROR = 0x01, 0x04, 0x05, 0x06
FIFO_DATA, FIFO_LEVEL, CONTROL, BIT_FRAMING = 0x09, 0x0A, 0x0C, 0x0D
TX_CONTROL, CRC_RESULT_M, CRC_RESULT_L, VERSION = 0x14, 0x21, 0x22, 0x37
T_MODE, T_PRESCALER, T_RELOAD_H, T_RELOAD_L = 0x2A, 0x2B, 0x2C, 0x2D
# Commands.
IDLE, CALC_CRC, TRANSCEIVE, SOFT_RESET = 0x00, 0x03, 0x0C, 0x0F
# PICC commands.
REQA, WUPA, HLTA = 0x26, 0x52, 0x50
SELECT = (0x93, 0x95, 0x97)
CASCADE_TAG = 0x88
TIMER_IRQ, RX_IRQ, IDLE_IRQ, CRC_IRQ = 0x01, 0x20, 0x10, 0x04
COLL_ERR = 0x08


def crc_a(data: bytes | list[int]) -> list[int]:
    """ISO/IEC 14443-3 CRC_A, least significant byte first (as the chip returns it)."""
    crc = 0x6363
    for byte in data:
        byte ^= crc & 0xFF
        byte = (byte ^ (byte << 4)) & 0xFF
        crc = ((crc >> 8) ^ (byte << 8) ^ (byte << 3) ^ (byte >> 4)) & 0xFFFF
    return [crc & 0xFF, crc >> 8]


@dataclass
class FakeCard:
    uid: bytes
    sak: int = 0x08  # MIFARE Classic 1K
    state: str = "idle"  # idle, ready, active, halt
    level: int = 0

    def cascade(self, level: int) -> list[int]:
        """The 4 UID bytes (with a cascade tag when more follow) and BCC for one cascade level."""
        levels = {4: 1, 7: 2, 10: 3}[len(self.uid)]
        if level >= levels:
            return []
        if level == levels - 1:
            part = list(self.uid[3 * level :])
        else:
            part = [CASCADE_TAG, *self.uid[3 * level : 3 * level + 3]]
        return [*part, reduce(xor, part)]

    @property
    def atqa(self) -> list[int]:
        return [{4: 0x04, 7: 0x44, 10: 0x84}[len(self.uid)], 0x00]


@dataclass
class FakeMfrc522:
    """The chip, its antenna field and the cards in it. Drive it with `present` and `lift`."""

    cards: list[FakeCard] = field(default_factory=list)
    spi_error: bool = False
    corrupt_crc: bool = False
    corrupt_bcc: bool = False
    version: int = 0x92
    transceives: int = 0
    transfers: int = 0  # SPI transfers, to measure what a poll costs

    def __post_init__(self) -> None:
        self._reset()

    def present(self, uid: str, sak: int = 0x08) -> None:
        self.cards.append(FakeCard(bytes.fromhex(uid), sak))

    def lift(self, uid: str | None = None) -> None:
        """Take one card (or all) out of the field."""
        self.cards = [c for c in self.cards if uid is not None and c.uid != bytes.fromhex(uid)]

    # --- the SPI side -------------------------------------------------------------------------

    def transfer(self, data: list[int]) -> list[int]:
        self.transfers += 1
        if self.spi_error:
            raise OSError(5, "Input/output error (simulated SPI fault)")
        address = (data[0] >> 1) & 0x3F
        if data[0] & 0x80:
            return [0, self._read(address)]
        self._write(address, data[1])
        return [0, 0]

    def _reset(self) -> None:
        self.regs = bytearray(64)
        self.regs[VERSION] = self.version
        self.fifo: list[int] = []
        self.comm_irq = self.div_irq = self.error = self.rx_last_bits = 0
        self.timer_fires_at: float | None = None

    def _read(self, address: int) -> int:
        if address == FIFO_DATA:
            return self.fifo.pop(0) if self.fifo else 0
        if address == COMM_IRQ:
            if self.timer_fires_at is not None and time.monotonic() >= self.timer_fires_at:
                self.timer_fires_at = None
                self.comm_irq |= TIMER_IRQ
            return self.comm_irq
        if address == DIV_IRQ:
            return self.div_irq
        if address == FIFO_LEVEL:
            return len(self.fifo)
        if address == ERROR:
            return self.error
        if address == CONTROL:
            return 0x10 | self.rx_last_bits
        return self.regs[address]

    def _write(self, address: int, value: int) -> None:
        if address == FIFO_DATA:
            self.fifo.append(value)
        elif address == FIFO_LEVEL:
            if value & 0x80:
                self.fifo.clear()
        elif address in (COMM_IRQ, DIV_IRQ):
            current = self.comm_irq if address == COMM_IRQ else self.div_irq
            current = current | (value & 0x7F) if value & 0x80 else current & ~value & 0x7F
            if address == COMM_IRQ:
                self.comm_irq = current
            else:
                self.div_irq = current
        elif address == COMMAND:
            self.regs[COMMAND] = value
            self._command(value & 0x0F)
        elif address == BIT_FRAMING:
            self.regs[BIT_FRAMING] = value & 0x7F
            if value & 0x80 and self.regs[COMMAND] & 0x0F == TRANSCEIVE:
                self._transceive()
        else:
            self.regs[address] = value

    def _command(self, command: int) -> None:
        if command == SOFT_RESET:
            self._reset()
        elif command == CALC_CRC:
            low, high = crc_a(self.fifo)
            self.regs[CRC_RESULT_L], self.regs[CRC_RESULT_M] = low, high
            self.fifo.clear()
            self.div_irq |= CRC_IRQ

    # --- the radio side -----------------------------------------------------------------------

    def _transceive(self) -> None:
        self.transceives += 1
        frame, tx_bits = list(self.fifo), self.regs[BIT_FRAMING] & 0x07
        self.fifo.clear()
        self.error = self.rx_last_bits = 0
        response = self._respond(frame, tx_bits) if self.regs[TX_CONTROL] & 0x03 else None
        if response is None:  # nobody answers: the chip's timer runs out (TAuto)
            self.timer_fires_at = time.monotonic() + self._timer_seconds()
            return
        self.fifo = response
        self.comm_irq |= RX_IRQ | IDLE_IRQ

    def _timer_seconds(self) -> float:
        """The timeout the library programs (TPrescaler, TReload): about 15 ms after a frame."""
        prescaler = ((self.regs[T_MODE] & 0x0F) << 8) | self.regs[T_PRESCALER]
        reload = (self.regs[T_RELOAD_H] << 8) | self.regs[T_RELOAD_L]
        return (2 * prescaler + 1) * (reload + 1) / 13.56e6

    def _respond(self, frame: list[int], tx_bits: int) -> list[int] | None:
        if tx_bits == 7 and frame in ([REQA], [WUPA]):
            woken = ("idle",) if frame == [REQA] else ("idle", "halt")
            answering = [card for card in self.cards if card.state in woken]
            for card in self.cards:  # a card mid-selection takes this as unexpected
                if card.state in ("ready", "active"):
                    card.state = "idle"
            for card in answering:
                card.state, card.level = "ready", 0
            return answering[0].atqa if answering else None
        if len(frame) == 2 and frame[0] in SELECT and frame[1] == 0x20:
            return self._anticollision(SELECT.index(frame[0]))
        if len(frame) == 9 and frame[0] in SELECT and frame[1] == 0x70:
            return self._select(SELECT.index(frame[0]), frame)
        if frame[:2] == [HLTA, 0x00]:
            for card in self.cards:
                if card.state == "active":
                    card.state = "halt"
            return None
        for card in self.cards:  # anything unexpected sends a card back to idle
            if card.state in ("ready", "active"):
                card.state = "idle"
        return None

    def _anticollision(self, level: int) -> list[int] | None:
        answering = [c for c in self.cards if c.state == "ready" and c.level == level]
        if not answering:
            return None
        answer = answering[0].cascade(level)
        if any(other.cascade(level) != answer for other in answering[1:]):
            self.error |= COLL_ERR
            return [byte ^ 0x5A for byte in answer]  # what overlapping answers garble into
        if self.corrupt_bcc:
            answer = [*answer[:4], answer[4] ^ 0xFF]
        return answer

    def _select(self, level: int, frame: list[int]) -> list[int] | None:
        if crc_a(frame[:7]) != frame[7:9]:
            return None  # a card ignores a frame with a bad CRC
        for card in self.cards:
            if card.state == "ready" and card.level == level and card.cascade(level) == frame[2:7]:
                more = bool(card.cascade(level + 1))
                sak = 0x04 if more else card.sak
                card.level, card.state = (level + 1, "ready") if more else (level, "active")
                crc = crc_a([sak])
                if self.corrupt_crc:
                    crc = [crc[0] ^ 0xFF, crc[1]]
                return [sak, *crc]
        return None


_current: list[FakeMfrc522] = []


class _SpiDev:
    """Stands in for spidev.SpiDev, wired to the chip installed last."""

    def __init__(self) -> None:
        self.max_speed_hz = 0
        self._chip: FakeMfrc522 | None = None

    def open(self, bus: int, device: int) -> None:
        if not _current:
            raise FileNotFoundError(2, f"No such file or directory: '/dev/spidev{bus}.{device}'")
        self._chip = _current[-1]

    def xfer2(self, data: list[int]) -> list[int]:
        if self._chip is None:
            raise OSError(9, "Bad file descriptor")
        return self._chip.transfer(data)

    def close(self) -> None:
        self._chip = None


def _gpio_module() -> types.ModuleType:
    gpio = types.ModuleType("RPi.GPIO")
    state: dict[str, int | None] = {"mode": None}
    gpio.BOARD, gpio.BCM, gpio.OUT, gpio.IN, gpio.HIGH, gpio.LOW = 10, 11, 0, 1, 1, 0
    gpio.getmode = lambda: state["mode"]
    gpio.setmode = lambda mode: state.update(mode=mode)
    gpio.setwarnings = lambda flag: None
    gpio.setup = lambda *args, **kwargs: None
    gpio.output = lambda *args, **kwargs: None
    gpio.cleanup = lambda *args, **kwargs: state.update(mode=None)
    return gpio


def install(chip: FakeMfrc522 | None = None) -> FakeMfrc522 | None:
    """Put fake `spidev` and `RPi.GPIO` modules in place (once) and wire them to `chip`.

    Call before importing `mfrc522`. Installing `None` leaves no chip on the
    bus, as when the reader is not wired.
    """
    if "spidev" not in sys.modules or not hasattr(sys.modules["spidev"], "_fablab_fake"):
        spidev = types.ModuleType("spidev")
        spidev.SpiDev = _SpiDev
        spidev._fablab_fake = True
        rpi = types.ModuleType("RPi")
        rpi.GPIO = _gpio_module()
        sys.modules.update({"spidev": spidev, "RPi": rpi, "RPi.GPIO": rpi.GPIO})
    _current.clear()
    if chip is not None:
        _current.append(chip)
    return chip
