"""One interface for every machine controller: unlock for a session, lock with a reason.

Controllers report what happens (faults, recoveries, job progress, the end of
a session that had to wait for a job) to listeners, and keep usage figures for
the session. Kinds register themselves by subclassing with a `kind`, so the
factory has no list to keep in step.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, ClassVar

log = logging.getLogger(__name__)


class MachineState(Enum):
    LOCKED = "locked"  # nobody holds the machine; interlock off
    UNLOCKED = "unlocked"  # a session holds it, nothing running
    RUNNING = "running"  # a session holds it and it works (beam on, motor, print)
    FINISHING = "finishing"  # the person badged out; a print still runs, the session ends with it
    FAULT = "fault"  # needs attention (permit lost, printer error); interlock off
    UNREACHABLE = "unreachable"  # the controller cannot reach the machine (OctoPrint down)


IN_SESSION = frozenset({MachineState.UNLOCKED, MachineState.RUNNING, MachineState.FINISHING})
FAULT_STATES = frozenset({MachineState.FAULT, MachineState.UNREACHABLE})


@dataclass(frozen=True)
class Usage:
    """What a session did with the machine."""

    busy_seconds: float = 0.0
    jobs: tuple[dict[str, Any], ...] = ()

    @property
    def print_time_seconds(self) -> float:
        return sum(job.get("print_time_seconds") or 0 for job in self.jobs)

    @property
    def filament_mm(self) -> float:
        return sum(job.get("filament_mm") or 0 for job in self.jobs)


@dataclass(frozen=True)
class Fault:
    code: str
    message: str


@dataclass(frozen=True)
class Recovered:
    pass


@dataclass(frozen=True)
class JobUpdate:
    """A job's progress; `state` is one of the protocol's JOB_STATES."""

    state: str
    session: str | None
    file: str | None = None
    progress: float | None = None
    print_time_seconds: float | None = None
    filament_mm: float | None = None


@dataclass(frozen=True)
class SessionOver:
    """A session whose end had to wait (a print after badge-out) is over now."""

    session: str
    reason: str
    usage: Usage


@dataclass(frozen=True)
class Activity:
    """The busy sense changed (beam, motor): the kiosk's idle timer listens to this."""

    busy: bool


MachineEvent = Fault | Recovered | JobUpdate | SessionOver | Activity


class Refused(Exception):
    """The machine cannot be unlocked now; `code` is stable, `detail` names what is missing."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code, self.detail = code, detail


class ControllerConfigError(ValueError):
    """A controller configuration that cannot work; the message names the option."""


class Controller(ABC):
    kind: ClassVar[str]
    registry: ClassVar[dict[str, type[Controller]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "kind" in cls.__dict__:
            Controller.registry[cls.kind] = cls

    def __init__(self) -> None:
        self._listeners: list[Callable[[MachineEvent], None]] = []
        self._fault_on: Fault | None = None  # the last fault, until the machine recovers
        self._events_lock = threading.Lock()
        self._state = MachineState.LOCKED
        self._state_lock = threading.RLock()
        self.session: str | None = None

    @property
    def state(self) -> MachineState:
        return self._state

    @property
    def working(self) -> bool:
        """The machine is doing something now (a beam, a motor, a print): nobody else's tap
        may take it over."""
        return self._state is MachineState.RUNNING

    def handover(self, session: str) -> Usage | None:
        """End the current session's use and begin `session`'s. A relay keeps the power on
        (the machine is idle and the person leaving agreed); by default, lock then unlock."""
        usage = self.lock("handover")
        self.unlock(session)
        return usage

    def cancel_job(self) -> bool:
        """Stop the job under way (a print) when the facilitator says so; True if one was.
        Machines without jobs have nothing to cancel."""
        return False

    def subscribe(self, listener: Callable[[MachineEvent], None]) -> None:
        """Hear the machine's events from now on, and a fault that is still on (a printer
        unreachable from the start) at once: a fault must never go unheard."""
        with self._events_lock:
            self._listeners.append(listener)
            pending = self._fault_on
        if pending is not None:
            listener(pending)

    def _emit(self, event: MachineEvent) -> None:
        with self._events_lock:
            if isinstance(event, Fault):
                self._fault_on = event
            elif isinstance(event, Recovered):
                self._fault_on = None
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:  # a listener's bug must not stop the machine's safety logic
                log.exception("machine event listener failed on %r", event)

    def _set_state(self, state: MachineState) -> None:
        self._state = state

    @abstractmethod
    def unlock(self, session: str) -> None:
        """Let the session's holder use the machine; raise Refused if it cannot be now."""

    @abstractmethod
    def lock(self, reason: str) -> Usage | None:
        """End the session. Returns its usage, or None when it must wait for a running job
        (a SessionOver event follows when the job ends)."""

    @abstractmethod
    def usage(self) -> Usage:
        """The current session's usage so far."""

    @abstractmethod
    def close(self) -> None:
        """Leave the machine safe (interlock off) and release the hardware. Idempotent."""


def build_controller(kind: str, **options: Any) -> Controller:
    """Build the controller of `kind` ("relay", "laser", "sewing", "printer") from options."""
    from machines import checkin, octoprint, relay  # noqa: F401  (registers the kinds)

    try:
        cls = Controller.registry[kind]
    except KeyError:
        known = ", ".join(sorted(Controller.registry))
        raise ControllerConfigError(
            f"unknown machine kind {kind!r}; expected one of {known}"
        ) from None
    try:
        return cls(**options)
    except (TypeError, ValueError) as error:
        raise ControllerConfigError(f"machine {kind!r}: {error}") from None
