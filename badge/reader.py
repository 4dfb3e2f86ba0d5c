"""One interface for every badge reader, and the factory that builds one from configuration.

A reader's `events()` yields taps (debounced), faults and recoveries until
`stop()` is called; it never raises for a hardware problem, it reports it and
keeps trying. Kinds register themselves by subclassing with a `kind`, so the
factory has no list of readers to keep in step.
"""

from __future__ import annotations

import contextlib
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Generator, Iterator
from typing import Any, ClassVar

from badge.taps import Debouncer, ReaderEvent, ReaderFault, ReaderRecovered, Tap


class ReaderConfigError(ValueError):
    """A reader configuration that cannot work; the message names the option."""


class Reader(ABC):
    kind: ClassVar[str]
    registry: ClassVar[dict[str, type[Reader]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        kind = cls.__dict__.get("kind")
        if kind:
            Reader.registry[kind] = cls

    def __init__(self, *, name: str | None = None, gap: float = 1.0) -> None:
        self.name = name or self.kind
        self._debouncer = Debouncer(gap)
        self._stopped = threading.Event()

    @abstractmethod
    def events(self) -> Iterator[ReaderEvent]:
        """Taps, faults and recoveries, as they happen, until `stop()`."""

    def stop(self) -> None:
        """Ask `events()` to finish; it returns within a fraction of a second."""
        self._stopped.set()

    def probe(self) -> str:
        """What an installer is told by `fablab-kiosk check`: the reader, once it is known to
        answer; raises (OSError...) with the reason when it does not."""
        return self.name

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def _tap_if_new(self, uid: str) -> Tap | None:
        now = time.monotonic()
        if self._debouncer.is_new_tap(uid, now):
            return Tap(uid=uid, reader=self.name, monotonic=now)
        return None

    def _fault(self, code: str, message: str) -> ReaderFault:
        return ReaderFault(code=code, message=message, reader=self.name)

    def _recovered(self) -> ReaderRecovered:
        return ReaderRecovered(reader=self.name)


class DeviceReader(Reader):
    """A reader on a device that can vanish (USB unplugged, SPI error).

    The loop is the same for all of them: open; read; on a device error report
    one fault, close, and reopen with back-off; on success after a fault report
    the recovery. Subclasses say how to open, read and close, and which
    exceptions mean "the device is gone".
    """

    device_errors: ClassVar[tuple[type[BaseException], ...]] = (OSError,)
    device: str

    def __init__(self, *, name: str | None = None, gap: float = 1.0) -> None:
        super().__init__(name=name, gap=gap)
        self.connected = threading.Event()  # set while the device is open and answering

    @abstractmethod
    def _open(self) -> Any:
        """Open the device; raise one of `device_errors` if it is not there."""

    @abstractmethod
    def _read(self, handle: Any) -> list[str]:
        """UIDs of the complete reads that arrived, waiting at most ~0.1 s for some."""

    def _close(self, handle: Any) -> None:
        handle.close()

    def probe(self) -> str:
        """Open the device and close it again: a reader that is configured is not yet wired."""
        try:
            handle = self._open()
        except self.device_errors as error:
            raise OSError(f"cannot open {self.device}: {error}") from None
        self._close_quietly(handle)
        return f"{self.name}, {self.device} answers"

    def events(self) -> Iterator[ReaderEvent]:
        handle = yield from self._connect(faulted=False)
        try:
            while handle is not None and not self.stopped:
                try:
                    uids = self._read(handle)
                except self.device_errors as error:
                    self.connected.clear()
                    yield self._fault("reader_unplugged", f"{self.device} stopped: {error}")
                    self._close_quietly(handle)
                    handle = None
                    handle = yield from self._connect(faulted=True)
                    continue
                for uid in uids:
                    tap = self._tap_if_new(uid)
                    if tap is not None:
                        yield tap
        finally:
            self.connected.clear()
            if handle is not None:
                self._close_quietly(handle)

    def _connect(self, *, faulted: bool) -> Generator[ReaderEvent, None, Any]:
        """Open the device, retrying with back-off; None if stopped first.

        Yields one fault while the device is missing, and a recovery once it
        opens after a fault.
        """
        backoff = Backoff()
        while not self.stopped:
            try:
                handle = self._open()
            except self.device_errors as error:
                if not faulted:
                    faulted = True
                    yield self._fault("reader_unplugged", f"cannot open {self.device}: {error}")
                backoff.wait(self._stopped)
                continue
            self.connected.set()
            if faulted:
                yield self._recovered()
            return handle
        return None

    def _close_quietly(self, handle: Any) -> None:
        with contextlib.suppress(*self.device_errors):
            self._close(handle)


class Backoff:
    """Waits between attempts to reopen a device: 0.25 s, doubling, at most `ceiling`."""

    def __init__(self, first: float = 0.25, ceiling: float = 5.0) -> None:
        self.first, self.ceiling = first, ceiling
        self.delay = first

    def wait(self, stopped: threading.Event) -> None:
        stopped.wait(self.delay)
        self.delay = min(self.delay * 2, self.ceiling)

    def reset(self) -> None:
        self.delay = self.first


def build_reader(kind: str, **options: Any) -> Reader:
    """Build a reader of `kind` ("stdin", "serial", "keyboard", "mfrc522"...) from its options."""
    # Importing the modules registers their kinds; none of them needs hardware to import.
    from badge import keyboard_reader, mfrc522_reader, serial_reader, stream_reader  # noqa: F401

    try:
        cls = Reader.registry[kind]
    except KeyError:
        known = ", ".join(sorted(Reader.registry))
        raise ReaderConfigError(f"unknown reader kind {kind!r}; expected one of {known}") from None
    try:
        return cls(**options)
    except TypeError as error:
        raise ReaderConfigError(f"reader {kind!r}: {error}") from None
