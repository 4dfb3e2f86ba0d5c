"""Everything the resident perceives, from one place: lights and buzzer, the screen, the voice,
and the line the station's log (and the demo's console) shows.

The agent decides first, then tells the presenter; every call here returns at once (pins
blink in gpiozero's threads, the screen server and the voice have their own), so a closed
browser or a missing speaker never changes or delays a decision. Owned by the agent's loop.

A state has its own screen (the machine waiting, a session running, a question waiting for
its answer...); a moment (a refusal, a goodbye) shows its screen for a few seconds, then the
state's screen returns.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from kiosk import prompts, refusals, screens
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
    config: KioskConfig,
    feedback: Feedback,
    line: Callable[[str], None] = print_line,
    on_touch: Callable[[str], None] = lambda touch: None,
) -> Presenter:
    """Lights and buzzer always; the screen and the voice when configured. A screen that
    cannot be served (its port taken) is said in the log, and the station goes on without."""
    screen = voice = None
    if config.screen is not None:
        from kiosk.screen_server import ScreenServer

        try:
            screen = ScreenServer(config.screen.port, blank_minutes=config.screen.blank_minutes,
                                  on_touch=on_touch)  # fmt: skip
        except OSError as problem:
            log.error("screen: cannot serve on port %d (%s); going on without",
                      config.screen.port, problem)  # fmt: skip
    if config.voice is not None:
        from kiosk.voice import Voice, parse_quiet_hours

        settings = config.voice
        voice = Voice(config.station.data_dir / "voice", volume=settings.volume,
                      quiet_hours=parse_quiet_hours(settings.quiet_hours),
                      player=settings.player)  # fmt: skip
    return Guarded(Presenter(feedback, screen=screen, voice=voice, line=line))


class Guarded:
    """The presenter as the agent holds it: a mistake in drawing a screen is logged, and the
    decision it followed stands (the relay has moved already, the event is in the outbox)."""

    def __init__(self, inner: Presenter) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        part = getattr(self._inner, name)
        if not callable(part):
            return part

        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                return part(*args, **kwargs)
            except Exception:
                log.exception("screen: %s failed; the station goes on", name)
                return None

        return guarded


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
        self.access: Any = None
        self.base: screens.Screen | None = None
        self.passing: tuple[screens.Screen, int] | None = None  # a moment's screen, shown at
        self.offline = False
        self.urgency = 0  # of the presence check being asked

    # --- the states ----------------------------------------------------------------------------

    def state(self, state: State, **now: Any) -> None:
        """Show `state` (lights, and its screen when it changed). `now`: the session, the one
        waiting, the checklist, the prompt, the presence check, `max_seconds`, `window`."""
        self.feedback.state(state)
        presence = now.get("presence")
        if presence is None or presence.asked_at is None:
            self.urgency = 0
        base = self._state_screen(state, **now)
        if base != self.base:
            self.base = base
            self._show(base, spoken=base.spoken and state in (State.FAULT,))

    def _state_screen(
        self, state: State, *, session: Any = None, waiting: Any = None, checklist: Any = None,
        prompt: Any = None, presence: Any = None, max_seconds: float = 0, window: float = 0,
    ) -> screens.Screen:  # fmt: skip
        place = self.place
        if state is State.IN_USE and session is not None:
            return self._session_screen(session, prompt, presence, max_seconds)
        if state is State.CHECKLIST and checklist is not None and not checklist.complete:
            return prompts.checklist_item(place, checklist, wall_ms(checklist.deadline))
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

    def _session_screen(
        self, session: Any, prompt: Any, presence: Any, max_seconds: float
    ) -> screens.Screen:
        place = self.place
        if prompt is not None:
            until = wall_ms(prompt.until)
            entry = prompt.decision.entry if prompt.decision else None
            if prompt.kind == "handover" and entry is not None:
                return prompts.handover_offer(place, session, entry, until)
            if prompt.kind == "sign_off" and entry is not None:
                may_take = prompt.decision.code == "granted"
                return prompts.sign_off_offer(place, session, entry, session.level or 0, until,
                                              may_take)  # fmt: skip
            if prompt.kind == "countdown":
                return prompts.countdown(place, session, until, prompt.reason)
        if presence is not None and presence.asked_at is not None:
            until = wall_ms(presence.asked_at + presence.grace)
            return prompts.presence(place, session, max(1, self.urgency), until)
        since = wall_ms(session.started)
        until = since + int(max_seconds * 1000)
        if session.warned:  # the end is near: the warning stays until the end
            left = (until - time.time() * 1000) / 60_000
            return prompts.warning(place, session, max(0.0, left), until)
        return screens.in_use(
            place, session, since, until, supervised=session.supervisor is not None
        )

    # --- the moments ---------------------------------------------------------------------------

    def granted(self, session: Any, max_seconds: float) -> None:
        """The machine is unlocked: lights, beep, and the session's screen, spoken."""
        self.feedback.granted()
        self._steady(self._session_screen(session, None, None, max_seconds))

    def awaiting(self, entry: Any, until_monotonic: float) -> None:
        self.feedback.waiting()
        self._steady(screens.awaiting_supervisor(self.place, entry, wall_ms(until_monotonic)))

    def checklist_item(self, run: Any) -> None:
        self.feedback.waiting()
        self._steady(prompts.checklist_item(self.place, run, wall_ms(run.deadline)))

    def refused(
        self, code: str, entry: Any = None, detail: str = "", in_use: bool = False,
        holder: Any = None,
    ) -> None:  # fmt: skip
        self.feedback.refused(in_use=in_use)
        until = ""
        if holder is not None and self.base is not None and self.base.timer:
            until = datetime.fromtimestamp(self.base.timer["until"] / 1000).strftime("%H:%M")
        self._pass(refusals.refused(self.place, code, entry, detail, holder=holder, until=until))

    def warning(self, session: Any, minutes: float, until_monotonic: float) -> None:
        """The session ends soon: this screen stays, counting down, until it does."""
        self.feedback.warning()
        self._steady(prompts.warning(self.place, session, minutes, wall_ms(until_monotonic)))

    def presence(self, session: Any, urgency: int) -> None:
        """Are you there? Asked, then more urgent: amber, red, and the buzzer at the last."""
        if urgency == self.urgency:
            return
        self.urgency = urgency
        if urgency >= 3:
            self.feedback.warning()
        elif urgency == 2:
            self.feedback.refused(in_use=True)
        else:
            self.feedback.waiting()
        asked = self.base.countdown if self.base is not None and self.base.code == "presence" \
            else None  # fmt: skip
        until = asked or int(time.time() * 1000)
        self._steady(prompts.presence(self.place, session, urgency, until), spoken=urgency != 2)

    def prompt(self, state: State, **now: Any) -> None:
        """A question during the session (someone wants the machine, a step to validate) or
        the countdown of a stop: its signal, then its screen, spoken."""
        prompt = now.get("prompt")
        if prompt is not None and prompt.kind == "countdown":
            self.feedback.warning()
        else:
            self.feedback.waiting()
        self._steady(self._state_screen(state, **now))

    def sign_off_done(self, session: Any, signer: Any, level: int, choice: str) -> None:
        self.feedback.granted()
        self._pass(prompts.sign_off_done(self.place, session, signer, level, choice))

    def goodbye(self, session: Any, seconds: float, reason: str) -> None:
        self.urgency = 0
        self._pass(prompts.goodbye(self.place, session, seconds, reason, self.access))

    def print_continues(self, session: Any) -> None:
        self.feedback.state(State.ENDING)
        self._steady(screens.ending_print(self.place, session.language or "fr"))

    def call_sent(self, session: Any) -> None:
        self._pass(prompts.call_sent(self.place, session))

    def call_received(self, session: Any) -> None:
        self._pass(prompts.call_sent(self.place, session, received=True))

    def call_seen(self, session: Any) -> None:
        self.feedback.granted()
        self._pass(prompts.call_sent(self.place, session, seen=True))

    def report_choices(self, session: Any) -> None:
        self._pass(prompts.report_choices(self.place, session))

    def report_sent(self, session: Any, category: str) -> None:
        self._pass(prompts.report_sent(self.place, session, category))

    def enrolled(self, name: str) -> None:
        self.feedback.granted()
        self._pass(prompts.enrolled(self.place, name))

    def set_place(self, place: screens.Place, access: Any = None) -> bool:
        """A new access list: the machine's name, its skill, whom to ask may have changed.
        True when it did: the state's screen must be drawn again."""
        self.access = access
        if place == self.place:
            return False
        self.place = place
        self.base = None
        return True

    def out_of_service_here(self, reason: str) -> None:
        """Out of service by a report made here, before the hub's list says so (and why)."""
        from dataclasses import replace

        self.place = replace(self.place, out_of_service_reason=reason)
        self.base = None

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

    def _steady(self, screen: screens.Screen, spoken: bool = True) -> None:
        """A screen that stays until the state changes. It ends a passing screen, but for a
        goodbye just said: the one leaving reads it first (a handover, the next in line)."""
        self.base = screen
        if self.passing is not None:
            shown, at = self.passing
            if shown.code != "goodbye" or time.time() * 1000 - at > 1000:
                self.passing = None
        self._show(screen, spoken)

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
