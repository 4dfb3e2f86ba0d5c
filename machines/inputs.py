"""Debounced digital inputs: a sense line is believed only once it has held still.

gpiozero's `bounce_time` depends on the pin backend (mock pins ignore it),
and motor noise makes phantom edges. Here every edge restarts one timer; when
the line has been still for `settle` seconds, its level is taken as the new
state, dated at the edge that started it, so metering stays exact.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from gpiozero import DigitalInputDevice


class DebouncedInput:
    def __init__(
        self,
        pin: int | str,
        *,
        active_high: bool = True,
        settle: float = 0.05,
        pin_factory: object = None,
        on_change: Callable[[bool, float], None] | None = None,
    ) -> None:
        self._device = DigitalInputDevice(
            pin, pull_up=None, active_state=active_high, pin_factory=pin_factory
        )
        self.settle = settle
        self._on_change = on_change
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._edge_at = time.monotonic()
        self.active = bool(self._device.value)
        self._device.when_activated = self._edge
        self._device.when_deactivated = self._edge

    def _edge(self) -> None:
        with self._lock:
            self._edge_at = time.monotonic()
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(self.settle, self._settled)
            self._timer.daemon = True
            self._timer.start()

    def _settled(self) -> None:
        with self._lock:
            level, at = bool(self._device.value), self._edge_at
            if level == self.active:
                return
            self.active = level
        if self._on_change is not None:
            self._on_change(level, at)

    def close(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
        self._device.close()
