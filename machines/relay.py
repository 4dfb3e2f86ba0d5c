"""Relay interlocks (gpiozero): the machine has power only during a session.

The relay is off from construction and on every way out: `lock()`, `close()`,
an exception in a `with` block, interpreter exit (atexit), and SIGTERM once
`exit_on_sigterm()` has turned it into a normal exit. Optional inputs:
- a busy sense (laser beam, sewing motor current), metered into busy seconds;
- permits that must be active to unlock (fume extractor running, lid closed);
  one that drops during a session cuts the power at once and reports a fault;
- a warning output (lamp or buzzer on the machine) before an automatic lock.
"""

from __future__ import annotations

import atexit
import contextlib
import signal
import sys
import threading
import time
from typing import Any

from gpiozero import OutputDevice

from machines.base import Activity, Controller, Fault, MachineState, Recovered, Refused, Usage
from machines.inputs import DebouncedInput


def pin_factory_from(value: Any) -> Any:
    """ "mock" gives gpiozero's MockFactory (simulation); an object is used as is; None: default."""
    if value == "mock":
        from gpiozero.pins.mock import MockFactory

        return MockFactory()
    return value


def exit_on_sigterm() -> None:
    """Make SIGTERM a normal exit, so `finally` blocks and atexit handlers switch relays off."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))


class RelayInterlock(Controller):
    kind = "relay"
    busy_settle = 0.05

    def __init__(
        self,
        *,
        pin: int | str,
        active_high: bool = True,
        busy_pin: int | str | None = None,
        busy_active_high: bool = True,
        permit_pins: dict[str, int | str] | None = None,
        permits_active_high: bool = True,
        warning_pin: int | str | None = None,
        settle: float | None = None,
        pin_factory: Any = None,
        panel: str | None = None,
    ) -> None:
        """`panel`: with simulated pins, a UNIX socket to drive and read them from outside
        (machines.mock_panel: the demo, the tests)."""
        super().__init__()
        factory = pin_factory_from(pin_factory)
        self.pin_factory = factory
        self._panel = None
        if panel is not None:
            from machines.mock_panel import MockPanel

            self._panel = MockPanel(factory, panel)
        self._lock = threading.RLock()
        self._closed = False
        # initial_value=False: the relay is driven off before anything else happens.
        self._relay = OutputDevice(
            pin, active_high=active_high, initial_value=False, pin_factory=factory
        )
        settle = self.busy_settle if settle is None else settle
        self._busy = (
            DebouncedInput(
                busy_pin,
                active_high=busy_active_high,
                settle=settle,
                pin_factory=factory,
                on_change=self._busy_changed,
            )
            if busy_pin is not None
            else None
        )
        self._permits = {
            name: DebouncedInput(
                permit,
                active_high=permits_active_high,
                settle=settle,
                pin_factory=factory,
                on_change=lambda active, at, name=name: self._permit_changed(name, active),
            )
            for name, permit in (permit_pins or {}).items()
        }
        self._warning = (
            OutputDevice(warning_pin, initial_value=False, pin_factory=factory)
            if warning_pin is not None
            else None
        )
        self._busy_total = 0.0
        self._busy_since: float | None = None
        self._last_activity = time.monotonic()
        atexit.register(self._close_at_exit)

    # --- the interface ------------------------------------------------------------------------

    def unlock(self, session: str) -> None:
        with self._lock:
            if self._closed:
                raise Refused("closed")
            missing = [name for name, permit in self._permits.items() if not permit.active]
            if missing:
                raise Refused("permit_missing", ", ".join(missing))
            self.session = session
            self._busy_total, self._busy_since = 0.0, None
            self._last_activity = time.monotonic()
            if self._busy is not None and self._busy.active:
                self._busy_since = time.monotonic()
            self._relay.on()
            self._set_state(MachineState.RUNNING if self._busy_since else MachineState.UNLOCKED)

    def lock(self, reason: str) -> Usage:
        with self._lock:
            self._relay.off()
            self.warn(False)
            usage = self.usage()
            self.session = None
            self._busy_since = None
            if self._state is not MachineState.FAULT:
                self._set_state(MachineState.LOCKED)
            return usage

    def handover(self, session: str) -> Usage:
        """The power stays on: only the meter starts again, for the new session."""
        with self._lock:
            if self.session is None:
                raise Refused("no_session")
            usage = self.usage()
            self.session = session
            self._busy_total, self._last_activity = 0.0, time.monotonic()
            self._busy_since = time.monotonic() if self._busy_since is not None else None
            return usage

    def usage(self) -> Usage:
        with self._lock:
            busy = self._busy_total
            if self._busy_since is not None:
                busy += time.monotonic() - self._busy_since
            return Usage(busy_seconds=busy)

    def quiet_for(self) -> float:
        """Seconds since the busy sense last changed (or the session began): for idle timeouts."""
        if self._busy is not None and self._busy.active:
            return 0.0
        return time.monotonic() - self._last_activity

    def warn(self, on: bool) -> None:
        if self._warning is not None and not self._closed:
            self._warning.value = on

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._relay.off()
            self._closed = True
            if self._panel is not None:
                self._panel.close()
            for device in (self._busy, *self._permits.values()):
                if device is not None:
                    device.close()
            if self._warning is not None:
                self._warning.off()
                self._warning.close()
            self._relay.close()
            self.session = None
            self._set_state(MachineState.LOCKED)
        atexit.unregister(self._close_at_exit)

    def __enter__(self) -> RelayInterlock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- inputs ---------------------------------------------------------------------------------

    def _busy_changed(self, active: bool, at: float) -> None:
        with self._lock:
            self._last_activity = at
            if self.session is None:
                return
            if active and self._busy_since is None:
                self._busy_since = at
                self._set_state(MachineState.RUNNING)
            elif not active and self._busy_since is not None:
                self._busy_total += max(0.0, at - self._busy_since)
                self._busy_since = None
                self._set_state(MachineState.UNLOCKED)
        self._emit(Activity(busy=active))

    def _permit_changed(self, name: str, active: bool) -> None:
        with self._lock:
            if not active and self.session is not None:
                self._relay.off()  # safety first: no power without the permit
                self._set_state(MachineState.FAULT)
                event: Fault | Recovered | None = Fault(
                    "permit_lost", f"{name} stopped during the session"
                )
            elif active and self._state is MachineState.FAULT and self.session is None:
                if all(permit.active for permit in self._permits.values()):
                    self._set_state(MachineState.LOCKED)
                    event = Recovered()
                else:
                    event = None
            else:
                event = None
        if event is not None:
            self._emit(event)

    def _close_at_exit(self) -> None:
        with contextlib.suppress(Exception):  # the interpreter is going: do what can be done
            self.close()


class LaserCutter(RelayInterlock):
    """A laser cutter: the beam-on signal is metered; the fume extractor (and the lid, if
    wired) must be running before the laser gets power."""

    kind = "laser"

    def __init__(
        self,
        *,
        pin: int | str,
        beam_pin: int | str | None = None,
        extractor_pin: int | str | None = None,
        lid_pin: int | str | None = None,
        **options: Any,
    ) -> None:
        permits = {
            name: permit
            for name, permit in (("extractor", extractor_pin), ("lid", lid_pin))
            if permit is not None
        }
        super().__init__(pin=pin, busy_pin=beam_pin, permit_pins=permits, **options)


class SewingStation(RelayInterlock):
    """A sewing machine: a current sense on the motor meters real sewing. Current sensors
    chatter as the motor starts, so the sense must hold still longer before it counts."""

    kind = "sewing"
    busy_settle = 0.2

    def __init__(self, *, pin: int | str, motor_pin: int | str | None = None, **options: Any):
        super().__init__(pin=pin, busy_pin=motor_pin, **options)
