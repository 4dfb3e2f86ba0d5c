"""A station's sessions on disk: who holds the machine, written before the machine moves.

A session's start and the open-session journal entry go to the outbox in one commit (one
fsync) before the relay closes; its end is written just after the machine is locked (its
usage is known only then). The journal's `alive_at`, refreshed every few seconds, lets a
restart after a crash close the session as `interrupted` at the last moment the agent knew
it was alive.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kiosk.decision import Decision
from kiosk.outbox import Outbox, new_event
from machines.base import Usage

log = logging.getLogger("kiosk")
ALIVE_EVERY = 5.0


@dataclass
class Session:
    id: str
    uid: str
    person: str
    first_name: str
    level: int | None
    supervisor: str | None
    language: str | None = None
    hours_before: float = 0.0  # practice on the skill before this session (the list's)
    started: float = field(default_factory=time.monotonic)
    warned: bool = False


@dataclass
class Waiting:
    """A Découverte badge waiting for a référent's."""

    uid: str
    decision: Decision
    since: float = field(default_factory=time.monotonic)


class SessionBook:
    """Writes sessions to the outbox; raises sqlite3.Error when a start cannot be kept."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self._last_alive = 0.0

    def begin(
        self, decision: Decision, supervisor: str | None, checklist: dict[str, Any] | None = None
    ) -> Session:
        """Keep a new session's start on disk (with the checklist confirmed before it);
        sqlite3.Error means it must not start."""
        entry = decision.entry
        assert entry is not None
        session = Session(
            id=str(uuid.uuid4()),
            uid=decision.uid,
            person=entry.person,
            first_name=entry.first_name,
            level=entry.level,
            supervisor=supervisor,
            language=entry.language,
            hours_before=entry.hours or 0.0,
        )
        optional = {"level": session.level, "supervisor": session.supervisor,
                    "checklist": checklist}  # fmt: skip
        started = new_event(
            "session_started",
            session=session.id,
            person=session.person,
            **{key: value for key, value in optional.items() if value is not None},
        )
        journal = {
            "session": {"id": session.id, "person": session.person, "started_at": started["at"]},
            "alive_at": started["at"],
        }
        self.outbox.append(started, journal=journal)
        self._last_alive = time.monotonic()
        return session

    def end(self, session: Session, reason: str, usage: Usage) -> None:
        ended = new_event(
            "session_ended",
            session=session.id,
            person=session.person,
            reason=reason,
            busy_seconds=round(usage.busy_seconds, 3),
        )
        self.outbox.keep(ended, journal={"session": None})

    def still_alive(self) -> None:
        """Called from the loop while a session is open: at most one write per ALIVE_EVERY."""
        now = time.monotonic()
        if now - self._last_alive >= ALIVE_EVERY:
            self._last_alive = now
            self.outbox.journal_set("alive_at", _now_iso())

    def recover_interrupted(self) -> None:
        """A session found open at start was cut by a crash or a power cut: close it."""
        open_session: dict[str, Any] | None = self.outbox.journal_get("session")
        if open_session is None:
            return
        alive = self.outbox.journal_get("alive_at") or open_session["started_at"]
        self.outbox.keep(
            new_event(
                "session_ended",
                at=datetime.fromisoformat(max(alive, open_session["started_at"])),
                session=open_session["id"],
                person=open_session["person"],
                reason="interrupted",
            ),
            journal={"session": None},
        )
        log.warning("session %s was interrupted; closed at %s", open_session["id"], alive)


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
