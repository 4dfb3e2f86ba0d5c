"""The station agent: taps in, decisions out, sessions kept, events shipped.

One loop owns the state: it takes inputs from a queue (taps from the reader
thread, machine events, new access lists from the sync thread) and its own
timers, looks up the transition in `kiosk.state`, and carries out the actions.
A tap is decided from the in-memory access list: no network, no waiting.

Durability: a session's start (and every refusal, fault, job event) is in the
outbox before the machine is touched (`kiosk.sessions`); the hub is talked to
from other threads only (`kiosk.hub_link`).
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from badge.reader import Reader, build_reader
from badge.taps import ReaderFault, ReaderRecovered, Tap
from kiosk import watchdog
from kiosk.access import AccessList, AccessListInvalid, AccessListStore
from kiosk.config import KioskConfig
from kiosk.decision import Decision, can_supervise, decide
from kiosk.feedback import Feedback
from kiosk.hub_client import HubClient
from kiosk.hub_link import HubLink
from kiosk.outbox import Outbox, new_event
from kiosk.presenter import build_presenter, print_line
from kiosk.screens import Place
from kiosk.sessions import ALIVE_EVERY, Session, SessionBook, Waiting
from kiosk.state import Action, Input, State, classify_tap, transition
from machines.base import (
    Controller,
    Fault,
    JobUpdate,
    Recovered,
    Refused,
    SessionOver,
    Usage,
    build_controller,
)

log = logging.getLogger("kiosk")


class Station:
    def __init__(
        self,
        config: KioskConfig,
        *,
        reader: Reader | None = None,
        controller: Controller | None = None,
        feedback: Feedback | None = None,
        line: Callable[[str], None] = print_line,
    ) -> None:
        """`line`: where the words of each screen go as text (standard output: the journal)."""
        self.config = config
        self.settings = config.station
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        # The machine first: a relay is driven off before anything else can go wrong.
        self.controller = controller or build_controller(**config.machine)
        self.outbox = Outbox(
            self.settings.data_dir / "outbox.db",
            max_bytes=int(self.settings.outbox_max_megabytes * 1024 * 1024),
        )
        self.store = AccessListStore(self.settings.data_dir)
        self.reader = reader or build_reader(**config.reader)
        self.show = build_presenter(config, feedback or Feedback(**config.feedback), line)
        self.sessions = SessionBook(self.outbox)
        self.inbox: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.state = State.IDLE
        self.session: Session | None = None
        self.waiting: Waiting | None = None
        self.next_tap: tuple[str, Decision] | None = None
        self.access: AccessList | None = None
        self.stop_event = threading.Event()
        self.hub = HubLink(
            HubClient(
                config.hub_url, config.hub_token, config.hub_timeout_seconds, config.hub_ca_file
            ),
            self.outbox,
            self.store,
            heartbeat_seconds=self.settings.heartbeat_seconds,
            outbox_fault_depth=self.settings.outbox_fault_depth,
            stop=self.stop_event,
        )
        self.access = self._load_access_list()
        self.show.set_place(Place.from_access_list(self.access))
        log.info("machine locked at start (%s)", self.controller.state.value)
        if self.access is not None:
            log.info("access list %s: %d badges (kept on disk)", self.access.etag,
                     len(self.access.entries))  # fmt: skip

    # --- start and stop -----------------------------------------------------------------------

    def _load_access_list(self) -> AccessList | None:
        try:
            return self.store.load()
        except AccessListInvalid as problem:
            self._fault("access_list_damaged", str(problem))
            return None

    def run(self) -> None:
        self.sessions.recover_interrupted()
        self.controller.subscribe(lambda event: self.inbox.put(("machine", event)))
        threading.Thread(target=self._pump_reader, name="reader", daemon=True).start()
        self.hub.start(
            self.access.etag if self.access else None,
            lambda fresh: self.inbox.put(("access", fresh)),
            lambda: self.state.value,
            lambda reachable: self.inbox.put(("hub", reachable)),
        )
        self.show.start()
        if self.access is not None and self.access.out_of_service:
            self.apply(Input.OUT_OF_SERVICE)
        self._show_state()
        log.info("station ready: %s", self.config.machine.get("kind"))
        watchdog.notify("READY=1")
        beat_every, last_beat = watchdog.watchdog_interval(), 0.0
        try:
            while not self.stop_event.is_set():
                if beat_every and time.monotonic() - last_beat >= beat_every:
                    watchdog.notify("WATCHDOG=1")  # the loop is turning
                    last_beat = time.monotonic()
                try:
                    kind, item = self.inbox.get(timeout=self._until_next_timer())
                    self._handle(kind, item)
                except queue.Empty:
                    pass
                self._check_timers()
        finally:
            self.shutdown()

    def stop(self) -> None:
        self.stop_event.set()
        self.reader.stop()

    def shutdown(self) -> None:
        """Close the session (reason shutdown) and leave the machine safe. Idempotent."""
        if getattr(self, "_shut", False):
            return
        self._shut = True
        watchdog.notify("STOPPING=1")
        self.stop_event.set()
        self.reader.stop()
        try:
            self.apply(Input.SHUTDOWN)
        finally:
            self.controller.close()
            self.show.close()
            self.hub.last_flush()

    # --- inputs -------------------------------------------------------------------------------

    def _pump_reader(self) -> None:
        for event in self.reader.events():
            self.inbox.put(("reader", event))
        self.inbox.put(("reader_done", None))

    def _handle(self, kind: str, item: Any) -> None:
        if kind == "reader":
            if isinstance(item, Tap):
                self.on_tap(item.uid)
            elif isinstance(item, ReaderFault):
                self._fault(item.code, item.message)
            elif isinstance(item, ReaderRecovered):
                log.info("reader working again")
        elif kind == "reader_done":
            log.info("the reader has no more input")
        elif kind == "machine":
            self.on_machine_event(item)
        elif kind == "access":
            self.on_access_list(item)
        elif kind == "hub":
            self.show.set_offline(not item)

    def on_tap(self, uid: str) -> None:
        today = date.today()
        decision = decide(self.access, uid, today)
        # Only someone waiting for a référent makes a supervisor's badge matter.
        supervisor = self.state is State.AWAITING_SUPERVISOR and (
            can_supervise(self.access, uid, today) is not None
        )
        holder = (self.session and self.session.uid == uid) or (
            self.waiting and self.waiting.uid == uid
        )
        event = classify_tap(self.state, decision.code, bool(holder), supervisor)
        who = decision.entry.person if decision.entry else f"uid={uid}"
        log.info("decision %s %s (%s)", decision.log_code, who, event.value)
        self.apply(event, decision=decision)

    def on_machine_event(self, event: Any) -> None:
        if isinstance(event, Fault):
            self._fault(event.code, event.message, machine=True)
        elif isinstance(event, Recovered):
            log.info("machine fault cleared")
            self.apply(Input.FAULT_CLEARED)
        elif isinstance(event, JobUpdate):
            fields = {
                key: value
                for key, value in (
                    ("session", event.session),
                    ("file", event.file),
                    ("progress", event.progress),
                    ("print_time_seconds", event.print_time_seconds),
                    ("filament_mm", event.filament_mm),
                )
                if value is not None
            }
            self.outbox.keep(new_event("job", state=event.state, **fields))
            progress = f" {event.progress:.0f}%" if event.progress is not None else ""
            log.info("print job %s%s", event.state, progress)
        elif isinstance(event, SessionOver):
            log.info("session over: %s", event.reason)
            self._session_ended(event.session, event.reason, event.usage)
            self.apply(Input.SESSION_CLOSED)

    def on_access_list(self, fresh: AccessList) -> None:
        was_out = self.access.out_of_service if self.access else False
        self.access = fresh
        if self.show.set_place(Place.from_access_list(fresh)):
            self._show_state()  # the machine's name, whom to ask... changed
        log.info("access list %s: %d badges", fresh.etag, len(fresh.entries))
        if fresh.out_of_service and not was_out:
            self.apply(Input.OUT_OF_SERVICE)
        elif was_out and not fresh.out_of_service:
            self.apply(Input.BACK_IN_SERVICE)

    # --- timers -------------------------------------------------------------------------------

    def _until_next_timer(self) -> float:
        if self.session or self.waiting:
            return 0.25
        return min(ALIVE_EVERY, watchdog.watchdog_interval() or ALIVE_EVERY)

    def _check_timers(self) -> None:
        now = time.monotonic()
        settings = self.settings
        if self.waiting and now - self.waiting.since >= settings.supervisor_window_seconds:
            self.apply(Input.SUPERVISOR_TIMEOUT, decision=self.waiting.decision)
        session = self.session
        if session is not None and self.state is State.IN_USE:
            elapsed = now - session.started
            limit = settings.max_session_minutes * 60
            if elapsed >= limit:
                self.apply(Input.MAX_DURATION)
            elif not session.warned and elapsed >= limit - settings.warning_minutes * 60:
                session.warned = True
                self.apply(Input.WARNING_DUE)
            elif self._idle_too_long():
                self.apply(Input.IDLE_TIMEOUT)
        if self.session is not None:
            self.sessions.still_alive()

    def _idle_too_long(self) -> bool:
        """The busy sense (beam, motor) has been quiet longer than the idle limit."""
        limit = self.settings.idle_minutes
        quiet_for = getattr(self.controller, "quiet_for", None)
        return bool(limit and quiet_for and quiet_for() >= limit * 60)

    # --- transitions --------------------------------------------------------------------------

    def apply(self, event: Input, decision: Decision | None = None) -> None:
        step = transition(self.state, event)
        follow_ups: list[Input] = []
        before = self.state
        self.state = step.next
        for action in step.actions:
            follow_ups += self._do(action, step.reason, decision, before) or []
        for follow_up in follow_ups:
            self.apply(follow_up)
        if self.state is State.IDLE and self.next_tap is not None:
            _, decision_next = self.next_tap  # a handover: the tap already decided and logged
            self.next_tap = None
            self.apply(Input.TAP_GRANTED, decision=decision_next)

    def _do(
        self, action: Action, reason: str | None, decision: Decision | None, before: State
    ) -> list[Input] | None:
        if action is Action.START_SESSION:
            return self._start(decision, supervisor=None)
        if action is Action.START_SUPERVISED:
            waiting, self.waiting = self.waiting, None
            assert waiting is not None and decision is not None
            return self._start(waiting.decision, supervisor=decision.entry)
        if action is Action.END_SESSION:
            return self._end(reason or "badge_out")
        if action is Action.AWAIT_SUPERVISOR:
            assert decision is not None
            self.waiting = Waiting(decision.uid, decision)
            self.outbox.keep(
                new_event("denied", reason="needs_supervisor", person=decision.entry.person)
            )
            self.show.awaiting(
                decision.entry, self.waiting.since + self.settings.supervisor_window_seconds
            )
        elif action is Action.CANCEL_WAIT:
            self.waiting = None
        elif action is Action.REFUSE:
            self._refuse(reason, decision, in_use=before is State.IN_USE)
        elif action is Action.WARN:
            if hasattr(self.controller, "warn"):
                self.controller.warn(True)
            session = self.session
            if session is not None:
                limit = session.started + self.settings.max_session_minutes * 60
                self.show.warning(session, self.settings.warning_minutes, limit)
        elif action is Action.TAKE_NEXT:
            assert decision is not None
            self.next_tap = (decision.uid, decision)
        elif action is Action.SHOW:
            self._show_state()
        return None

    def _show_state(self) -> None:
        self.show.state(
            self.state,
            session=self.session,
            waiting=self.waiting,
            max_seconds=self.settings.max_session_minutes * 60,
            window=self.settings.supervisor_window_seconds,
        )

    def _start(self, decision: Decision | None, supervisor: Any) -> list[Input] | None:
        assert decision is not None and decision.entry is not None
        entry = decision.entry
        try:
            session = self.sessions.begin(decision, supervisor.person if supervisor else None)
        except sqlite3.Error as problem:
            # No session without its record: the machine stays locked, the resident is told,
            # and the next tap tries again (room comes back as the hub takes the events).
            self._fault("disk_error", f"cannot record the session, machine kept locked: {problem}")
            self.show.refused("cannot_record", entry)
            return [Input.SESSION_CLOSED]
        try:
            self.controller.unlock(session.id)
        except Refused as refused:
            self.session = session
            self._end("fault", refused=refused)
            self.show.refused("refused_by_machine", entry, detail=refused.detail or refused.code)
            return [Input.SESSION_CLOSED]
        self.session = session
        log.info("machine unlocked for session %s", session.id)
        self.show.granted(session, self.settings.max_session_minutes * 60)
        return None

    def _end(self, reason: str, refused: Refused | None = None) -> list[Input] | None:
        session = self.session
        if session is None:
            return [Input.SESSION_CLOSED]
        usage = Usage() if refused else self.controller.lock(reason)
        log.info("machine locked (%s)", reason)
        if usage is None:  # a print goes on; the session ends with it (SessionOver)
            self.show.print_continues(session)
            return None
        self._session_ended(session.id, reason, usage)
        return [Input.SESSION_CLOSED]

    def _session_ended(self, session_id: str, reason: str, usage: Usage) -> None:
        session = self.session
        if session is None or session.id != session_id:
            return
        self.session = None
        self.sessions.end(session, reason, usage)
        if reason in ("badge_out", "handover", "timeout", "idle"):
            self.show.goodbye(session, time.monotonic() - session.started, reason)

    def _refuse(self, reason: str | None, decision: Decision | None, in_use: bool) -> None:
        code = reason or (decision.code if decision else "refused")
        entry = decision.entry if decision else None
        if entry is not None:
            self.outbox.keep(new_event("denied", reason=code, person=entry.person))
        elif decision is not None and self.access is not None:
            # A card nobody owns (whatever else is wrong): its UID lets the facilitator enrol it.
            self.outbox.keep(new_event("unknown_badge", uid=decision.uid))
        self.show.refused(code, entry, in_use=in_use)

    # --- faults -------------------------------------------------------------------------------

    def _fault(self, code: str, text: str, machine: bool = False) -> None:
        log.error("fault %s: %s", code, text)
        self.outbox.keep(new_event("fault", code=code[:40], message=text[:500]))
        if machine:
            self.apply(Input.MACHINE_FAULT)
