"""Readers with no hardware: a text stream (standard input: one UID per line) and a queue.

`StdinReader` is for demos and the facilitator's desk: every line is one tap,
even the same UID twice (typing it again is badging out). `SimulatedReader`
is what tests and the demo drive directly, including faults.
"""

from __future__ import annotations

import queue
import select
import sys
from collections.abc import Iterator
from typing import TextIO

from badge.reader import Reader
from badge.taps import ReaderEvent, ReaderFault, ReaderRecovered, Tap
from badge.uid import InvalidUid, normalise_uid


class StdinReader(Reader):
    kind = "stdin"

    def __init__(self, *, stream: TextIO | None = None, name: str | None = None, gap: float = 0.0):
        super().__init__(name=name, gap=gap)
        self._stream = stream or sys.stdin

    def events(self) -> Iterator[ReaderEvent]:
        while not self.stopped:
            if not self._readable():
                continue
            line = self._stream.readline()
            if not line:
                return  # end of input
            text = line.strip()
            if not text:
                continue
            try:
                uid = normalise_uid(text)
            except InvalidUid as error:
                yield self._fault("invalid_uid", str(error))
                continue
            tap = self._tap_if_new(uid)
            if tap is not None:
                yield tap

    def _readable(self) -> bool:
        """Wait up to 0.1 s for input, so that stop() is noticed; plain files are always ready."""
        try:
            ready, _, _ = select.select([self._stream], [], [], 0.1)
        except (ValueError, TypeError, OSError):
            return True  # not a selectable stream (StringIO): just read
        return bool(ready)


class SimulatedReader(Reader):
    """A reader driven by code: `present(uid)`, `fail(code, message)`, `recover()`."""

    kind = "simulated"

    def __init__(self, *, name: str | None = None, gap: float = 0.0) -> None:
        super().__init__(name=name, gap=gap)
        self._queue: queue.Queue[ReaderEvent | str] = queue.Queue()

    def present(self, uid: str) -> None:
        self._queue.put(normalise_uid(uid))

    def fail(self, code: str, message: str = "simulated fault") -> None:
        self._queue.put(ReaderFault(code=code, message=message, reader=self.name))

    def recover(self) -> None:
        self._queue.put(ReaderRecovered(reader=self.name))

    def events(self) -> Iterator[ReaderEvent]:
        while not self.stopped:
            try:
                item = self._queue.get(timeout=0.1)
            except queue.Empty:
                continue
            if isinstance(item, str):
                tap: Tap | None = self._tap_if_new(item)
                if tap is not None:
                    yield tap
            else:
                yield item
