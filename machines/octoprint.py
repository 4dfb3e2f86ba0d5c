"""3D printers through OctoPrint (octorest): a session lets its holder print.

OctoPrint has no per-user lock, so the controller enforces the rule by
watching: it polls the job every `poll_interval` seconds (slower when idle),
follows a session's prints (started, progress, done, failed, cancelled, with
print time and filament), and cancels a print that starts while nobody holds
a session (from OctoPrint's page or the printer's SD card).

Badging out during a print does not stop it: `lock()` returns None and the
session ends when the job does (a SessionOver event). OctoPrint unreachable
or restarting is a fault with retries and back-off; a print found running
when it comes back is followed, never cancelled: the controller's own
recovery touches no job. octorest's constructor calls the server, so the
client is built lazily and rebuilt after any failure.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import requests

from machines.base import (
    Controller,
    Fault,
    JobUpdate,
    MachineEvent,
    MachineState,
    Recovered,
    Refused,
    SessionOver,
    Usage,
)

log = logging.getLogger(__name__)
NETWORK_ERRORS = (RuntimeError, requests.RequestException, ValueError)
PROGRESS_STEP = 10.0  # report progress every 10 %


def classify(state_text: str) -> str:
    """OctoPrint's job state text, in the few classes that matter here."""
    text = state_text.lower()
    if "cancel" in text:
        return "cancelling"
    if any(word in text for word in ("printing", "pausing", "paused", "resuming", "finishing")):
        return "printing"
    if "starting" in text or "sending file" in text:
        return "printing"
    if text.startswith("operational"):
        return "ready"
    if "error" in text:
        return "error"
    if "offline" in text or "closed" in text:
        return "offline"
    return "connecting"


class Unreachable(Exception):
    pass


class OctoPrintPrinter(Controller):
    kind = "printer"

    def __init__(
        self,
        *,
        url: str,
        api_key: str,
        port: str | None = None,
        baudrate: int | None = None,
        poll_interval: float = 2.0,
        idle_poll_interval: float = 5.0,
        client_factory: Callable[[], Any] | None = None,
    ) -> None:
        super().__init__()
        self.url, self.port, self.baudrate = url, port, baudrate
        self.poll_interval, self.idle_poll_interval = poll_interval, idle_poll_interval
        self._client_factory = client_factory or (lambda: _octorest(url, api_key))
        self._client: Any = None
        self._lock = threading.RLock()
        self._observed = threading.Condition(self._lock)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._printer = "unknown"  # the last class seen: ready, printing, offline...
        self._job: dict[str, Any] | None = None  # the print being followed
        self._jobs: list[dict[str, Any]] = []  # finished prints of the current session
        self._cancel_asked = False
        self._recovering = True  # the first look (at start, after an outage) cancels nothing
        self._printer_lost = False  # a printer_offline/error fault waits for "ready" to clear
        self._ending: str | None = None  # why the session ends, while its print finishes
        self.requests = 0  # API calls made, for the polling-load benchmark
        self._thread = threading.Thread(target=self._follow, name="octoprint", daemon=True)
        self._thread.start()

    # --- the interface ------------------------------------------------------------------------

    def unlock(self, session: str) -> None:
        with self._lock:
            if self._state is MachineState.UNREACHABLE:
                raise Refused("printer_unreachable", self.url)
            if self._job is not None:
                raise Refused("printer_busy", self._job.get("file") or "")
            self.session, self._jobs = session, []
            self._set_state(MachineState.UNLOCKED)
            connect = self._printer in ("offline", "error", "unknown")
        if connect:
            self._connect_printer()
        self._wake.set()

    def lock(self, reason: str) -> Usage | None:
        with self._lock:
            if self.session is not None and self._job is not None:
                self._ending = reason  # the session ends with the print (SessionOver)
                if self._state is not MachineState.UNREACHABLE:  # the outage is still on
                    self._set_state(MachineState.FINISHING)
                return None
            usage = self.usage()
            self.session = None
            if self._state is not MachineState.UNREACHABLE:
                self._set_state(MachineState.LOCKED)
            return usage

    def usage(self) -> Usage:
        with self._lock:
            jobs = list(self._jobs)
            if self._job is not None and self._job["session"] == self.session:
                jobs.append(self._record(self._job, "printing"))
            busy = sum(job.get("print_time_seconds") or 0 for job in jobs)
            return Usage(busy_seconds=busy, jobs=tuple(jobs))

    def wait_ready(self, timeout: float) -> bool:
        """Block until a session holds the printer and the printer is ready to print."""
        with self._observed:
            return self._observed.wait_for(
                lambda: self.session is not None and self._printer == "ready", timeout
            )

    def wait_for_printer(self, status: str, timeout: float) -> bool:
        """Block until the controller has seen the printer `status` (ready, printing, offline)."""
        with self._observed:
            return self._observed.wait_for(lambda: self._printer == status, timeout)

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)

    # --- talking to OctoPrint -------------------------------------------------------------------

    def _call(self, action: Callable[[Any], Any]) -> Any:
        try:
            if self._client is None:
                self.requests += 1  # octorest asks /api/version when it is built
                self._client = self._client_factory()
            self.requests += 1
            return action(self._client)
        except NETWORK_ERRORS as error:
            self._client = None
            raise Unreachable(str(error) or type(error).__name__) from error

    def _connect_printer(self) -> None:
        try:
            self._call(lambda client: client.connect(port=self.port, baudrate=self.baudrate))
        except Unreachable as error:
            log.warning("cannot ask OctoPrint to connect the printer: %s", error)

    def _follow(self) -> None:
        delay = 0.5
        while not self._stop.is_set():
            try:
                job = self._call(lambda client: client.job_info())
            except Unreachable as error:
                self._unreachable(str(error))
                self._stop.wait(delay)
                delay = min(delay * 2, 10.0)
                continue
            delay = 0.5
            if self._cancel_asked:
                self._cancel_asked = False
                self._cancel("the facilitator stopped the machine")
            events = self._observe(job)
            for event in events:
                self._emit(event)
            if any(isinstance(e, Fault) and e.code == "printer_offline" for e in events):
                # As OctoPrint's own autoconnect would (after OctoPrint restarted, say): one try.
                # A pulled cable stays offline and the fault stays for the facilitator to see.
                self._connect_printer()
            self._wake.wait(self._next_poll())
            self._wake.clear()

    def _next_poll(self) -> float:
        """Slow when idle, faster in a session, fastest while a session waits for the printer."""
        if self.session is not None and self._printer == "connecting":
            return min(0.25, self.poll_interval)
        if self.session is not None or self._job is not None:
            return self.poll_interval
        return self.idle_poll_interval

    def _unreachable(self, message: str) -> None:
        with self._lock:
            first = self._state is not MachineState.UNREACHABLE
            self._set_state(MachineState.UNREACHABLE)
            self._recovering = True
            self._observed.notify_all()
        if first:
            self._emit(Fault("printer_unreachable", f"OctoPrint at {self.url}: {message}"))

    # --- following the job ----------------------------------------------------------------------

    def _observe(self, job: dict[str, Any]) -> list[MachineEvent]:
        printer = classify(job.get("state") or "")
        progress = job.get("progress") or {}
        info = job.get("job") or {}
        seen = {
            "file": (info.get("file") or {}).get("name"),
            "completion": progress.get("completion"),
            "print_time": progress.get("printTime"),
            "filament": _filament_mm(info.get("filament")),
        }
        events: list[MachineEvent] = []
        with self._lock:
            recovering, self._recovering = self._recovering, False
            if self._state is MachineState.UNREACHABLE:
                events.append(Recovered())
                self._set_state(
                    MachineState.FINISHING if self._ending
                    else MachineState.UNLOCKED if self.session
                    else MachineState.LOCKED
                )  # fmt: skip
            before, self._printer = self._printer, printer
            events += self._connection_change(before, printer)
            if printer in ("printing", "cancelling"):
                events += self._job_running(printer, seen, recovering)
            elif self._job is not None:
                events += self._job_ended(printer, seen)
            if self._job is None and self.session is None and self._state is MachineState.FINISHING:
                self._set_state(MachineState.LOCKED)
            self._observed.notify_all()
        return events

    def _connection_change(self, before: str, now: str) -> list[MachineEvent]:
        """A fault when the printer drops off OctoPrint (cable, power, firmware, OctoPrint
        restarted), a recovery once it is ready again (through "connecting" or not)."""
        if now in ("offline", "error") and before not in ("offline", "error", "unknown"):
            self._printer_lost = True
            return [Fault(f"printer_{now}", f"the printer went {now} in OctoPrint")]
        if now == "ready" and self._printer_lost:
            self._printer_lost = False
            return [Recovered()]
        return []

    def _job_running(
        self, printer: str, seen: dict[str, Any], recovering: bool
    ) -> list[MachineEvent]:
        events: list[MachineEvent] = []
        if self._job is None:
            if self.session is None and not recovering:
                return self._cancel_unauthorised(seen["file"])
            self._job = {"session": self.session, "cancelling": False, "reported": 0.0, **seen}
            events.append(JobUpdate("started", self.session, seen["file"]))
            if self.session is not None:
                self._set_state(MachineState.RUNNING)
        job = self._job
        job.update({key: value for key, value in seen.items() if value is not None})
        job["cancelling"] = job["cancelling"] or printer == "cancelling"
        completion = job.get("completion") or 0.0
        if completion - job["reported"] >= PROGRESS_STEP:
            job["reported"] = completion - completion % PROGRESS_STEP
            events.append(
                JobUpdate("progress", job["session"], job["file"], round(completion, 1),
                          job.get("print_time"))
            )  # fmt: skip
        return events

    def _job_ended(self, printer: str, seen: dict[str, Any]) -> list[MachineEvent]:
        job, self._job = self._job, None
        assert job is not None
        job.update({key: value for key, value in seen.items() if value is not None})
        if job["cancelling"]:
            outcome = "cancelled"
        elif (job.get("completion") or 0) >= 100:
            outcome = "done"
        elif printer in ("error", "offline"):
            outcome = "failed"
        else:
            outcome = "cancelled"
        record = self._record(job, outcome)
        events: list[MachineEvent] = [
            JobUpdate(outcome, job["session"], job["file"], job.get("completion"),
                      record["print_time_seconds"], record["filament_mm"])
        ]  # fmt: skip
        if job["session"] is not None and job["session"] == self.session:
            self._jobs.append(record)
            if self._ending:
                session, usage, reason = self.session, self.usage(), self._ending
                self.session, self._ending = None, None
                self._set_state(MachineState.LOCKED)
                events.append(SessionOver(session, "job_done" if reason == "badge_out" else reason,
                                          usage))  # fmt: skip
            else:
                self._set_state(MachineState.UNLOCKED)
        return events

    def cancel_job(self) -> bool:
        """The facilitator asked for the print to stop too: cancelled from the follower's
        thread (the agent's loop never waits on OctoPrint)."""
        with self._lock:
            if self._job is None:
                return False
            self._cancel_asked = True
        self._wake.set()
        return True

    def _cancel(self, why: str) -> None:
        try:
            self._call(lambda client: client.cancel())
        except Unreachable as error:
            log.warning("could not cancel the print (%s): %s", why, error)

    def _cancel_unauthorised(self, file: str | None) -> list[MachineEvent]:
        self._cancel("started without a session")
        return [JobUpdate("unauthorised", None, file)]

    @staticmethod
    def _record(job: dict[str, Any], outcome: str) -> dict[str, Any]:
        """What a session keeps of a print: the filament actually used, pro rata if it stopped."""
        filament = job.get("filament")
        completion = job.get("completion")
        if filament is not None and outcome != "done" and completion is not None:
            filament = filament * min(completion, 100.0) / 100.0
        return {
            "state": outcome,
            "file": job.get("file"),
            "print_time_seconds": job.get("print_time"),
            "filament_mm": round(filament, 1) if filament is not None else None,
        }


def _filament_mm(filament: dict[str, Any] | None) -> float | None:
    if not filament:
        return None
    lengths = [tool.get("length") for tool in filament.values() if isinstance(tool, dict)]
    lengths = [length for length in lengths if length]
    return float(sum(lengths)) if lengths else None


def _octorest(url: str, api_key: str) -> Any:
    from octorest import OctoRest

    return OctoRest(url=url, apikey=api_key)
