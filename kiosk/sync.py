"""The station's two links to the hub, each in its own thread, never in a tap's way.

`AccessListSync` long-polls the access list (ETag, 30 s) and hands each new
version to the agent; `Shipper` sends the outbox in batches and deletes what
the hub acknowledged. Both back off (1 s doubling to 30 s) while the hub is
away, and report a hub that answers garbage without ever trusting it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from kiosk.access import AccessList, AccessListInvalid, AccessListStore
from kiosk.hub_client import HubClient, HubUnavailable
from kiosk.outbox import Outbox

log = logging.getLogger(__name__)
LONG_POLL_SECONDS = 30
BATCH = 100


class _Backoff:
    def __init__(self) -> None:
        self.delay = 1.0

    def failed(self) -> float:
        delay, self.delay = self.delay, min(self.delay * 2, 30.0)
        return delay

    def succeeded(self) -> None:
        self.delay = 1.0


class AccessListSync(threading.Thread):
    def __init__(
        self,
        client: HubClient,
        store: AccessListStore,
        etag: str | None,
        on_list: Callable[[AccessList], None],
        on_problem: Callable[[str, str], None],
        stop: threading.Event,
        on_answer: Callable[[], None] = lambda: None,
    ) -> None:
        super().__init__(name="access-list-sync", daemon=True)
        self.client, self.store, self.etag = client, store, etag
        self.on_list, self.on_problem, self.stop = on_list, on_problem, stop
        self.on_answer = on_answer
        self.last_sync: float | None = None  # wall-clock time of the last answer from the hub

    def run(self) -> None:
        backoff = _Backoff()
        while not self.stop.is_set():
            try:
                status, body, etag = self.client.access_list(self.etag, LONG_POLL_SECONDS)
                if status == 200:
                    fresh = AccessList.from_json(body, etag)
                    self.store.save(body, etag)
                    self.etag = etag
                    self.on_list(fresh)
                self.last_sync = time.time()
                self.on_answer()
                backoff.succeeded()
            except (HubUnavailable, AccessListInvalid) as problem:
                code = (
                    "hub_garbage" if isinstance(problem, AccessListInvalid) else "hub_unreachable"
                )
                self.on_problem(code, str(problem))
                self.stop.wait(backoff.failed())
            except OSError as problem:  # the list could not be saved (disk full)
                self.on_problem("disk_error", f"cannot save the access list: {problem}")
                self.stop.wait(backoff.failed())


class Shipper(threading.Thread):
    def __init__(
        self,
        client: HubClient,
        outbox: Outbox,
        on_problem: Callable[[str, str], None],
        stop: threading.Event,
        on_answer: Callable[[], None] = lambda: None,
        on_batch: Callable[[dict[str, Any]], None] = lambda answer: None,
    ) -> None:
        """`on_answer()` when the hub answers at all; `on_batch(answer)` with what it said."""
        super().__init__(name="outbox-shipper", daemon=True)
        self.client, self.outbox, self.on_problem, self.stop = client, outbox, on_problem, stop
        self.on_answer, self.on_batch = on_answer, on_batch
        self.last_ack: float | None = None

    def run(self) -> None:
        backoff = _Backoff()
        while not self.stop.is_set():
            batch = self.outbox.peek(BATCH)
            if not batch:
                self.outbox.wait_for_events(1.0)
                continue
            try:
                answer: dict[str, Any] = self.client.post_events(batch)
            except HubUnavailable as problem:
                self.on_problem("hub_unreachable", str(problem))
                self.stop.wait(backoff.failed())
                continue
            backoff.succeeded()
            self.on_answer()
            for rejected in answer["rejected"]:
                log.error(
                    "the hub rejected event %s: %s", rejected.get("id"), rejected.get("reason")
                )
            done = answer["accepted"] + answer["duplicates"]
            done += [item["id"] for item in answer["rejected"] if item.get("id")]
            self.outbox.acknowledge(done)
            self.last_ack = time.time()
            self.on_batch(answer)
