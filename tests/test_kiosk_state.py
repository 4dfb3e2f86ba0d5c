"""The station's transition table, checked for every state and every input."""

import pytest

from kiosk.state import TAPS, Action, Input, State, _build, classify_tap, table, transition

PAIRS = [(state, event) for state in State for event in Input]


def test_the_table_is_total():
    assert set(table()) == set(PAIRS)
    assert table() == _build()  # the station's (built once) is the table these tests read


def step_of(state: State, event: Input):
    """The transition, from a table built for this test (mutation testing sees each use)."""
    return _build()[state, event]


@pytest.mark.parametrize(("state", "event"), PAIRS, ids=[f"{s.value}+{e.value}" for s, e in PAIRS])
def test_every_pair_keeps_the_safety_rules(state, event):
    step = step_of(state, event)
    actions = set(step.actions)
    assert isinstance(step.next, State)
    # The relay closes only at the end of a checklist, and a checklist begins only with a tap.
    if Action.START_SESSION in actions:
        assert (state, event, step.next) == (State.CHECKLIST, Input.CHECKLIST_DONE, State.IN_USE)
    if {Action.BEGIN_CHECKLIST, Action.BEGIN_SUPERVISED} & actions:
        assert event in TAPS and step.next is State.CHECKLIST
    # Someone else's tap never ends a session or hands the machine over by itself: the
    # holder confirms on the screen (TOUCH_HANDOVER), or ends it.
    if event in TAPS and event is not Input.TAP_HOLDER:
        assert not {Action.END_SESSION, Action.HANDOVER} & actions
    if Action.HANDOVER in actions:
        assert (state, event) == (State.IN_USE, Input.TOUCH_HANDOVER)
    # While the machine works, another person's tap is only refused.
    if event is Input.TAP_WHILE_WORKING:
        assert actions <= {Action.REFUSE} and step.next is state
    # Leaving IN_USE (but for the machine's own end) ends the session, with its reason.
    if (
        state is State.IN_USE
        and step.next is not State.IN_USE
        and event is not Input.SESSION_CLOSED
    ):
        assert Action.END_SESSION in actions and step.reason
    # A fault always ends up in FAULT, never with a session running.
    if event is Input.MACHINE_FAULT:
        assert step.next is State.FAULT and Action.START_SESSION not in actions
    # Nobody starts on a faulty, out-of-service or still-busy machine.
    if state in (State.FAULT, State.OUT_OF_SERVICE, State.ENDING) and event in TAPS:
        assert actions <= {Action.REFUSE} and step.next is state
    # A wait, or a checklist, is always cleared when its state is left.
    if state is State.AWAITING_SUPERVISOR and step.next is not state:
        assert {Action.CANCEL_WAIT, Action.BEGIN_SUPERVISED} & actions
    if state is State.CHECKLIST and step.next is not state:
        assert {Action.DROP_CHECKLIST, Action.START_SESSION} & actions
    # A reported danger takes the machine out of service wherever it was (a print ends first).
    if event is Input.DANGER_REPORTED and state is not State.ENDING:
        assert step.next is State.OUT_OF_SERVICE
    # Shutting down never leaves a session, a checklist or a wait open.
    if event is Input.SHUTDOWN and state in (
        State.IN_USE,
        State.AWAITING_SUPERVISOR,
        State.CHECKLIST,
    ):
        assert step.next is State.IDLE and step.reason == "shutdown"
        assert {Action.END_SESSION, Action.CANCEL_WAIT, Action.DROP_CHECKLIST} & actions


S, E, A = State, Input, Action
EXPECTED = [
    (S.IDLE, E.TAP_GRANTED, S.CHECKLIST, (A.BEGIN_CHECKLIST, A.SHOW), None),
    (S.IDLE, E.TAP_NEEDS_SUPERVISOR, S.AWAITING_SUPERVISOR, (A.AWAIT_SUPERVISOR, A.SHOW), None),
    (S.IDLE, E.TAP_REFUSED, S.IDLE, (A.REFUSE,), None),
    (S.AWAITING_SUPERVISOR, E.TAP_SUPERVISOR, S.CHECKLIST, (A.BEGIN_SUPERVISED, A.SHOW), None),
    (S.AWAITING_SUPERVISOR, E.SUPERVISOR_TIMEOUT, S.IDLE, (A.CANCEL_WAIT, A.REFUSE, A.SHOW),
     "supervisor_timeout"),
    (S.CHECKLIST, E.TOUCH_CONFIRM, S.CHECKLIST, (A.NEXT_ITEM,), None),
    (S.CHECKLIST, E.TAP_HOLDER, S.CHECKLIST, (A.NEXT_ITEM,), None),
    (S.CHECKLIST, E.CHECKLIST_DONE, S.IN_USE, (A.START_SESSION, A.SHOW), None),
    (S.CHECKLIST, E.CHECKLIST_TIMEOUT, S.IDLE, (A.DROP_CHECKLIST, A.REFUSE, A.SHOW),
     "checklist_timeout"),
    (S.CHECKLIST, E.TAP_GRANTED, S.CHECKLIST, (A.REFUSE,), "machine_busy"),
    (S.IN_USE, E.TAP_HOLDER, S.ENDING, (A.END_SESSION, A.TAKE_NEXT, A.SHOW), "badge_out"),
    (S.IN_USE, E.TOUCH_FINISH, S.ENDING, (A.END_SESSION, A.TAKE_NEXT, A.SHOW), "finished"),
    (S.IN_USE, E.TAP_GRANTED, S.IN_USE, (A.OFFER_HANDOVER,), None),
    (S.IN_USE, E.TOUCH_HANDOVER, S.IN_USE, (A.HANDOVER, A.SHOW), None),
    (S.IN_USE, E.TAP_WHILE_WORKING, S.IN_USE, (A.REFUSE,), "machine_busy"),
    (S.IN_USE, E.TAP_SIGNER, S.IN_USE, (A.OFFER_SIGN_OFF,), None),
    (S.IN_USE, E.TOUCH_SIGN_OFF, S.IN_USE, (A.SIGN_OFF, A.SHOW), None),
    (S.IN_USE, E.TAP_NEEDS_SUPERVISOR, S.IN_USE, (A.REFUSE,), "machine_busy"),
    (S.IN_USE, E.PRESENCE_DUE, S.IN_USE, (A.ASK_PRESENCE,), None),
    (S.IN_USE, E.TOUCH_CONFIRM, S.IN_USE, (A.PRESENCE_OK, A.SHOW), None),
    (S.IN_USE, E.PRESENCE_TIMEOUT, S.ENDING, (A.END_SESSION, A.SHOW), "absent"),
    (S.IN_USE, E.STOP_NOW, S.IN_USE, (A.START_COUNTDOWN,), None),
    (S.IN_USE, E.COUNTDOWN_OVER, S.ENDING, (A.END_SESSION, A.SHOW), "stopped"),
    (S.IN_USE, E.DANGER_REPORTED, S.OUT_OF_SERVICE, (A.END_SESSION, A.SHOW), "danger"),
    (S.IN_USE, E.WARNING_DUE, S.IN_USE, (A.WARN,), None),
    (S.IN_USE, E.MAX_DURATION, S.ENDING, (A.END_SESSION, A.SHOW), "timeout"),
    (S.IN_USE, E.IDLE_TIMEOUT, S.ENDING, (A.END_SESSION, A.SHOW), "idle"),
    (S.IN_USE, E.SHUTDOWN, S.IDLE, (A.END_SESSION,), "shutdown"),
    (S.ENDING, E.SESSION_CLOSED, S.IDLE, (A.SHOW,), None),
    (S.FAULT, E.FAULT_CLEARED, S.IDLE, (A.SHOW,), None),
    (S.OUT_OF_SERVICE, E.BACK_IN_SERVICE, S.IDLE, (A.SHOW,), None),
    (S.OUT_OF_SERVICE, E.TAP_GRANTED, S.OUT_OF_SERVICE, (A.REFUSE,), "out_of_service"),
]  # fmt: skip


@pytest.mark.parametrize(("state", "event", "next_state", "actions", "reason"), EXPECTED)
def test_the_transitions_residents_meet(state, event, next_state, actions, reason):
    assert step_of(state, event) == (
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


def test_a_tap_during_a_session_depends_on_the_machine_working():
    # Someone else, trained: offered the machine when it rests, refused while it works.
    assert classify_tap(State.IN_USE, "granted", False, False) is Input.TAP_GRANTED
    assert classify_tap(State.IN_USE, "granted", False, False, working=True) is (
        Input.TAP_WHILE_WORKING
    )
    # A référent validates a step (not while the laser cuts).
    assert classify_tap(State.IN_USE, "granted", False, True) is Input.TAP_SIGNER
    assert classify_tap(State.IN_USE, "not_trained", False, True, working=True) is (
        Input.TAP_WHILE_WORKING
    )
    # The holder's badge answers a question on the screen instead of ending the session.
    assert classify_tap(State.IN_USE, "granted", True, False, confirming=True) is (
        Input.TOUCH_CONFIRM
    )
    assert classify_tap(State.CHECKLIST, "granted", True, False, confirming=True) is (
        Input.TOUCH_CONFIRM
    )


def test_every_transition_is_the_reviewed_one():
    """The whole table against tests/data/station_transitions.json: a change to what the
    station does in any state shows as a diff of that file, reviewed with the change (and
    regenerated with the snippet in docs/testing.md)."""
    import json
    from pathlib import Path

    reviewed = json.loads((Path(__file__).parent / "data" / "station_transitions.json").read_text())
    built = {
        f"{s.value} + {e.value}": {
            "next": t.next.value, "actions": [a.value for a in t.actions], "reason": t.reason
        }
        for (s, e), t in _build().items()
    }  # fmt: skip
    assert built == reviewed
