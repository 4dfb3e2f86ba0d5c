"""A disk that loses power: a SQLite VFS (APSW) over the real files that remembers, for each
file, what was last synced to disk; at a "power cut" (after a seeded number of writes and
syncs) every call fails, and `restore()` puts back each file as last synced, throwing away
every write not yet synced, as a real power failure would. The -shm file (memory, not disk)
goes too."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import apsw

from tests import sqlite_power_cut as synced


class PowerCut(Exception):
    pass


class Disk(synced.Disk):
    """tests/sqlite_power_cut.py's disk, failing as APSW wants: by raising."""

    def tick(self, what: str = "") -> bool:
        if not super().tick(what):
            raise apsw.IOError("power cut")
        return True


class PowerCutVFS(apsw.VFS):
    def __init__(self, disk: Disk, name: str) -> None:
        self.disk, self.name = disk, name
        super().__init__(name, "")

    def xOpen(self, name: Any, flags: list[int]) -> PowerCutFile:
        path = name.filename() if hasattr(name, "filename") else name
        return PowerCutFile(self.disk, name, str(path) if path else "", flags)

    def xDelete(self, filename: str, syncdir: bool) -> None:
        self.disk.tick()
        super().xDelete(filename, syncdir)
        self.disk.synced[filename] = None


class PowerCutFile(apsw.VFSFile):
    def __init__(self, disk: Disk, name: Any, path: str, flags: list[int]) -> None:
        self.disk, self.path = disk, path
        super().__init__("", name, flags)
        if path and not path.endswith("-shm"):
            disk.opened(path)

    def xWrite(self, data: bytes, offset: int) -> None:
        self.disk.tick()
        super().xWrite(data, offset)

    def xTruncate(self, size: int) -> None:
        self.disk.tick()
        super().xTruncate(size)

    def xSync(self, flags: int) -> None:
        self.disk.tick()
        super().xSync(flags)
        if self.path:
            self.disk.sync(self.path)


class Connection:
    """Enough of sqlite3.Connection for the outbox, over APSW and the power-cut VFS."""

    def __init__(self, path: Path, vfs: str) -> None:
        self._connection = apsw.Connection(str(path), vfs=vfs)
        self._connection.set_busy_timeout(5000)

    def execute(self, sql: str, params: Any = ()) -> Any:
        return self._connection.cursor().execute(sql, params)

    def executemany(self, sql: str, rows: Any) -> Any:
        return self._connection.cursor().executemany(sql, rows)

    @property
    def in_transaction(self) -> bool:
        return self._connection.in_transaction

    def close(self) -> None:
        with contextlib.suppress(apsw.Error):  # the power is off
            self._connection.close(True)
