"""A budget for long polls, so that waiting stations can never take the threads the pages and
the events need.

Each waiting poll holds one of the server's threads. At most `per_station` polls wait per
station token (a station needs one; a stolen token gets two, not fifty), and at most
`total` wait in all; beyond that the hub answers at once, 429 with a Retry-After, which the
station takes as "the hub is busy" and retries after a pause.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager


class Busy(Exception):
    """No room to wait; the message says for whom."""


class LongPollBudget:
    def __init__(self, per_station: int = 2, total: int = 24) -> None:
        self.per_station, self.total = per_station, total
        self._lock = threading.Lock()
        self._waiting: Counter[int] = Counter()

    @contextmanager
    def slot(self, machine_id: int) -> Iterator[None]:
        """Hold a place to wait for `machine_id`, or raise Busy at once."""
        with self._lock:
            if self._waiting[machine_id] >= self.per_station:
                raise Busy(f"this station already has {self.per_station} requests waiting")
            if sum(self._waiting.values()) >= self.total:
                raise Busy("the hub has as many stations waiting as it serves")
            self._waiting[machine_id] += 1
        try:
            yield
        finally:
            with self._lock:
                self._waiting[machine_id] -= 1
                if not self._waiting[machine_id]:
                    del self._waiting[machine_id]

    @property
    def waiting(self) -> int:
        with self._lock:
            return sum(self._waiting.values())
