"""Collecting a machine controller's events and waiting for one, with a deadline."""

from __future__ import annotations

import threading


class Events:
    def __init__(self, controller) -> None:
        self.items: list = []
        self._arrived = threading.Condition()
        controller.subscribe(self._add)

    def _add(self, event) -> None:
        with self._arrived:
            self.items.append(event)
            self._arrived.notify_all()

    def wait_for(self, predicate, timeout: float = 30.0, what: str = "event"):
        """The first event matching `predicate`, removed from the list; fails after `timeout`."""
        with self._arrived:
            found = self._arrived.wait_for(
                lambda: next((e for e in self.items if predicate(e)), None), timeout
            )
            assert found, f"no {what}; got {self.items}"
            self.items.remove(found)
            return found

    def of(self, kind: type, timeout: float = 30.0):
        return self.wait_for(lambda e: isinstance(e, kind), timeout, kind.__name__)

    def job(self, state: str, timeout: float = 30.0):
        from machines.base import JobUpdate

        return self.wait_for(
            lambda e: isinstance(e, JobUpdate) and e.state == state, timeout, f"job {state}"
        )
