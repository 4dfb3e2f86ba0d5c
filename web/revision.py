"""Wake long-polling stations when anything their access list depends on changes.

Writes may come from this process (pages, API) or another (the `fablab-hub`
command), so the only reliable signal is the database itself. While at least
one station is waiting, one thread reads the `revision` row a few times a
second and wakes every waiter when it moves; with nobody waiting, it stops.
"""

from __future__ import annotations

import threading
import time
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
                time.sleep(self._interval)
        finally:
            db.close()
