"""Simulated twins of the serial and keyboard-style readers, shared by tests and the demo.

`SimulatedSerialPort` is a pseudo-terminal behind a stable path (a symlink,
as udev gives /dev/ttyUSB0): the real SerialReader opens it like a device.
It can be unplugged and plugged back. `SimulatedKeyboard` stands behind the
KeyboardReader's device seam, typing UIDs as key events, and can vanish too.
The MFRC522's twin is `badge.fake_mfrc522`.
"""

from __future__ import annotations

import contextlib
import os
import queue
import time
import tty
from collections.abc import Iterable
from pathlib import Path

from badge.decoders import EV_KEY, KEY_DOWN, KeyboardDecoder, Rdm6300Decoder
from badge.uid_formats import as_sent

KEY_UP = 0


class SimulatedSerialPort:
    """A USB serial reader that is a pty; `present()` sends what the real reader would."""

    def __init__(self, path: str | Path, protocol: str = "rdm6300") -> None:
        self.path = Path(path)
        self.protocol = protocol
        self._fds: tuple[int, int] | None = None
        self.plug()

    def plug(self) -> None:
        """Connect the adapter: a new pty appears behind `path`."""
        if self._fds is not None:
            return
        master, slave = os.openpty()
        tty.setraw(slave)
        self._fds = (master, slave)
        temporary = self.path.with_name(self.path.name + ".new")
        temporary.unlink(missing_ok=True)
        temporary.symlink_to(os.ttyname(slave))
        temporary.replace(self.path)

    def unplug(self) -> None:
        """Pull the adapter out: the device goes away and its path disappears."""
        self.path.unlink(missing_ok=True)
        if self._fds is not None:
            for fd in self._fds:
                os.close(fd)
            self._fds = None

    def send(self, data: bytes) -> None:
        if self._fds is None:
            raise OSError("the simulated reader is unplugged")
        os.write(self._fds[0], data)

    def frame(self, uid: str) -> bytes:
        if self.protocol == "rdm6300":
            return Rdm6300Decoder.encode(uid)
        return uid.encode() + b"\r\n"

    def present(self, uid: str) -> None:
        self.send(self.frame(uid))

    def close(self) -> None:
        self.unplug()


class SimulatedKeyboard:
    """A keyboard-style reader for KeyboardReader(open_device=...): `type_uid()`, `unplug()`."""

    def __init__(self) -> None:
        self._events: queue.Queue[list[tuple[int, int, int, float]]] = queue.Queue()
        self.plugged = True
        self.opened = 0

    def open(self) -> SimulatedKeyboard:
        if not self.plugged:
            raise FileNotFoundError(2, "No such device (simulated keyboard unplugged)")
        self.opened += 1
        return self

    def send(self, events: Iterable[tuple[int, int, int, float]]) -> None:
        self._events.put(list(events))

    def type_uid(self, uid: str, interval: float = 0.002, uid_format: str = "hex") -> None:
        """Press and release each key of the card `uid` as a reader in `uid_format` writes it
        (badge.uid_formats), then Enter."""
        now = time.monotonic()
        events = []
        for index, code in enumerate(KeyboardDecoder.key_codes(as_sent(uid, uid_format))):
            at = now + index * interval
            events += [(EV_KEY, code, KEY_DOWN, at), (EV_KEY, code, KEY_UP, at + interval / 2)]
        self.send(events)

    def unplug(self) -> None:
        self.plugged = False

    def plug(self) -> None:
        self.plugged = True

    # The KeyboardDevice side, used by the reader.
    def read_events(self, timeout: float) -> list[tuple[int, int, int, float]]:
        if not self.plugged:
            raise OSError(19, "No such device")
        with contextlib.suppress(queue.Empty):
            return self._events.get(timeout=timeout)
        return []

    def close(self) -> None:
        pass
