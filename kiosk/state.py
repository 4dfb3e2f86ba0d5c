"""The station's state machine, as a pure transition table: (state, input) -> transition.

The runner turns what happens (a tap and its decision, a touch on the screen, a timer, a
machine event, the access list) into an `Input`, looks up the transition, and carries out
its actions in order. Nothing here does I/O, so every pair is tested.

Every start goes through CHECKLIST: the safety checklist of the machine's skill, confirmed
item by item before the relay closes (an empty or skipped one passes at once). While a
session runs, the moments that need someone's answer (are you there? someone wants the
machine; a référent validates a step; the facilitator stops the machine) are prompts on
the screen, answered by a touch or the holder's badge.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import cache


class State(Enum):
    IDLE = "idle"
    AWAITING_SUPERVISOR = "awaiting_supervisor"
    CHECKLIST = "checklist"  # the safety checklist, before the machine unlocks
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
    TAP_WHILE_WORKING = "tap_while_working"  # someone else, while the machine works
    TAP_SIGNER = "tap_signer"  # a référent or facilitator, during someone's session
    TOUCH_CONFIRM = "touch_confirm"  # a checklist item done; "I am here"
    TOUCH_FINISH = "touch_finish"  # "J'ai fini"
    TOUCH_HANDOVER = "touch_handover"  # the holder lets the one waiting take over
    TOUCH_SIGN_OFF = "touch_sign_off"  # the référent chose the step to validate
    TOUCH_WANT = "touch_want"  # the référent would rather have the machine next
    TOUCH_CANCEL = "touch_cancel"  # a prompt dismissed
    CHECKLIST_DONE = "checklist_done"
    CHECKLIST_TIMEOUT = "checklist_timeout"
    SUPERVISOR_TIMEOUT = "supervisor_timeout"
    PRESENCE_DUE = "presence_due"
    PRESENCE_TIMEOUT = "presence_timeout"
    WARNING_DUE = "warning_due"  # the maximum duration is near
    MAX_DURATION = "max_duration"
    IDLE_TIMEOUT = "idle_timeout"
    STOP_NOW = "stop_now"  # the facilitator stops this session: a countdown first
    COUNTDOWN_OVER = "countdown_over"
    DANGER_REPORTED = "danger_reported"  # someone at the machine said it is dangerous
    SESSION_CLOSED = "session_closed"  # the machine confirms the session is over
    MACHINE_FAULT = "machine_fault"
    FAULT_CLEARED = "fault_cleared"
    OUT_OF_SERVICE = "out_of_service"
    BACK_IN_SERVICE = "back_in_service"
    SHUTDOWN = "shutdown"


class Action(Enum):
    BEGIN_CHECKLIST = "begin_checklist"  # for the tap's person
    BEGIN_SUPERVISED = "begin_supervised"  # for the one waiting, the tap's person supervising
    NEXT_ITEM = "next_item"  # the item confirmed; the last one gives CHECKLIST_DONE
    DROP_CHECKLIST = "drop_checklist"
    START_SESSION = "start_session"  # the relay closes
    END_SESSION = "end_session"  # with `reason`
    AWAIT_SUPERVISOR = "await_supervisor"
    CANCEL_WAIT = "cancel_wait"
    REFUSE = "refuse"  # with `reason`, or the tap's own decision code when None
    WARN = "warn"
    ASK_PRESENCE = "ask_presence"
    PRESENCE_OK = "presence_ok"
    OFFER_HANDOVER = "offer_handover"  # ask the holder to let the tap's person take over
    HANDOVER = "handover"  # one session ends, the next begins, the relay does not move
    OFFER_SIGN_OFF = "offer_sign_off"  # ask the tap's référent what to validate
    SIGN_OFF = "sign_off"
    DISMISS = "dismiss"  # the prompt goes
    START_COUNTDOWN = "start_countdown"
    TAKE_NEXT = "take_next"  # after a badge-out, the one who was waiting starts
    SHOW = "show"  # show the new state (feedback lights, display)


@dataclass(frozen=True)
class Transition:
    next: State
    actions: tuple[Action, ...] = ()
    reason: str | None = None


S, E, A = State, Input, Action
TAPS = (E.TAP_GRANTED, E.TAP_NEEDS_SUPERVISOR, E.TAP_SUPERVISOR, E.TAP_HOLDER, E.TAP_REFUSED,
        E.TAP_WHILE_WORKING, E.TAP_SIGNER)  # fmt: skip
_BLOCKED = {S.FAULT: "machine_fault", S.OUT_OF_SERVICE: "out_of_service", S.ENDING: "machine_busy"}


def _build() -> dict[tuple[State, Input], Transition]:
    table = {(state, event): Transition(state) for state in State for event in Input}  # ignored

    # Taps where nobody may start: refused with the state's reason (a refused tap keeps its own).
    for state, reason in _BLOCKED.items():
        for tap in TAPS:
            table[state, tap] = Transition(
                state, (A.REFUSE,), None if tap is E.TAP_REFUSED else reason
            )

    table[S.IDLE, E.TAP_GRANTED] = Transition(S.CHECKLIST, (A.BEGIN_CHECKLIST, A.SHOW))
    table[S.IDLE, E.TAP_SUPERVISOR] = Transition(S.CHECKLIST, (A.BEGIN_CHECKLIST, A.SHOW))
    table[S.IDLE, E.TAP_NEEDS_SUPERVISOR] = Transition(
        S.AWAITING_SUPERVISOR, (A.AWAIT_SUPERVISOR, A.SHOW)
    )
    table[S.IDLE, E.TAP_REFUSED] = Transition(S.IDLE, (A.REFUSE,))

    W = S.AWAITING_SUPERVISOR
    table[W, E.TAP_SUPERVISOR] = Transition(S.CHECKLIST, (A.BEGIN_SUPERVISED, A.SHOW))
    table[W, E.TAP_HOLDER] = Transition(S.IDLE, (A.CANCEL_WAIT, A.SHOW))
    table[W, E.SUPERVISOR_TIMEOUT] = Transition(
        S.IDLE, (A.CANCEL_WAIT, A.REFUSE, A.SHOW), "supervisor_timeout"
    )
    table[W, E.TAP_GRANTED] = Transition(S.CHECKLIST, (A.CANCEL_WAIT, A.BEGIN_CHECKLIST, A.SHOW))
    table[W, E.TAP_NEEDS_SUPERVISOR] = Transition(W, (A.CANCEL_WAIT, A.AWAIT_SUPERVISOR, A.SHOW))
    table[W, E.TAP_REFUSED] = Transition(W, (A.REFUSE,))

    C = S.CHECKLIST
    table[C, E.TOUCH_CONFIRM] = Transition(C, (A.NEXT_ITEM,))
    table[C, E.TAP_HOLDER] = Transition(C, (A.NEXT_ITEM,))  # the badge again, without a touch
    table[C, E.CHECKLIST_DONE] = Transition(S.IN_USE, (A.START_SESSION, A.SHOW))
    table[C, E.CHECKLIST_TIMEOUT] = Transition(
        S.IDLE, (A.DROP_CHECKLIST, A.REFUSE, A.SHOW), "checklist_timeout"
    )
    for touch in (E.TOUCH_CANCEL, E.TOUCH_FINISH):
        table[C, touch] = Transition(S.IDLE, (A.DROP_CHECKLIST, A.SHOW))
    for tap in (E.TAP_GRANTED, E.TAP_NEEDS_SUPERVISOR, E.TAP_SUPERVISOR, E.TAP_WHILE_WORKING,
                E.TAP_SIGNER):  # fmt: skip
        table[C, tap] = Transition(C, (A.REFUSE,), "machine_busy")
    table[C, E.TAP_REFUSED] = Transition(C, (A.REFUSE,))

    U = S.IN_USE
    table[U, E.TAP_HOLDER] = Transition(S.ENDING, (A.END_SESSION, A.TAKE_NEXT, A.SHOW), "badge_out")
    table[U, E.TOUCH_FINISH] = Transition(
        S.ENDING, (A.END_SESSION, A.TAKE_NEXT, A.SHOW), "finished"
    )
    table[U, E.TAP_GRANTED] = Transition(U, (A.OFFER_HANDOVER,))
    table[U, E.TAP_SIGNER] = Transition(U, (A.OFFER_SIGN_OFF,))
    table[U, E.TAP_WHILE_WORKING] = Transition(U, (A.REFUSE,), "machine_busy")
    table[U, E.TAP_SUPERVISOR] = Transition(U, (A.OFFER_SIGN_OFF,))
    table[U, E.TOUCH_HANDOVER] = Transition(U, (A.HANDOVER, A.SHOW))
    table[U, E.TOUCH_SIGN_OFF] = Transition(U, (A.SIGN_OFF, A.SHOW))
    table[U, E.TOUCH_WANT] = Transition(U, (A.OFFER_HANDOVER,))
    table[U, E.TOUCH_CANCEL] = Transition(U, (A.DISMISS, A.SHOW))
    table[U, E.TOUCH_CONFIRM] = Transition(U, (A.PRESENCE_OK, A.SHOW))
    table[U, E.TAP_NEEDS_SUPERVISOR] = Transition(U, (A.REFUSE,), "machine_busy")
    table[U, E.TAP_REFUSED] = Transition(U, (A.REFUSE,))
    table[U, E.WARNING_DUE] = Transition(U, (A.WARN,))
    table[U, E.PRESENCE_DUE] = Transition(U, (A.ASK_PRESENCE,))
    table[U, E.PRESENCE_TIMEOUT] = Transition(S.ENDING, (A.END_SESSION, A.SHOW), "absent")
    table[U, E.STOP_NOW] = Transition(U, (A.START_COUNTDOWN,))
    table[U, E.COUNTDOWN_OVER] = Transition(S.ENDING, (A.END_SESSION, A.SHOW), "stopped")
    table[U, E.MAX_DURATION] = Transition(S.ENDING, (A.END_SESSION, A.SHOW), "timeout")
    table[U, E.IDLE_TIMEOUT] = Transition(S.ENDING, (A.END_SESSION, A.SHOW), "idle")
    table[U, E.SESSION_CLOSED] = Transition(S.IDLE, (A.SHOW,))  # the machine ended it (job done)

    table[S.ENDING, E.SESSION_CLOSED] = Transition(S.IDLE, (A.SHOW,))

    for state in (S.IDLE, W, C, U, S.ENDING):
        ends = {U: (A.END_SESSION,), W: (A.CANCEL_WAIT,), C: (A.DROP_CHECKLIST,)}.get(state, ())
        table[state, E.MACHINE_FAULT] = Transition(S.FAULT, (*ends, A.SHOW), "fault")
        table[state, E.OUT_OF_SERVICE] = Transition(
            S.OUT_OF_SERVICE if state is not S.ENDING else S.ENDING,
            (*ends, A.SHOW),
            "out_of_service",
        )
        table[state, E.DANGER_REPORTED] = Transition(
            S.OUT_OF_SERVICE if state is not S.ENDING else S.ENDING, (*ends, A.SHOW), "danger"
        )
        table[state, E.SHUTDOWN] = Transition(S.IDLE, ends, "shutdown")
    table[S.FAULT, E.FAULT_CLEARED] = Transition(S.IDLE, (A.SHOW,))
    table[S.FAULT, E.OUT_OF_SERVICE] = Transition(S.OUT_OF_SERVICE, (A.SHOW,))
    table[S.FAULT, E.DANGER_REPORTED] = Transition(S.OUT_OF_SERVICE, (A.SHOW,))
    table[S.OUT_OF_SERVICE, E.BACK_IN_SERVICE] = Transition(S.IDLE, (A.SHOW,))
    table[S.OUT_OF_SERVICE, E.MACHINE_FAULT] = Transition(S.FAULT, (A.SHOW,))
    return table


@cache
def table() -> dict[tuple[State, Input], Transition]:
    """The table, built on first use (so that mutation testing builds each mutant's own)."""
    return _build()


def transition(state: State, event: Input) -> Transition:
    return table()[state, event]


def classify_tap(
    state: State,
    decision_code: str,
    is_holder: bool,
    can_supervise: bool,
    *,
    working: bool = False,
    confirming: bool = False,
) -> Input:
    """Which input a tap is, given who holds the machine, what the access list says, whether
    the machine is working, and whether the holder is being asked to confirm something."""
    if is_holder:
        return Input.TOUCH_CONFIRM if confirming else Input.TAP_HOLDER
    if can_supervise and state is State.AWAITING_SUPERVISOR:
        return Input.TAP_SUPERVISOR
    allowed = decision_code == "granted" or can_supervise
    if state is State.IN_USE and allowed:
        if working:
            return Input.TAP_WHILE_WORKING
        return Input.TAP_SIGNER if can_supervise else Input.TAP_GRANTED
    if decision_code == "granted":
        return Input.TAP_GRANTED
    if decision_code == "needs_supervisor":
        return Input.TAP_NEEDS_SUPERVISOR
    return Input.TAP_REFUSED
