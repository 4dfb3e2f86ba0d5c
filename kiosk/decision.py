"""Deciding a tap from the local access list: no network, no disk, a few microseconds.

Each refusal has a stable code (sent to the hub, logged as `denied:CODE`); what the
resident is shown and told for it is `kiosk.screens`'.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from common.training import lapse
from kiosk.access import AccessList, Entry


@dataclass(frozen=True)
class Decision:
    code: str
    uid: str
    entry: Entry | None = None

    @property
    def allowed(self) -> bool:
        return self.code in ("granted", "needs_supervisor")

    @property
    def log_code(self) -> str:
        return self.code if self.allowed else f"denied:{self.code}"


def decide(access: AccessList | None, uid: str, today: date) -> Decision:
    if access is None:
        return Decision("no_access_list", uid)
    if access.out_of_service:
        return Decision("out_of_service", uid, access.lookup(uid))
    entry = access.lookup(uid)
    if entry is None:
        return Decision("unknown_badge", uid)
    if access.machine.get("kind") == "checkin":  # the entrance: every registered person is welcome
        return Decision("granted", uid, entry)
    return Decision(_training_status(access, entry, today), uid, entry)


def _training_status(access: AccessList, entry: Entry, today: date) -> str:
    if entry.level is None:
        return "not_trained"
    ended = lapse(entry.valid_until, entry.last_practice, access.inactivity_months, today)
    if ended is not None:
        return ended
    return "needs_supervisor" if entry.level == 1 else "granted"


def can_supervise(access: AccessList | None, uid: str, today: date) -> Entry | None:
    """The entry of a badge that may supervise a Découverte session here, else None:
    a référent (level 3) whose training is valid, or a facilitator's badge."""
    if access is None or access.out_of_service:
        return None
    entry = access.lookup(uid)
    if entry is None or not entry.supervisor:
        return None
    if entry.level is None:  # a facilitator, not trained here but allowed to supervise
        return entry
    return entry if _training_status(access, entry, today) == "granted" else None
