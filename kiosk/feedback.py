"""The station's lights and buzzer: green, red and amber LEDs and a beeper (gpiozero).

Every call returns at once: gpiozero blinks and beeps in its own background
threads, so feedback never delays a decision. Without pins (a desk, a demo)
there is nothing to drive; the screen and the voice are `kiosk.presenter`'s.
"""

from __future__ import annotations

import logging
from typing import Any

from gpiozero import LED, Buzzer

from kiosk.state import State
from machines.relay import pin_factory_from

log = logging.getLogger("kiosk.feedback")


class Feedback:
    def __init__(
        self,
        *,
        green_pin: int | str | None = None,
        red_pin: int | str | None = None,
        amber_pin: int | str | None = None,
        buzzer_pin: int | str | None = None,
        pin_factory: Any = None,
    ) -> None:
        factory = pin_factory_from(pin_factory)

        def led(pin: int | str | None) -> LED | None:
            return LED(pin, pin_factory=factory) if pin is not None else None

        self.green, self.red, self.amber = led(green_pin), led(red_pin), led(amber_pin)
        self.buzzer = Buzzer(buzzer_pin, pin_factory=factory) if buzzer_pin is not None else None

    def _lights(self, green: str = "off", red: str = "off", amber: str = "off") -> None:
        shown = []
        for name, device, pattern in (
            ("green", self.green, green),
            ("red", self.red, red),
            ("amber", self.amber, amber),
        ):
            if device is None:
                continue
            shown.append(f"{name}={pattern.split(':')[0]}")
            if pattern == "on":
                device.on()
            elif pattern == "off":
                device.off()
            else:  # "blink:ON:OFF:N" (N = 0 means until told otherwise)
                on, off, count = pattern.split(":")[1:]
                device.blink(float(on), float(off), int(count) or None, background=True)
        if shown:  # the journal (and the demo's console) can tell what the lights showed
            log.info("lights %s", " ".join(shown))

    def _beep(self, on: float, off: float, count: int) -> None:
        if self.buzzer is not None:
            self.buzzer.beep(on, off, count, background=True)
            log.info("buzzer %d beep(s)", count)

    def granted(self) -> None:
        self._lights(green="on")
        self._beep(0.1, 0.1, 1)

    def refused(self, *, in_use: bool = False) -> None:
        self._lights(green="on" if in_use else "off", red="blink:0.2:0.2:3")
        self._beep(0.1, 0.1, 2)

    def waiting(self) -> None:
        self._lights(amber="blink:0.5:0.5:0")
        self._beep(0.05, 0.1, 1)

    def warning(self) -> None:
        self._lights(green="on", amber="blink:0.15:0.15:0")
        self._beep(0.15, 0.15, 3)

    def state(self, state: State) -> None:
        """Steady signals for a state: green in use, red in fault, slow red out of service."""
        patterns = {
            State.IDLE: {},
            State.IN_USE: {"green": "on"},
            State.AWAITING_SUPERVISOR: {"amber": "blink:0.5:0.5:0"},
            State.CHECKLIST: {"amber": "blink:0.5:0.5:0"},
            State.ENDING: {"amber": "on"},
            State.FAULT: {"red": "on"},
            State.OUT_OF_SERVICE: {"red": "blink:1:1:0"},
        }
        self._lights(**patterns[state])

    def close(self) -> None:
        for device in (self.green, self.red, self.amber, self.buzzer):
            if device is not None:
                device.close()
