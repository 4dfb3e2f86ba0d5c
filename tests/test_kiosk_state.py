"""The station's transition table, checked for every state and every input."""

import pytest

from kiosk.state import TABLE, TAPS, Action, Input, State, classify_tap, transition

PAIRS = [(state, event) for state in State for event in Input]


def test_the_table_is_total():
    assert set(TABLE) == set(PAIRS)


@pytest.mark.parametrize(("state", "event"), PAIRS, ids=[f"{s.value}+{e.value}" for s, e in PAIRS])
def test_every_pair_keeps_the_safety_rules(state, event):
    step = transition(state, event)
    assert isinstance(step.next, State)
    starts = {Action.START_SESSION, Action.START_SUPERVISED} & set(step.actions)
    # A session starts only from a tap, only into IN_USE, only where the machine may run.
    if starts:
        assert event in TAPS and step.next is State.IN_USE
        assert state in (State.IDLE, State.AWAITING_SUPERVISOR)
    # Leaving IN_USE for anything but a handover-in-progress ends the session.
    if (
        state is State.IN_USE
        and step.next is not State.IN_USE
        and event is not Input.SESSION_CLOSED
    ):
        assert Action.END_SESSION in step.actions and step.reason
    # A fault always ends up in FAULT (or stays out of service), never with a session running.
    if event is Input.MACHINE_FAULT:
        assert step.next is State.FAULT
        assert not starts
    # Nobody starts on a faulty, out-of-service or still-busy machine.
    if state in (State.FAULT, State.OUT_OF_SERVICE, State.ENDING) and event in TAPS:
        assert step.actions == (Action.REFUSE,) and step.next is state
    # Waiting for a supervisor is always cleared when leaving that state.
    if state is State.AWAITING_SUPERVISOR and step.next is not state:
        assert Action.CANCEL_WAIT in step.actions or Action.START_SUPERVISED in step.actions
    # Shutting down never leaves a session or a wait open.
    if event is Input.SHUTDOWN and state in (State.IN_USE, State.AWAITING_SUPERVISOR):
        assert step.next is State.IDLE and step.reason == "shutdown"


EXPECTED = [
    (State.IDLE, Input.TAP_GRANTED, State.IN_USE, (Action.START_SESSION, Action.SHOW), None),
    (State.IDLE, Input.TAP_NEEDS_SUPERVISOR, State.AWAITING_SUPERVISOR,
     (Action.AWAIT_SUPERVISOR, Action.SHOW), None),
    (State.IDLE, Input.TAP_REFUSED, State.IDLE, (Action.REFUSE,), None),
    (State.AWAITING_SUPERVISOR, Input.TAP_SUPERVISOR, State.IN_USE,
     (Action.START_SUPERVISED, Action.SHOW), None),
    (State.AWAITING_SUPERVISOR, Input.SUPERVISOR_TIMEOUT, State.IDLE,
     (Action.CANCEL_WAIT, Action.REFUSE, Action.SHOW), "supervisor_timeout"),
    (State.IN_USE, Input.TAP_HOLDER, State.ENDING, (Action.END_SESSION, Action.SHOW), "badge_out"),
    (State.IN_USE, Input.TAP_GRANTED, State.ENDING,
     (Action.END_SESSION, Action.TAKE_NEXT, Action.SHOW), "handover"),
    (State.IN_USE, Input.TAP_NEEDS_SUPERVISOR, State.IN_USE, (Action.REFUSE,), "machine_busy"),
    (State.IN_USE, Input.WARNING_DUE, State.IN_USE, (Action.WARN,), None),
    (State.IN_USE, Input.MAX_DURATION, State.ENDING, (Action.END_SESSION, Action.SHOW), "timeout"),
    (State.IN_USE, Input.IDLE_TIMEOUT, State.ENDING, (Action.END_SESSION, Action.SHOW), "idle"),
    (State.IN_USE, Input.SHUTDOWN, State.IDLE, (Action.END_SESSION,), "shutdown"),
    (State.ENDING, Input.SESSION_CLOSED, State.IDLE, (Action.SHOW,), None),
    (State.FAULT, Input.FAULT_CLEARED, State.IDLE, (Action.SHOW,), None),
    (State.OUT_OF_SERVICE, Input.BACK_IN_SERVICE, State.IDLE, (Action.SHOW,), None),
    (State.OUT_OF_SERVICE, Input.TAP_GRANTED, State.OUT_OF_SERVICE, (Action.REFUSE,),
     "out_of_service"),
]  # fmt: skip


@pytest.mark.parametrize(("state", "event", "next_state", "actions", "reason"), EXPECTED)
def test_the_transitions_residents_meet(state, event, next_state, actions, reason):
    assert transition(state, event) == (
        transition(state, event).__class__(next_state, actions, reason)
    )


def test_taps_are_classified_by_who_holds_the_machine():
    assert classify_tap(State.IN_USE, "granted", True, True) is Input.TAP_HOLDER
    assert classify_tap(State.AWAITING_SUPERVISOR, "granted", False, True) is Input.TAP_SUPERVISOR
    assert classify_tap(State.IDLE, "granted", False, True) is Input.TAP_GRANTED
    assert classify_tap(State.IDLE, "needs_supervisor", False, False) is Input.TAP_NEEDS_SUPERVISOR
    assert classify_tap(State.IDLE, "expired", False, False) is Input.TAP_REFUSED
    # A facilitator's badge (not trained here) supervises, but does not start alone.
    assert (
        classify_tap(State.AWAITING_SUPERVISOR, "not_trained", False, True) is Input.TAP_SUPERVISOR
    )
    assert classify_tap(State.IDLE, "not_trained", False, True) is Input.TAP_REFUSED
