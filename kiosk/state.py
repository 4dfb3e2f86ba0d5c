"""The station's state machine, as a pure transition table: (state, input) -> transition.

The runner turns what happens (a tap and its decision, a timer, a machine
event, the access list) into an `Input`, looks up the transition, and carries
out its actions in order. Nothing here does I/O, so every pair is tested.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class State(Enum):
    IDLE = "idle"
    AWAITING_SUPERVISOR = "awaiting_supervisor"
    IN_USE = "in_use"
    ENDING = "ending"  # the session is ending; the machine has not confirmed yet (a print)
    FAULT = "fault"
    OUT_OF_SERVICE = "out_of_service"


class Input(Enum):
    TAP_GRANTED = "tap_granted"  # an autonomous person (level 2 or 3)
    TAP_NEEDS_SUPERVISOR = "tap_needs_supervisor"  # a Découverte (level 1) person
    TAP_SUPERVISOR = "tap_supervisor"  # a référent or facilitator, while someone waits
    TAP_HOLDER = "tap_holder"  # the badge of whoever holds (or waits for) the machine
    TAP_REFUSED = "tap_refused"  # unknown, not trained, expired, lapsed...
    SUPERVISOR_TIMEOUT = "supervisor_timeout"
    WARNING_DUE = "warning_due"  # the maximum duration is near
    MAX_DURATION = "max_duration"
    IDLE_TIMEOUT = "idle_timeout"
    SESSION_CLOSED = "session_closed"  # the machine confirms the session is over
    MACHINE_FAULT = "machine_fault"
    FAULT_CLEARED = "fault_cleared"
    OUT_OF_SERVICE = "out_of_service"
    BACK_IN_SERVICE = "back_in_service"
    SHUTDOWN = "shutdown"


class Action(Enum):
    START_SESSION = "start_session"
    START_SUPERVISED = "start_supervised"
    END_SESSION = "end_session"  # with `reason`
    AWAIT_SUPERVISOR = "await_supervisor"
    CANCEL_WAIT = "cancel_wait"
    REFUSE = "refuse"  # with `reason`, or the tap's own decision code when None
    WARN = "warn"
    TAKE_NEXT = "take_next"  # a handover: start the session of the badge that asked for it
    SHOW = "show"  # show the new state (feedback lights, display)


@dataclass(frozen=True)
class Transition:
    next: State
    actions: tuple[Action, ...] = ()
    reason: str | None = None


S, E, A = State, Input, Action
TAPS = (E.TAP_GRANTED, E.TAP_NEEDS_SUPERVISOR, E.TAP_SUPERVISOR, E.TAP_HOLDER, E.TAP_REFUSED)
_BLOCKED = {S.FAULT: "machine_fault", S.OUT_OF_SERVICE: "out_of_service", S.ENDING: "machine_busy"}


def _build() -> dict[tuple[State, Input], Transition]:
    table = {(state, event): Transition(state) for state in State for event in Input}  # ignored

    # Taps where nobody may start: refused with the state's reason (a refused tap keeps its own).
    for state, reason in _BLOCKED.items():
        for tap in TAPS:
            table[state, tap] = Transition(
                state, (A.REFUSE,), None if tap is E.TAP_REFUSED else reason
            )

    table[S.IDLE, E.TAP_GRANTED] = Transition(S.IN_USE, (A.START_SESSION, A.SHOW))
    table[S.IDLE, E.TAP_SUPERVISOR] = Transition(S.IN_USE, (A.START_SESSION, A.SHOW))
    table[S.IDLE, E.TAP_NEEDS_SUPERVISOR] = Transition(
        S.AWAITING_SUPERVISOR, (A.AWAIT_SUPERVISOR, A.SHOW)
    )
    table[S.IDLE, E.TAP_REFUSED] = Transition(S.IDLE, (A.REFUSE,))

    W = S.AWAITING_SUPERVISOR
    table[W, E.TAP_SUPERVISOR] = Transition(S.IN_USE, (A.START_SUPERVISED, A.SHOW))
    table[W, E.TAP_HOLDER] = Transition(S.IDLE, (A.CANCEL_WAIT, A.SHOW))
    table[W, E.SUPERVISOR_TIMEOUT] = Transition(
        S.IDLE, (A.CANCEL_WAIT, A.REFUSE, A.SHOW), "supervisor_timeout"
    )
    table[W, E.TAP_GRANTED] = Transition(S.IN_USE, (A.CANCEL_WAIT, A.START_SESSION, A.SHOW))
    table[W, E.TAP_NEEDS_SUPERVISOR] = Transition(W, (A.CANCEL_WAIT, A.AWAIT_SUPERVISOR, A.SHOW))
    table[W, E.TAP_REFUSED] = Transition(W, (A.REFUSE,))

    U = S.IN_USE
    table[U, E.TAP_HOLDER] = Transition(S.ENDING, (A.END_SESSION, A.SHOW), "badge_out")
    table[U, E.TAP_GRANTED] = Transition(S.ENDING, (A.END_SESSION, A.TAKE_NEXT, A.SHOW), "handover")
    table[U, E.TAP_SUPERVISOR] = Transition(
        S.ENDING, (A.END_SESSION, A.TAKE_NEXT, A.SHOW), "handover"
    )
    table[U, E.TAP_NEEDS_SUPERVISOR] = Transition(U, (A.REFUSE,), "machine_busy")
    table[U, E.TAP_REFUSED] = Transition(U, (A.REFUSE,))
    table[U, E.WARNING_DUE] = Transition(U, (A.WARN,))
    table[U, E.MAX_DURATION] = Transition(S.ENDING, (A.END_SESSION, A.SHOW), "timeout")
    table[U, E.IDLE_TIMEOUT] = Transition(S.ENDING, (A.END_SESSION, A.SHOW), "idle")
    table[U, E.SESSION_CLOSED] = Transition(S.IDLE, (A.SHOW,))  # the machine ended it (job done)

    table[S.ENDING, E.SESSION_CLOSED] = Transition(S.IDLE, (A.SHOW,))

    for state in (S.IDLE, W, U, S.ENDING):
        ends = (A.END_SESSION,) if state is U else (A.CANCEL_WAIT,) if state is W else ()
        table[state, E.MACHINE_FAULT] = Transition(S.FAULT, (*ends, A.SHOW), "fault")
        table[state, E.OUT_OF_SERVICE] = Transition(
            S.OUT_OF_SERVICE if state is not S.ENDING else S.ENDING,
            (*ends, A.SHOW),
            "out_of_service",
        )
        table[state, E.SHUTDOWN] = Transition(S.IDLE, ends, "shutdown")
    table[S.FAULT, E.FAULT_CLEARED] = Transition(S.IDLE, (A.SHOW,))
    table[S.FAULT, E.OUT_OF_SERVICE] = Transition(S.OUT_OF_SERVICE, (A.SHOW,))
    table[S.OUT_OF_SERVICE, E.BACK_IN_SERVICE] = Transition(S.IDLE, (A.SHOW,))
    table[S.OUT_OF_SERVICE, E.MACHINE_FAULT] = Transition(S.FAULT, (A.SHOW,))
    return table


TABLE = _build()


def transition(state: State, event: Input) -> Transition:
    return TABLE[state, event]


def classify_tap(state: State, decision_code: str, is_holder: bool, can_supervise: bool) -> Input:
    """Which input a tap is, given who holds the machine and what the access list says."""
    if is_holder:
        return Input.TAP_HOLDER
    if can_supervise and state is State.AWAITING_SUPERVISOR:
        return Input.TAP_SUPERVISOR
    if decision_code == "granted":
        return Input.TAP_GRANTED
    if decision_code == "needs_supervisor":
        return Input.TAP_NEEDS_SUPERVISOR
    return Input.TAP_REFUSED
