"""The station agent: taps and touches in, decisions out, sessions kept, events shipped.

One loop owns the state: it takes inputs from a queue (taps from the reader thread, touches
from the screen's server, machine events, new access lists and acknowledgements from the
hub's threads) and its own timers, looks up the transition in `kiosk.state`, and has
`kiosk.actions` carry out the actions. A tap is decided from the in-memory access list: no
network, no waiting.

Durability: a session's start (and every refusal, fault, job, call, report, sign-off) is in
the outbox before the machine is touched (`kiosk.sessions`); the hub is talked to from other
threads only (`kiosk.hub_link`).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from badge.reader import Reader, build_reader
from badge.taps import ReaderFault, ReaderRecovered, Tap
from kiosk import watchdog
from kiosk.access import AccessList, AccessListInvalid, AccessListStore
from kiosk.actions import Actions
from kiosk.config import KioskConfig
from kiosk.decision import Decision, can_supervise, decide
from kiosk.feedback import Feedback
from kiosk.hub_client import HubClient
from kiosk.hub_link import HubLink
from kiosk.moments import ChecklistRun, Presence, Prompt
from kiosk.outbox import Outbox, new_event
from kiosk.presenter import build_presenter, print_line
from kiosk.screens import Place
from kiosk.sessions import ALIVE_EVERY, Session, SessionBook, Waiting
from kiosk.state import Input, State, classify_tap, transition
from kiosk.touches import Touches
from machines.base import (
    Activity,
    Controller,
    Fault,
    JobUpdate,
    Recovered,
    SessionOver,
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
        self.inbox: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.show = build_presenter(
            config, feedback or Feedback(**config.feedback), line,
            on_touch=lambda touch: self.inbox.put(("touch", touch)),
        )  # fmt: skip
        self.sessions = SessionBook(self.outbox)
        self.actions = Actions(self)
        self.touches = Touches(self)
        self.state = State.IDLE
        self.session: Session | None = None
        self.waiting: Waiting | None = None
        self.checklist: ChecklistRun | None = None
        self.presence: Presence | None = None
        self.prompt: Prompt | None = None
        self.next_tap: Decision | None = None
        self.stop_reason = ""  # why the facilitator stops the session now
        self.cancel_print = False  # and whether a print stops with it (their word only)
        self.pending_call: str | None = None  # a call the hub has not acknowledged yet
        self.call_unseen: str | None = None  # a call the facilitator has not seen yet
        self.danger_report: str | None = None  # a "dangerous" the hub has not heard yet
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
        self.show.set_place(Place.from_access_list(self.access), self.access)
        log.info("machine locked at start (%s)", self.controller.state.value)
        if self.access is not None:
            log.info("access list %s: %d badges (kept on disk)", self.access.etag,
                     len(self.access.entries))  # fmt: skip

    # --- start and stop -----------------------------------------------------------------------

    def _load_access_list(self) -> AccessList | None:
        try:
            return self.store.load()
        except AccessListInvalid as problem:
            self.fault("access_list_damaged", str(problem))
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
            lambda answer: self.inbox.put(("answer", answer)),
        )
        self.show.start()
        if self.access is not None and self.access.out_of_service:
            self.apply(Input.OUT_OF_SERVICE)
        self.show_state()
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
                self.fault(item.code, item.message)
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
        elif kind == "touch":
            self.touches.on_touch(str(item))
        elif kind == "answer":
            self.touches.on_answer(item)

    def on_tap(self, uid: str) -> None:
        today = date.today()
        decision = decide(self.access, uid, today)
        # A référent's badge matters to someone waiting for one, or during a session.
        supervisor = self.state in (State.AWAITING_SUPERVISOR, State.IN_USE) and (
            can_supervise(self.access, uid, today) is not None
        )
        holder = next((who.uid for who in (self.session, self.waiting) if who), None)
        if self.checklist is not None:
            holder = self.checklist.decision.uid
        confirming = self.checklist is not None or bool(self.presence and self.presence.asked_at)
        event = classify_tap(self.state, decision.code, holder == uid, supervisor,
                             working=self.controller.working, confirming=confirming)  # fmt: skip
        who = decision.entry.person if decision.entry else f"uid={uid}"
        log.info("decision %s %s (%s)", decision.log_code, who, event.value)
        self.apply(event, decision=decision)

    def on_machine_event(self, event: Any) -> None:
        if isinstance(event, Fault):
            self.fault(event.code, event.message, machine=True)
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
        elif isinstance(event, Activity):
            log.info("machine %s", "working" if event.busy else "resting")
        elif isinstance(event, SessionOver):
            log.info("session over: %s", event.reason)
            self.actions.session_ended(event.session, event.reason, event.usage)
            self.apply(Input.SESSION_CLOSED)

    def on_access_list(self, fresh: AccessList) -> None:
        self.access = fresh
        if self.show.set_place(Place.from_access_list(fresh), fresh):
            self.show_state()  # the machine's name, whom to ask... changed
        log.info("access list %s: %d badges", fresh.etag, len(fresh.entries))
        if self.call_unseen is not None and self.call_unseen in fresh.calls_seen:
            self.call_unseen = None
            self.show.call_seen(self.session)
        session = self.session
        if session is not None and session.person in fresh.stop_now:
            self.stop_reason = "training"  # the facilitator stopped their training: now
            self.apply(Input.STOP_NOW)
        self._follow_service()

    def _follow_service(self) -> None:
        """Out of service at the hub (or after a dangerous report here), or back in service."""
        access = self.access
        out = bool(access and access.out_of_service) or self.danger_report is not None
        if out and self.state is State.IN_USE:
            if access is not None and access.out_of_service and access.stops_at_once:
                self.cancel_print = access.cancels_print
                self.stop_reason = "cancel" if self.cancel_print else "out_of_service"
                self.apply(Input.STOP_NOW)  # a countdown; "at the end" waits for the end
        elif out and self.state is not State.OUT_OF_SERVICE:
            self.apply(Input.OUT_OF_SERVICE)
        elif not out and self.state is State.OUT_OF_SERVICE:
            self.apply(Input.BACK_IN_SERVICE)

    # --- timers -------------------------------------------------------------------------------

    def _until_next_timer(self) -> float:
        if self.session or self.waiting or self.checklist:
            return 0.25
        return min(ALIVE_EVERY, watchdog.watchdog_interval() or ALIVE_EVERY)

    def _check_timers(self) -> None:
        now = time.monotonic()
        settings = self.settings
        if self.waiting and now - self.waiting.since >= settings.supervisor_window_seconds:
            self.apply(Input.SUPERVISOR_TIMEOUT, decision=self.waiting.decision)
        if self.checklist is not None and now >= self.checklist.deadline:
            self.apply(Input.CHECKLIST_TIMEOUT, decision=self.checklist.decision)
        session = self.session
        if session is not None and self.state is State.IN_USE:
            self._session_timers(session, now)
        if self.session is not None:
            self.sessions.still_alive()

    def _session_timers(self, session: Session, now: float) -> None:
        settings, presence, prompt = self.settings, self.presence, self.prompt
        elapsed = now - session.started
        limit = settings.max_session_minutes * 60
        if prompt is not None and now >= prompt.until:
            self.apply(Input.COUNTDOWN_OVER if prompt.kind == "countdown" else Input.TOUCH_CANCEL)
        elif elapsed >= limit:
            self.apply(Input.MAX_DURATION)
        elif not session.warned and elapsed >= limit - settings.warning_minutes * 60:
            session.warned = True
            self.apply(Input.WARNING_DUE)
        elif presence is not None and presence.overdue(now):
            self.apply(Input.PRESENCE_TIMEOUT)
        elif presence is not None and presence.due(now):
            self.apply(Input.PRESENCE_DUE)
        elif presence is not None and presence.asked_at is not None:
            self.show.presence(session, presence.stage(now))  # amber, then red, then sound
        elif self._idle_too_long():
            self.apply(Input.IDLE_TIMEOUT)

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
            follow_ups += self.actions.run(action, step.reason, decision, before) or []
        for follow_up in follow_ups:
            self.apply(follow_up)
        if self.state is State.IDLE and self.next_tap is not None:
            decision_next, self.next_tap = self.next_tap, None  # decided and logged already
            self.apply(Input.TAP_GRANTED, decision=decision_next)
        if self.state is State.IDLE:
            self._follow_service()  # out of service "at the end of the session": now

    def show_state(self, prompt: bool = False) -> None:
        """The state's screen; `prompt`: a question just asked, with its signal and voice."""
        (self.show.prompt if prompt else self.show.state)(
            self.state,
            session=self.session,
            waiting=self.waiting,
            checklist=self.checklist,
            prompt=self.prompt,
            presence=self.presence,
            max_seconds=self.settings.max_session_minutes * 60,
            window=self.settings.supervisor_window_seconds,
        )

    # --- faults -------------------------------------------------------------------------------

    def fault(self, code: str, text: str, machine: bool = False) -> None:
        log.error("fault %s: %s", code, text)
        self.outbox.keep(new_event("fault", code=code[:40], message=text[:500]))
        if machine:
            self.apply(Input.MACHINE_FAULT)
