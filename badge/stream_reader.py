"""Readers with no hardware: a text stream (standard input: one UID per line) and a queue.

`StdinReader` is for demos and the facilitator's desk: every line is one tap,
even the same UID twice (typing it again is badging out). `SimulatedReader`
is what tests and the demo drive directly, including faults.
"""

from __future__ import annotations

import os
import queue
import select
import sys
from collections.abc import Iterator
from typing import TextIO

from badge.reader import Reader
from badge.taps import ReaderEvent, ReaderFault, ReaderRecovered, Tap
from common.uid import InvalidUid, normalise_uid


class StdinReader(Reader):
    kind = "stdin"

    def __init__(self, *, stream: TextIO | None = None, name: str | None = None, gap: float = 0.0):
        super().__init__(name=name, gap=gap)
        self._stream = stream or sys.stdin

    def events(self) -> Iterator[ReaderEvent]:
        for line in self._lines():
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

    def _lines(self) -> Iterator[str]:
        """Lines as they arrive, noticing stop() within 0.1 s.

        On a real file descriptor (a terminal, a pipe) this reads the descriptor
        itself: a buffered text stream would swallow several lines at once and
        leave select() waiting for more while they sit in its buffer.
        """
        try:
            fd = self._stream.fileno()
        except (AttributeError, OSError, ValueError):
            yield from iter(self._stream.readline, "")  # StringIO and the like
            return
        pending = b""
        while not self.stopped:
            ready, _, _ = select.select([fd], [], [], 0.1)
            if not ready:
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                if pending:
                    yield pending.decode("utf-8", "replace")
                return  # end of input
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                yield line.decode("utf-8", "replace")


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
