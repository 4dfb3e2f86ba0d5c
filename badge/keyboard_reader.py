"""USB readers that act as a keyboard (evdev): they type the UID and Enter.

The device is grabbed, so the UID never reaches another program (a desktop
session, a terminal). Reading goes through a small seam (`open_device`, returning
a `KeyboardDevice`), so tests and the demo feed hand-made key events where
there is no /dev/input.
"""

from __future__ import annotations

import contextlib
import select
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from badge.decoders import KeyboardDecoder
from badge.reader import DeviceReader, ReaderConfigError
from badge.uid_formats import uid_reader

KeyEvent = tuple[int, int, int, float]  # type, code, value, timestamp


class KeyboardDevice(Protocol):
    def read_events(self, timeout: float) -> list[KeyEvent]:
        """Events that arrived within `timeout` seconds; raises OSError when the device is gone."""
        ...

    def close(self) -> None: ...


def as_key_events(events: Iterable[Any]) -> list[KeyEvent]:
    """evdev InputEvents as the decoder's (type, code, value, timestamp) tuples."""
    return [(event.type, event.code, event.value, event.timestamp()) for event in events]


class EvdevDevice:
    """A real input device through python-evdev, grabbed for exclusive use."""

    def __init__(self, path: str, grab: bool = True) -> None:
        import evdev  # imported here: only stations with such a reader need it

        self._device = evdev.InputDevice(path)
        if grab:
            self._device.grab()

    def read_events(self, timeout: float) -> list[KeyEvent]:
        ready, _, _ = select.select([self._device.fd], [], [], timeout)
        if not ready:
            return []
        try:
            return as_key_events(self._device.read())
        except BlockingIOError:
            return []

    def close(self) -> None:
        with contextlib.suppress(OSError):  # already unplugged: nothing to release
            self._device.ungrab()
        self._device.close()


class KeyboardReader(DeviceReader):
    kind = "keyboard"

    def __init__(
        self,
        *,
        device: str,
        grab: bool = True,
        name: str | None = None,
        gap: float = 1.0,
        max_key_gap: float = 0.3,
        uid_format: str = "hex",
        open_device: Callable[[], KeyboardDevice] | None = None,
    ) -> None:
        """`uid_format`: how the reader types the card's number (badge.uid_formats)."""
        try:
            self._read_uid = uid_reader(uid_format)
        except ValueError as error:
            raise ReaderConfigError(str(error)) from None
        super().__init__(name=name or f"keyboard:{device}", gap=gap)
        self.device, self.grab = device, grab
        self._open_device = open_device or (lambda: EvdevDevice(self.device, self.grab))
        self._max_key_gap = max_key_gap
        self._decoder = KeyboardDecoder(max_key_gap, self._read_uid)

    def _open(self) -> KeyboardDevice:
        device = self._open_device()
        self._decoder = KeyboardDecoder(self._max_key_gap, self._read_uid)
        return device

    def _read(self, device: KeyboardDevice) -> list[str]:
        return self._decoder.feed(device.read_events(0.1))
