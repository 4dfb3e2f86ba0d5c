"""Everything a station does with the hub, in threads of its own, never in a tap's way:
the access list's long poll, shipping the outbox, heartbeats, and one last hand-over at stop.

A problem with the hub is logged once until it clears; problems other than an unreachable hub
(a hub answering garbage, a disk that cannot keep the list) are also reported as fault events.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from common import __version__
from kiosk.access import AccessList, AccessListStore
from kiosk.hub_client import HubClient, HubUnavailable
from kiosk.outbox import Outbox, new_event
from kiosk.sync import AccessListSync, Shipper

log = logging.getLogger("kiosk")


class HubLink:
    def __init__(
        self,
        client: HubClient,
        outbox: Outbox,
        store: AccessListStore,
        *,
        heartbeat_seconds: float,
        outbox_fault_depth: int,
        stop: threading.Event,
    ) -> None:
        self.client, self.outbox, self.store, self.stop = client, outbox, store, stop
        self.heartbeat_seconds = heartbeat_seconds
        self.outbox_fault_depth = outbox_fault_depth
        self.problems: set[str] = set()  # each logged once until it clears
        self._lock = threading.Lock()
        self.sync: AccessListSync | None = None
        self.on_reachable: Callable[[bool], None] = lambda reachable: None

    def start(
        self,
        etag: str | None,
        on_list: Callable[[AccessList], None],
        state: Callable[[], str],
        on_reachable: Callable[[bool], None] = lambda reachable: None,
        on_answer: Callable[[dict[str, Any]], None] = lambda answer: None,
    ) -> None:
        """Start the long poll (new lists go to `on_list`), the shipper and the heartbeats
        (which report `state()`); `on_reachable` hears when the hub goes away or comes back,
        `on_answer` what the hub answered each batch of events."""
        self.on_reachable = on_reachable
        self.sync = AccessListSync(
            self.client, self.store, etag, on_list, self.problem, self.stop, self.reached
        )
        threads = [
            self.sync,
            Shipper(self.client, self.outbox, self.problem, self.stop, self.reached, on_answer),
            threading.Thread(target=self._heartbeats, args=(state,), name="heartbeat", daemon=True),
        ]
        for thread in threads:
            thread.start()

    def problem(self, code: str, text: str) -> None:
        with self._lock:
            new = code not in self.problems
            self.problems.add(code)
        if new:
            log.warning("%s: %s", code, text)
            if code == "hub_unreachable":
                self.on_reachable(False)
            else:
                self.outbox.keep(new_event("fault", code=code, message=text[:500]))

    def reached(self) -> None:
        """The hub answered: it is reachable (again)."""
        with self._lock:
            back = "hub_unreachable" in self.problems
            self.problems.discard("hub_unreachable")
        if back:
            log.info("the hub answers again")
            self.on_reachable(True)

    def _heartbeats(self, state: Callable[[], str]) -> None:
        warned_depth = False
        while not self.stop.wait(self.heartbeat_seconds):
            depth = self.outbox.depth()
            if depth > self.outbox_fault_depth and not warned_depth:
                warned_depth = True
                waiting = f"{depth} events waiting for the hub"
                self.outbox.keep(new_event("fault", code="outbox_full", message=waiting))
            last_sync = self.sync.last_sync if self.sync else None
            beat = new_event(
                "heartbeat",
                version=__version__,
                state=state(),
                outbox_depth=depth,
                **({"last_sync": _iso(last_sync)} if last_sync else {}),
            )
            try:
                self.client.post_events([beat])
                self.reached()
            except HubUnavailable:
                pass

    def last_flush(self) -> None:
        """One quick try to hand the hub what is left; whatever stays is sent at the next start."""
        batch = self.outbox.peek(500)
        if not batch:
            return
        try:
            answer: dict[str, Any] = self.client.post_events(batch)
        except HubUnavailable:
            log.info("%d event(s) kept for the next start", len(batch))
            return
        done = answer["accepted"] + answer["duplicates"]
        self.outbox.acknowledge(done + [r["id"] for r in answer["rejected"] if r.get("id")])


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")
