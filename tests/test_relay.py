"""Relay interlocks on gpiozero's mock pins: the pin timeline is what a machine would feel."""

import subprocess
import sys
import time

import pytest
from gpiozero.pins.mock import MockFactory

from machines.base import Activity, Fault, MachineState, Recovered, Refused, build_controller
from machines.relay import LaserCutter, RelayInterlock, SewingStation
from tests.machine_events import Events


@pytest.fixture
def pins():
    factory = MockFactory()
    yield factory
    factory.reset()


def levels(pin):
    return [state.state for state in pin.states]


@pytest.mark.parametrize(("active_high", "off", "on"), [(True, False, True), (False, True, False)])
def test_the_relay_is_off_from_the_start_and_follows_the_session(pins, active_high, off, on):
    with RelayInterlock(pin=17, active_high=active_high, pin_factory=pins) as relay:
        pin = pins.pin(17)
        # states[0] is the pin before gpiozero drives it (an input); from then on, never "on".
        assert levels(pin)[-1] == off and on not in levels(pin)[1:]
        relay.unlock("s1")
        assert relay.state is MachineState.UNLOCKED and pin.state == on
        relay.lock("badge_out")
        assert relay.state is MachineState.LOCKED and pin.state == off
    assert levels(pin)[-3:] == [off, on, off]


def test_the_relay_goes_off_when_a_with_block_fails(pins):
    with pytest.raises(RuntimeError), RelayInterlock(pin=17, pin_factory=pins) as relay:
        relay.unlock("s1")
        raise RuntimeError("bug in the station")
    assert pins.pin(17).state is False or pins.pin(17).state == 0


def test_busy_time_is_metered_and_noise_is_ignored(pins):
    relay = RelayInterlock(pin=17, busy_pin=27, settle=0.05, pin_factory=pins)
    events = Events(relay)
    busy = pins.pin(27)
    relay.unlock("s1")
    busy.drive_high()
    busy.drive_low()  # a 0 ms spike: motor noise
    assert events.items == [] and relay.usage().busy_seconds == 0
    began = time.monotonic()
    busy.drive_high()
    assert events.of(Activity).busy is True
    assert relay.state is MachineState.RUNNING
    time.sleep(0.3)  # the machine works for a while (a duration, not a wait for an event)
    busy.drive_low()
    worked = time.monotonic() - began
    assert events.of(Activity).busy is False
    usage = relay.lock("idle")
    # Metered as it happened, however loaded the machine running the test is.
    assert worked - 0.1 <= usage.busy_seconds <= worked
    relay.close()


def test_permits_must_be_on_to_unlock_and_dropping_one_cuts_power(pins):
    laser = LaserCutter(pin=17, beam_pin=27, extractor_pin=22, lid_pin=23, pin_factory=pins)
    events = Events(laser)
    with pytest.raises(Refused) as refused:
        laser.unlock("s1")
    assert refused.value.code == "permit_missing" and refused.value.detail == "extractor, lid"
    assert pins.pin(17).state in (False, 0)
    pins.pin(22).drive_high()
    pins.pin(23).drive_high()
    deadline = time.monotonic() + 5
    while not all(p.active for p in laser._permits.values()) and time.monotonic() < deadline:
        time.sleep(0.01)
    laser.unlock("s1")
    assert pins.pin(17).state in (True, 1)
    pins.pin(22).drive_low()  # the extractor stops
    fault = events.of(Fault)
    assert fault.code == "permit_lost" and "extractor" in fault.message
    assert pins.pin(17).state in (False, 0) and laser.state is MachineState.FAULT
    laser.lock("fault")
    pins.pin(22).drive_high()
    events.of(Recovered)
    assert laser.state is MachineState.LOCKED
    laser.close()


def test_the_warning_output_and_the_factory(pins):
    sewing = build_controller("sewing", pin=5, motor_pin=6, warning_pin=13, pin_factory=pins)
    assert isinstance(sewing, SewingStation) and sewing.busy_settle == 0.2
    sewing.unlock("s1")
    sewing.warn(True)
    assert pins.pin(13).state in (True, 1)
    sewing.lock("timeout")
    assert pins.pin(13).state in (False, 0)
    sewing.close()
    sewing.close()  # idempotent
    with pytest.raises(ValueError, match="unknown machine kind 'toaster'"):
        build_controller("toaster")
    with pytest.raises(ValueError, match="pinn"):
        build_controller("relay", pinn=4)
    mock = build_controller("relay", pin=4, pin_factory="mock")
    assert isinstance(mock.pin_factory, MockFactory)
    mock.close()


CHILD = """
import atexit, json, sys, time
from gpiozero.pins.mock import MockFactory
from machines.relay import RelayInterlock, exit_on_sigterm
pins = MockFactory()
atexit.register(lambda: open(sys.argv[1], "w").write(
    json.dumps([s.state for s in pins.pin(17).states])))
exit_on_sigterm()
relay = RelayInterlock(pin=17, pin_factory=pins)
relay.unlock("s1")
print("unlocked", flush=True)
if sys.argv[2] == "exception":
    raise RuntimeError("crash")
if sys.argv[2] == "exit":
    sys.exit(0)
time.sleep(60)
"""


@pytest.mark.parametrize("how", ["sigterm", "exception", "exit"])
def test_the_relay_is_off_after_sigterm_a_crash_or_interpreter_exit(tmp_path, how):
    record = tmp_path / "states.json"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(record), how],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout.readline().strip() == "unlocked"
    if how == "sigterm":
        child.terminate()
    child.communicate(timeout=20)
    states = __import__("json").loads(record.read_text())
    assert states[-2:] == [True, False], states


def test_a_fault_that_is_still_on_is_heard_by_whoever_subscribes_later(pins):
    """A printer unreachable from the start faults before the agent listens: it still hears it."""
    from machines.base import Fault, Recovered

    relay = RelayInterlock(pin=17, pin_factory=pins)
    relay._emit(Fault("printer_unreachable", "OctoPrint does not answer"))
    heard: list = []
    relay.subscribe(heard.append)
    assert [event.code for event in heard] == ["printer_unreachable"]
    relay._emit(Recovered())
    late: list = []
    relay.subscribe(late.append)
    assert late == [] and isinstance(heard[-1], Recovered)
    relay.close()
