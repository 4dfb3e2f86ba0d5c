"""What each action of the state machine does: the station's hands.

The agent (kiosk.agent) owns the state and the loop; a transition names actions, and this
runs them in order, each writing its event to the outbox before the machine moves, then
telling the presenter what the resident should see and hear. An action may return inputs
that follow at once (the last checklist item gives CHECKLIST_DONE).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any

from common.clock import add_months
from kiosk.decision import Decision
from kiosk.moments import ChecklistRun, Presence, Prompt
from kiosk.outbox import new_event
from kiosk.sessions import Waiting
from kiosk.state import Action, Input, State
from machines.base import Refused, Usage

if TYPE_CHECKING:
    from kiosk.agent import Station

log = logging.getLogger("kiosk")
GOODBYES = ("badge_out", "finished", "handover", "timeout", "idle", "absent", "stopped")


class Actions:
    def __init__(self, station: Station) -> None:
        self.station = station

    def run(
        self, action: Action, reason: str | None, decision: Decision | None, before: State
    ) -> list[Input] | None:
        method = getattr(self, action.value)
        return method(reason=reason, decision=decision, before=before)

    # --- before the machine unlocks ---------------------------------------------------------

    def begin_checklist(self, decision: Decision | None, **_: Any) -> list[Input] | None:
        assert decision is not None
        return self._checklist(decision, supervisor=None)

    def begin_supervised(self, decision: Decision | None, **_: Any) -> list[Input] | None:
        station = self.station
        waiting, station.waiting = station.waiting, None
        assert waiting is not None and decision is not None
        return self._checklist(waiting.decision, supervisor=decision.entry)

    def _checklist(self, decision: Decision, supervisor: Any) -> list[Input] | None:
        access, entry = self.station.access, decision.entry
        assert access is not None and entry is not None
        items = access.checklist()
        skip = entry.level == 3 and access.setting("checklist_skip_level3", True)
        seconds = float(access.setting("checklist_seconds", 90))
        run = ChecklistRun(decision, [] if skip else items, seconds, supervisor,
                           skipped=skip and bool(items))  # fmt: skip
        self.station.checklist = run
        if run.complete:
            return [Input.CHECKLIST_DONE]
        self.station.show.checklist_item(run)
        return None

    def next_item(self, **_: Any) -> list[Input] | None:
        run = self.station.checklist
        if run is None:
            return None
        if run.confirm():
            return [Input.CHECKLIST_DONE]
        self.station.show.checklist_item(run)
        return None

    def drop_checklist(self, **_: Any) -> None:
        self.station.checklist = None

    # --- the session --------------------------------------------------------------------------

    def start_session(self, **_: Any) -> list[Input] | None:
        station = self.station
        run, station.checklist = station.checklist, None
        assert run is not None and run.decision.entry is not None
        entry = run.decision.entry
        supervisor = run.supervisor.person if run.supervisor else None
        record = run.record() if run.items or run.skipped else None
        try:
            session = station.sessions.begin(run.decision, supervisor, checklist=record)
        except sqlite3.Error as problem:
            # No session without its record: the machine stays locked, the resident is told,
            # and the next tap tries again (room comes back as the hub takes the events).
            station.fault(
                "disk_error", f"cannot record the session, machine kept locked: {problem}"
            )
            station.show.refused("cannot_record", entry)
            return [Input.SESSION_CLOSED]
        try:
            station.controller.unlock(session.id)
        except Refused as refused:
            station.session = session
            self._end("fault", refused=refused)
            station.show.refused("refused_by_machine", entry, detail=refused.detail or refused.code)
            return [Input.SESSION_CLOSED]
        station.session = session
        machine = station.access.machine if station.access else {}
        station.presence = Presence.for_machine(
            machine.get("kind", ""), machine.get("settings") or {}, time.monotonic()
        )
        log.info("machine unlocked for session %s", session.id)
        station.show.granted(session, station.settings.max_session_minutes * 60)
        return None

    def end_session(self, reason: str | None, **_: Any) -> list[Input] | None:
        return self._end(reason or "badge_out")

    def _end(self, reason: str, refused: Refused | None = None) -> list[Input] | None:
        station = self.station
        session = station.session
        station.prompt = station.presence = None
        if session is None:
            return [Input.SESSION_CLOSED]
        if reason == "stopped" and station.cancel_print:
            station.cancel_print = False
            station.controller.cancel_job()
        usage = Usage() if refused else station.controller.lock(reason)
        log.info("machine locked (%s)", reason)
        if usage is None:  # a print goes on; the session ends with it (SessionOver)
            station.show.print_continues(session)
            return None
        self.session_ended(session.id, reason, usage)
        return [Input.SESSION_CLOSED]

    def session_ended(self, session_id: str, reason: str, usage: Usage) -> None:
        station = self.station
        session = station.session
        if session is None or session.id != session_id:
            return
        station.session = None
        station.sessions.end(session, reason, usage)
        if reason in GOODBYES:
            station.show.goodbye(session, time.monotonic() - session.started, reason)

    def await_supervisor(self, decision: Decision | None, **_: Any) -> None:
        station = self.station
        assert decision is not None and decision.entry is not None
        station.waiting = Waiting(decision.uid, decision)
        station.outbox.keep(
            new_event("denied", reason="needs_supervisor", person=decision.entry.person)
        )
        station.show.awaiting(
            decision.entry, station.waiting.since + station.settings.supervisor_window_seconds
        )

    def cancel_wait(self, **_: Any) -> None:
        self.station.waiting = None

    def refuse(self, reason: str | None, decision: Decision | None, before: State,
               **_: Any) -> None:  # fmt: skip
        station = self.station
        code = reason or (decision.code if decision else "refused")
        entry = decision.entry if decision else None
        if entry is not None:
            station.outbox.keep(new_event("denied", reason=code, person=entry.person))
        elif decision is not None and station.access is not None:
            # A card nobody owns (whatever else is wrong): its UID lets the facilitator enrol it.
            station.outbox.keep(new_event("unknown_badge", uid=decision.uid))
        holder = station.session if code == "machine_busy" else None
        station.show.refused(code, entry, in_use=before is State.IN_USE, holder=holder)

    def warn(self, **_: Any) -> None:
        station = self.station
        if hasattr(station.controller, "warn"):
            station.controller.warn(True)
        session = station.session
        if session is not None:
            limit = session.started + station.settings.max_session_minutes * 60
            station.show.warning(session, station.settings.warning_minutes, limit)

    # --- during the session -----------------------------------------------------------------

    def ask_presence(self, **_: Any) -> None:
        station = self.station
        if station.presence is not None and station.session is not None:
            station.presence.ask(time.monotonic())
            station.show.presence(station.session, 1)

    def presence_ok(self, **_: Any) -> None:
        if self.station.presence is not None:
            self.station.presence.answered(time.monotonic())

    def offer_handover(self, decision: Decision | None, **_: Any) -> None:
        station = self.station
        assert decision is not None and station.session is not None
        station.prompt = Prompt("handover", decision)
        station.show_state(prompt=True)

    def handover(self, **_: Any) -> list[Input] | None:
        """The holder lets the one waiting take over: their session ends, the next begins,
        and a relay keeps the power on."""
        station = self.station
        prompt, station.prompt = station.prompt, None
        old = station.session
        if prompt is None or prompt.kind != "handover" or old is None:
            return None
        decision = prompt.decision
        assert decision is not None and decision.entry is not None
        listed = station.access is not None and bool(station.access.checklist())
        skipped = {"seconds": 0.0, "items": [], "skipped": True} if listed else None
        try:
            new = station.sessions.begin(decision, None, checklist=skipped)
        except sqlite3.Error as problem:
            station.fault("disk_error", f"cannot record the session: {problem}")
            return None
        usage = station.controller.handover(new.id) or Usage()
        log.info("handover from session %s to %s", old.id, new.id)
        station.sessions.end(old, "handover", usage)
        station.show.goodbye(old, time.monotonic() - old.started, "handover")
        station.session = new
        station.show.granted(new, station.settings.max_session_minutes * 60)
        return None

    def offer_sign_off(self, decision: Decision | None, **_: Any) -> None:
        station = self.station
        assert decision is not None and station.session is not None
        station.prompt = Prompt("sign_off", decision)
        station.show_state(prompt=True)

    def sign_off(self, **_: Any) -> None:
        """A référent validated a step at the machine: one level up, or the training renewed.
        The event waits in the outbox if the hub is away; the station lets the resident go on
        at the new level at once."""
        station = self.station
        prompt, station.prompt = station.prompt, None
        session, access = station.session, station.access
        if prompt is None or prompt.kind != "sign_off" or session is None or access is None:
            return
        signer = prompt.decision.entry if prompt.decision else None
        entry = access.lookup(session.uid)
        if signer is None or entry is None or entry.level is None:
            return
        level = min(3, entry.level + 1) if prompt.choice == "level_up" else entry.level
        station.outbox.keep(new_event("sign_off", person=session.person, by=signer.person,
                                      action=prompt.choice or "renew", level=level,
                                      session=session.id))  # fmt: skip
        months = (access.skill or {}).get("validity_months")
        valid_until = add_months(date.today(), months) if months else None
        station.access = access.with_entry(
            session.uid, replace(entry, level=level, valid_until=valid_until,
                                 last_practice=date.today()))  # fmt: skip
        session.level = level
        station.show.sign_off_done(session, signer, level, prompt.choice or "renew")

    def dismiss(self, **_: Any) -> None:
        self.station.prompt = None

    def start_countdown(self, reason: str | None, **_: Any) -> None:
        station = self.station
        if station.session is None or (station.prompt and station.prompt.kind == "countdown"):
            return
        station.prompt = Prompt("countdown", reason=station.stop_reason,
                                seconds=station.settings.stop_countdown_seconds)  # fmt: skip
        station.show_state(prompt=True)

    def take_next(self, **_: Any) -> None:
        """Someone was waiting for the machine when its holder left: their turn comes."""
        station = self.station
        prompt, station.prompt = station.prompt, None
        if prompt is not None and prompt.kind == "handover" and prompt.decision is not None:
            station.next_tap = prompt.decision

    def show(self, **_: Any) -> None:
        station = self.station
        if station.state is State.CHECKLIST and (station.checklist is None
                                                 or station.checklist.complete):  # fmt: skip
            return  # nothing to confirm: the session's screen comes at once
        station.show_state()
