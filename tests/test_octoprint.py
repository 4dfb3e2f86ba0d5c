"""The 3D printer controller against a real OctoPrint 1.11 and its Virtual Printer."""

import pytest

from demo.octoprint import slow_gcode
from machines.base import Fault, JobUpdate, MachineState, Recovered, Refused, SessionOver
from machines.octoprint import OctoPrintPrinter, classify
from tests.machine_events import Events


@pytest.fixture
def printer(octoprint):
    controller = OctoPrintPrinter(
        url=octoprint.url, api_key=octoprint.api_key, port="VIRTUAL",
        poll_interval=0.1, idle_poll_interval=0.1,
    )  # fmt: skip
    yield controller
    controller.close()


def start_printing(octoprint, printer, session, name, gcode, **upload):
    """A member badges in and starts a print from OctoPrint's own page."""
    events = Events(printer)
    printer.unlock(session)
    assert printer.wait_ready(10)
    octoprint.upload(name, gcode, **upload)
    octoprint.print_file(name)
    started = events.job("started")
    assert (started.session, started.file) == (session, name)
    return events


def test_octoprint_states_are_classified():
    assert classify("Printing from SD") == "printing"
    assert classify("Cancelling") == "cancelling"
    assert classify("Operational") == "ready"
    assert classify("Offline after error") == "error"
    assert classify("Offline") == "offline"
    assert classify("Opening serial connection") == "connecting"


def test_a_session_with_a_print_that_completes(octoprint, printer):
    events = start_printing(octoprint, printer, "session-1", "cube.gcode", slow_gcode(1),
                            analysed=True)  # fmt: skip
    done = events.job("done")
    assert done.session == "session-1" and done.progress == 100
    assert done.filament_mm == 2.0  # the file extrudes 2 mm
    usage = printer.lock("badge_out")
    assert [job["state"] for job in usage.jobs] == ["done"]
    assert usage.jobs[0]["file"] == "cube.gcode"
    assert usage.filament_mm == 2.0 and usage.print_time_seconds >= 1
    assert printer.state is MachineState.LOCKED


def test_badging_out_during_a_print_ends_the_session_with_the_job(octoprint, printer):
    events = start_printing(octoprint, printer, "session-2", "slow.gcode", slow_gcode(2))
    assert printer.lock("badge_out") is None  # the print goes on
    assert printer.state is MachineState.FINISHING
    assert octoprint.state().startswith("Printing")
    over = events.of(SessionOver)
    assert (over.session, over.reason) == ("session-2", "job_done")
    assert over.usage.jobs[0]["state"] == "done"
    assert over.usage.print_time_seconds >= 1
    assert printer.state is MachineState.LOCKED


def test_a_print_cancelled_by_its_member(octoprint, printer):
    events = start_printing(octoprint, printer, "session-3", "long.gcode", slow_gcode(30))
    octoprint.api("POST", "/api/job", json={"command": "cancel"})
    cancelled = events.job("cancelled")
    assert cancelled.session == "session-3"
    assert printer.state is MachineState.UNLOCKED
    assert [job["state"] for job in printer.lock("badge_out").jobs] == ["cancelled"]


def test_a_print_started_without_a_session_is_cancelled(octoprint, printer):
    events = Events(printer)
    assert printer.wait_for_printer("ready", 10)  # it has had its first look
    octoprint.upload("sneaky.gcode", slow_gcode(30))
    octoprint.print_file("sneaky.gcode")
    unauthorised = events.job("unauthorised")
    assert (unauthorised.session, unauthorised.file) == (None, "sneaky.gcode")
    assert octoprint.wait_for_state("Operational", timeout=30) == "Operational"


def test_a_print_running_when_the_controller_starts_is_followed_not_cancelled(octoprint):
    octoprint.upload("before.gcode", slow_gcode(2))
    octoprint.print_file("before.gcode")
    octoprint.wait_for_state("Printing")
    controller = OctoPrintPrinter(url=octoprint.url, api_key=octoprint.api_key, poll_interval=0.1)
    try:
        events = Events(controller)
        events.job("started")
        events.job("done")
        assert not [
            e for e in events.items if isinstance(e, JobUpdate) and e.state == "unauthorised"
        ]
    finally:
        controller.close()


def test_octoprint_stopped_and_restarted_mid_session(octoprint, printer):
    events = Events(printer)
    printer.unlock("session-4")
    assert printer.wait_ready(10)
    octoprint.stop()
    fault = events.of(Fault)
    assert fault.code == "printer_unreachable"
    assert printer.state is MachineState.UNREACHABLE
    with pytest.raises(Refused):
        printer.unlock("someone-else")
    octoprint.start()
    events.of(Recovered, timeout=60)
    assert printer.state is MachineState.UNLOCKED and printer.session == "session-4"
    octoprint.connect_printer()
    assert printer.wait_ready(20)


def test_the_virtual_printer_dropping_its_connection(octoprint, printer):
    events = start_printing(octoprint, printer, "session-5", "dropped.gcode", slow_gcode(30))
    octoprint.gcode("!!DEBUG:drop_connection")
    failed = events.job("failed")
    assert failed.session == "session-5"
    assert events.of(Fault).code.startswith("printer_")
    usage = printer.lock("fault")
    assert [job["state"] for job in usage.jobs] == ["failed"]
    # The next session reconnects the printer.
    printer.unlock("session-6")
    assert printer.wait_ready(30)
    printer.lock("badge_out")
