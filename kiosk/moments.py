"""The moments of a session that wait for someone's answer, as data with their own clocks: the
safety checklist before the machine unlocks, the presence check on machines that must not
run unattended, and the prompts of a running session (someone wants the machine, a référent
validates a step, the facilitator stops it). No I/O here: the agent asks what is due.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from common.protocol import PRESENCE_MINUTES
from kiosk.decision import Decision

PROMPT_SECONDS = 30.0  # a question nobody answers goes away
PRESENCE_GRACE_SECONDS = 60.0


@dataclass
class ChecklistRun:
    """One person going through the checklist; the relay stays open until the last item."""

    decision: Decision
    items: list[dict[str, Any]]
    seconds: float
    supervisor: Any = None  # the référent's entry, for a Découverte session
    skipped: bool = False
    started: float = field(default_factory=time.monotonic)
    confirmed: list[float] = field(default_factory=list)  # seconds from the start, per item

    @property
    def deadline(self) -> float:
        return self.started + self.seconds

    @property
    def current(self) -> int:
        return len(self.confirmed)

    @property
    def complete(self) -> bool:
        return self.current >= len(self.items)

    def confirm(self, now: float | None = None) -> bool:
        """The current item done; True when it was the last."""
        if not self.complete:
            self.confirmed.append(round((now or time.monotonic()) - self.started, 1))
        return self.complete

    def record(self) -> dict[str, Any]:
        """What goes with the session's start: how long it took, each item, when."""
        items = [{"text": item["text"].get("fr", ""), "seconds": seconds}
                 for item, seconds in zip(self.items, self.confirmed, strict=False)]  # fmt: skip
        total = self.confirmed[-1] if self.confirmed else 0.0
        return {"seconds": total, "items": items, **({"skipped": True} if self.skipped else {})}


@dataclass
class Presence:
    """Every `every` seconds, "are you there?"; unanswered for `grace` seconds, the end."""

    every: float
    grace: float = PRESENCE_GRACE_SECONDS
    next_ask: float = 0.0
    asked_at: float | None = None

    @classmethod
    def for_machine(cls, kind: str, settings: dict[str, Any], now: float) -> Presence | None:
        minutes = settings.get("presence_minutes", PRESENCE_MINUTES.get(kind))
        if not minutes:
            return None
        grace = float(settings.get("presence_grace_seconds", PRESENCE_GRACE_SECONDS))
        return cls(every=float(minutes) * 60, grace=grace, next_ask=now + float(minutes) * 60)

    def due(self, now: float) -> bool:
        return self.asked_at is None and now >= self.next_ask

    def overdue(self, now: float) -> bool:
        return self.asked_at is not None and now >= self.asked_at + self.grace

    def stage(self, now: float) -> int:
        """0 not asked; 1 asked (amber); 2 halfway (red); 3 the last quarter (the buzzer)."""
        if self.asked_at is None:
            return 0
        part = (now - self.asked_at) / self.grace
        return 1 if part < 0.5 else 2 if part < 0.75 else 3

    def ask(self, now: float) -> None:
        self.asked_at = now

    def answered(self, now: float) -> None:
        self.asked_at, self.next_ask = None, now + self.every


@dataclass
class Prompt:
    """A question on the screen during a session, or the countdown before a stop."""

    kind: str  # "handover", "sign_off", "countdown"
    decision: Decision | None = None  # the tap that asked (the one waiting, the référent)
    reason: str = ""
    since: float = field(default_factory=time.monotonic)
    choice: str | None = None  # the référent's: "level_up" or "renew"
    seconds: float = PROMPT_SECONDS  # before it goes (a question) or acts (a countdown)

    @property
    def until(self) -> float:
        return self.since + self.seconds
