"""The entrance desk: a "machine" with nothing to switch. Its sessions are visits to the fablab."""

from __future__ import annotations

from machines.base import Controller, MachineState, Usage


class CheckinDesk(Controller):
    kind = "checkin"

    def __init__(self) -> None:
        super().__init__()

    def unlock(self, session: str) -> None:
        self.session = session
        self._set_state(MachineState.UNLOCKED)

    def lock(self, reason: str) -> Usage:
        self.session = None
        self._set_state(MachineState.LOCKED)
        return Usage()

    def usage(self) -> Usage:
        return Usage()

    def close(self) -> None:
        self.session = None
