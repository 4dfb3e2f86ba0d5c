"""A disk that loses power: a SQLite VFS (APSW) over the real files that remembers, for each
file, what was last synced to disk; at a "power cut" (after a seeded number of writes and
syncs) every call fails, and `restore()` puts back each file as last synced, throwing away
every write not yet synced, as a real power failure would. The -shm file (memory, not disk)
goes too."""

from __future__ import annotations

import contextlib
import random
from pathlib import Path
from typing import Any

import apsw


class PowerCut(Exception):
    pass


class Disk:
    """The files' synced images, and the moment the power goes."""

    def __init__(self, rng: random.Random, max_operations: int) -> None:
        self.synced: dict[str, bytes | None] = {}  # None: never synced (a power cut loses it)
        self.left = rng.randint(1, max_operations)
        self.dead = False

    def tick(self) -> None:
        if self.dead:
            raise apsw.IOError("the power is off")
        self.left -= 1
        if self.left <= 0:
            self.dead = True
            raise apsw.IOError("power cut")

    def opened(self, path: str) -> None:
        if path not in self.synced:
            file = Path(path)
            self.synced[path] = file.read_bytes() if file.exists() else None

    def sync(self, path: str) -> None:
        self.synced[path] = Path(path).read_bytes()

    def restore(self) -> None:
        """Power back: each file as last synced; never-synced files gone; no -shm."""
        for path, image in self.synced.items():
            file = Path(path)
            if image is None:
                file.unlink(missing_ok=True)
            else:
                file.write_bytes(image)
            Path(f"{path}-shm").unlink(missing_ok=True)


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
