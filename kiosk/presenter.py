"""Everything the resident perceives, from one place: lights and buzzer, the screen, the voice,
and the line the station's log (and the demo's console) shows.

The agent decides first, then tells the presenter; every call here returns at once (pins
blink in gpiozero's threads, the screen server and the voice have their own), so a closed
browser or a missing speaker never changes or delays a decision. Owned by the agent's loop.

A state has its own screen (the machine waiting, a session running...); a moment (a
refusal, a goodbye) shows its screen for a few seconds, then the state's screen returns.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from typing import Any

from kiosk import screens
from kiosk.config import KioskConfig
from kiosk.feedback import Feedback
from kiosk.state import State

log = logging.getLogger("kiosk")


def print_line(text: str) -> None:
    print(f"» {text}", file=sys.stdout, flush=True)


def wall_ms(monotonic: float) -> int:
    """A moment of the monotonic clock as epoch milliseconds, for the page's timers."""
    return int((time.time() - (time.monotonic() - monotonic)) * 1000)


def build_presenter(
    config: KioskConfig, feedback: Feedback, line: Callable[[str], None] = print_line
) -> Presenter:
    """Lights and buzzer always; the screen and the voice when configured. A screen that
    cannot be served (its port taken) is said in the log, and the station goes on without."""
    screen = voice = None
    if config.screen is not None:
        from kiosk.screen_server import ScreenServer

        try:
            screen = ScreenServer(config.screen.port, blank_minutes=config.screen.blank_minutes)
        except OSError as problem:
            log.error(
                "screen: cannot serve on port %d (%s); going on without",
                config.screen.port,
                problem,
            )
    if config.voice is not None:
        from kiosk.voice import Voice, parse_quiet_hours

        settings = config.voice
        voice = Voice(
            config.station.data_dir / "voice",
            volume=settings.volume,
            quiet_hours=parse_quiet_hours(settings.quiet_hours),
            player=settings.player,
        )
    return Presenter(feedback, screen=screen, voice=voice, line=line)


class Presenter:
    def __init__(
        self,
        feedback: Feedback,
        *,
        screen: Any = None,
        voice: Any = None,
        line: Callable[[str], None] = print_line,
    ) -> None:
        self.feedback, self.screen, self.voice, self.line = feedback, screen, voice, line
        self.place = screens.Place()
        self.base: screens.Screen | None = None
        self.passing: tuple[screens.Screen, int] | None = None  # a moment's screen, shown at
        self.offline = False

    # --- the states ----------------------------------------------------------------------------

    def state(
        self,
        state: State,
        *,
        session: Any = None,
        waiting: Any = None,
        max_seconds: float = 0,
        window: float = 0,
    ) -> None:
        """Show `state` (lights, and its screen when it changed)."""
        self.feedback.state(state)
        base = self._state_screen(state, session, waiting, max_seconds, window)
        if base != self.base:
            self.base = base
            self._show(base, spoken=base.spoken and state in (State.FAULT,))

    def _state_screen(
        self, state: State, session: Any, waiting: Any, max_seconds: float, window: float
    ) -> screens.Screen:
        place = self.place
        if state is State.IN_USE and session is not None:
            since = wall_ms(session.started)
            until = since + int(max_seconds * 1000)
            if session.warned:  # the end is near: the warning stays until the end
                left = (until - time.time() * 1000) / 60_000
                return screens.warning(place, session, max(0.0, left), until)
            return screens.in_use(
                place, session, since, until, supervised=session.supervisor is not None
            )
        if state is State.AWAITING_SUPERVISOR and waiting is not None:
            until = wall_ms(waiting.since + window)
            return screens.awaiting_supervisor(place, waiting.decision.entry, until)
        if state is State.ENDING:
            if session is None:  # ended already: the next state's screen comes at once
                return self.base or screens.idle(place)
            return screens.ending_print(place, session.language or "fr")
        if state is State.FAULT:
            return screens.fault(place)
        if state is State.OUT_OF_SERVICE:
            return screens.out_of_service(place)
        return screens.idle(place)

    # --- the moments ---------------------------------------------------------------------------

    def granted(self, session: Any, max_seconds: float) -> None:
        """The machine is unlocked: lights, beep, and the session's screen, spoken."""
        self.feedback.granted()
        since = wall_ms(session.started)
        self.base = screens.in_use(
            self.place,
            session,
            since,
            since + int(max_seconds * 1000),
            supervised=session.supervisor is not None,
        )
        self.passing = None
        self._show(self.base, spoken=True)

    def awaiting(self, entry: Any, until_monotonic: float) -> None:
        self.feedback.waiting()
        self.base = screens.awaiting_supervisor(self.place, entry, wall_ms(until_monotonic))
        self.passing = None
        self._show(self.base, spoken=True)

    def refused(self, code: str, entry: Any = None, detail: str = "", in_use: bool = False) -> None:
        self.feedback.refused(in_use=in_use)
        self._pass(screens.refused(self.place, code, entry, detail))

    def warning(self, session: Any, minutes: float, until_monotonic: float) -> None:
        """The session ends soon: this screen stays, counting down, until it does."""
        self.feedback.warning()
        self.base = screens.warning(self.place, session, minutes, wall_ms(until_monotonic))
        self.passing = None
        self._show(self.base, spoken=True)

    def goodbye(self, session: Any, seconds: float, reason: str) -> None:
        self._pass(screens.goodbye(self.place, session, seconds, reason))

    def print_continues(self, session: Any) -> None:
        self.feedback.state(State.ENDING)
        self.base = screens.ending_print(self.place, session.language or "fr")
        self._show(self.base, spoken=True)

    def set_place(self, place: screens.Place) -> bool:
        """A new access list: the machine's name, its skill, whom to ask may have changed.
        True when it did: the state's screen must be drawn again."""
        if place == self.place:
            return False
        self.place = place
        self.base = None
        return True

    def set_offline(self, offline: bool) -> None:
        if offline != self.offline:
            self.offline = offline
            log.info("screen: hub %s", "unreachable (decisions go on)" if offline else "back")
            self._publish()

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        for part in (self.screen, self.voice):
            if part is not None:
                part.start()

    def close(self) -> None:
        self.feedback.close()
        for part in (self.screen, self.voice):
            if part is not None:
                part.close()

    # --- out -----------------------------------------------------------------------------------

    def _pass(self, screen: screens.Screen) -> None:
        self.passing = (screen, int(time.time() * 1000))
        self._show(screen, spoken=True)

    def _show(self, screen: screens.Screen, spoken: bool) -> None:
        words = screen.spoken_text()
        self.line(words)
        if spoken and self.voice is not None:
            self.voice.say(screen.language, words)
        self._publish()

    def _publish(self) -> None:
        if self.screen is None or self.base is None:
            return
        message = {"after": self.base.render(self.offline)}
        if self.passing is not None:
            screen, shown_at = self.passing
            if time.time() * 1000 - shown_at < (screen.hold or 0) * 1000:
                message["view"] = {**screen.render(self.offline), "shown_at": shown_at}
            else:
                self.passing = None
        message.setdefault("view", message["after"])
        self.screen.publish(message)
