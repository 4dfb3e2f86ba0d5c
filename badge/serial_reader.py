"""125 kHz readers on a serial port (pyserial): RDM6300/EM4100 frames or one UID per line.

When the USB adapter disappears the reader reports a fault, closes the port
and tries to reopen it with back-off; when it comes back, it reports the
recovery and carries on. A partial frame or line that goes quiet is dropped.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import serial

from badge.decoders import LineDecoder, Rdm6300Decoder
from badge.reader import DeviceReader, ReaderConfigError
from badge.uid_formats import uid_reader

DECODERS: dict[str, Callable[[Callable[[str], str]], Rdm6300Decoder | LineDecoder]] = {
    "rdm6300": lambda _: Rdm6300Decoder(),  # its frames carry the card's bytes in hex
    "lines": LineDecoder,
}


class SerialReader(DeviceReader):
    kind = "serial"
    device_errors = (serial.SerialException, OSError)

    def __init__(
        self,
        *,
        port: str,
        protocol: str = "rdm6300",
        baudrate: int = 9600,
        name: str | None = None,
        gap: float = 1.0,
        quiet_reset: float = 0.3,
        uid_format: str = "hex",
    ) -> None:
        """`uid_format`: how a `lines` reader writes the card's number (badge.uid_formats)."""
        if protocol not in DECODERS:
            known = ", ".join(DECODERS)
            raise ReaderConfigError(f"protocol must be one of {known}, not {protocol!r}")
        try:
            read_uid = uid_reader(uid_format)
        except ValueError as error:
            raise ReaderConfigError(str(error)) from None
        super().__init__(name=name or f"serial:{port}", gap=gap)
        self.device, self.protocol, self.baudrate = port, protocol, baudrate
        self._decoder = DECODERS[protocol](read_uid)
        self._quiet_reset = quiet_reset
        self._last_byte = float("-inf")

    def _open(self) -> serial.SerialBase:
        port = serial.serial_for_url(self.device, baudrate=self.baudrate, timeout=0.05)
        self._decoder.reset()
        return port

    def _read(self, port: serial.SerialBase) -> list[str]:
        data = port.read(port.in_waiting or 1)
        now = time.monotonic()
        if not data:
            if now - self._last_byte > self._quiet_reset:
                self._decoder.reset()
            return []
        self._last_byte = now
        return self._decoder.feed(data)
