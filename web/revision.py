"""Wake long-polling stations when anything their access list depends on changes.

Writes from this process (pages, events) poke the watcher as they commit, so a revocation
reaches a waiting station in milliseconds. Writes from another process (the `fablab-hub`
command) are seen by reading the `revision` row a few times a second, while at least one
station is waiting; with nobody waiting, the watcher stops.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlite_utils import Database

from web.domain.access_list import current_revision


class RevisionWatcher:
    def __init__(self, open_db: Callable[[], Database], interval: float = 0.2) -> None:
        self._open_db = open_db
        self._interval = interval
        self._changed = threading.Condition()
        self._revision: int | None = None
        self._waiters = 0
        self._thread: threading.Thread | None = None
        self._poked = threading.Event()

    def poke(self) -> None:
        """Something was committed here: look at the revision now."""
        self._poked.set()

    def wait_for_change(self, seen: int, timeout: float) -> bool:
        """Block until the revision differs from `seen` or `timeout` passes; True if it moved."""
        with self._changed:
            self._waiters += 1
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._watch, name="revision-watcher", daemon=True
                )
                self._thread.start()
            try:
                return self._changed.wait_for(
                    lambda: self._revision is not None and self._revision != seen, timeout
                )
            finally:
                self._waiters -= 1

    def _watch(self) -> None:
        db = self._open_db()
        try:
            while True:
                revision = current_revision(db)
                with self._changed:
                    if revision != self._revision:
                        self._revision = revision
                        self._changed.notify_all()
                    if self._waiters == 0:
                        self._thread = None
                        self._revision = None
                        return
                self._poked.wait(self._interval)
                self._poked.clear()
        finally:
            db.close()
