"""Running a reader in a thread and waiting for what it reports, with deadlines."""

from __future__ import annotations

import queue
import threading
import time
from typing import Any

from badge.reader import Reader


class RunningReader:
    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.events: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        for event in self.reader.events():
            self.events.put(event)

    def __enter__(self) -> RunningReader:
        self._thread.start()
        return self

    def connected(self, timeout: float = 5.0) -> RunningReader:
        """Wait until the reader has its device open (what is sent before that is lost)."""
        assert self.reader.connected.wait(timeout), "the reader never opened its device"
        return self

    def __exit__(self, *exc: object) -> None:
        self.reader.stop()
        self._thread.join(timeout=5)
        assert not self._thread.is_alive(), "the reader did not stop"

    def next(self, timeout: float = 5.0) -> Any:
        return self.events.get(timeout=timeout)

    def next_of(self, kind: type, timeout: float = 5.0) -> Any:
        """The next event of `kind`, skipping others; fails after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            event = self.events.get(timeout=max(0.0, deadline - time.monotonic()))
            if isinstance(event, kind):
                return event

    def quiet_for(self, seconds: float) -> list[Any]:
        """Everything reported during `seconds` (used to check that nothing more comes)."""
        deadline = time.monotonic() + seconds
        seen = []
        while (left := deadline - time.monotonic()) > 0:
            try:
                seen.append(self.events.get(timeout=left))
            except queue.Empty:
                break
        return seen
