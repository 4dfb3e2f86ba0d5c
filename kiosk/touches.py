"""What a touch on the station's screen does, and what the hub's answers to the events it
sent mean to the resident: a call seen, a card enrolled.

Touches come from the screen's server as words ("finish", "report:dirty", "sign_off:renew");
most are inputs of the state machine like taps, a few are moments of their own (a call, a
report) that write their event to the outbox before the screen says anything.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from common.protocol import DANGER_REASON, REPORT_CATEGORIES
from kiosk.outbox import new_event
from kiosk.state import Input

if TYPE_CHECKING:
    from kiosk.agent import Station

log = logging.getLogger("kiosk")


class Touches:
    def __init__(self, station: Station) -> None:
        self.station = station

    def on_touch(self, touch: str) -> None:
        """A touch on the screen: the same inputs as taps, or a call, or a report."""
        station = self.station
        log.info("touch %s (%s)", touch, station.state.value)
        action, _, detail = touch.partition(":")
        if action == "call":
            self._call()
        elif action == "report":
            self._report(detail)
        elif action == "confirm":
            station.apply(Input.TOUCH_CONFIRM)
        elif action == "finish":
            station.apply(Input.TOUCH_FINISH)
        elif action == "handover" and station.prompt and station.prompt.kind == "handover":
            station.apply(Input.TOUCH_HANDOVER)
        elif action == "sign_off" and station.prompt and station.prompt.kind == "sign_off":
            station.prompt.choice = detail if detail in ("level_up", "renew") else "renew"
            station.apply(Input.TOUCH_SIGN_OFF)
        elif action == "want" and station.prompt and station.prompt.kind == "sign_off":
            wanting = station.prompt.decision  # a trained référent: the machine next
            if wanting is not None and wanting.code == "granted":
                station.apply(Input.TOUCH_WANT, decision=wanting)
        elif action in ("cancel", "keep"):
            station.apply(Input.TOUCH_CANCEL)

    def _call(self) -> None:
        station = self.station
        person = station.session.person if station.session else None
        event = new_event("call", **({"person": person} if person else {}))
        if station.outbox.keep(event):
            station.pending_call = station.call_unseen = event["id"]
            station.show.call_sent(station.session)

    def _report(self, category: str) -> None:
        station = self.station
        if category not in REPORT_CATEGORIES:
            station.show.report_choices(station.session)
            return
        person = station.session.person if station.session else None
        event = new_event("report", category=category, **({"person": person} if person else {}))
        station.outbox.keep(event)
        if category == "dangerous":  # out of service here and now, without waiting for the hub
            station.danger_report = event["id"]
            station.stop_reason = "danger"
            station.show.out_of_service_here(DANGER_REASON)
            station.apply(Input.DANGER_REPORTED)
        station.show.report_sent(station.session, category)

    def on_answer(self, answer: dict[str, Any]) -> None:
        """The hub took a batch: a call has reached it; a card someone was waiting for is
        enrolled; a dangerous report is known there (its list now says so)."""
        station = self.station
        done = set(answer.get("accepted", [])) | set(answer.get("duplicates", []))
        if station.pending_call in done:
            station.pending_call = None
            station.show.call_received(station.session)
        if station.danger_report in done:
            station.danger_report = None
        for note in (answer.get("notes") or {}).values():
            if isinstance(note, dict) and note.get("enrolled"):
                station.show.enrolled(str(note["enrolled"]))
