"""A disk that loses power, for the hub's database: a VFS shim made with ctypes in the very
libsqlite3 Python's `sqlite3` module runs on (APSW embeds its own SQLite, which `sqlite3`
never sees: tests/power_cut.py cannot reach the hub).

The shim is the default VFS with only xOpen and xDelete replaced. Each file it opens keeps
the real file object, but its method table is a copy of the real one in which xWrite,
xTruncate and xSync count an operation on the `Disk` first: after a seeded number of them
the power is off and every such call fails (SQLITE_IOERR). `Disk.restore()` then puts each
file back as it was last synced, as a real power failure would (tests/power_cut.py's model).
Every other method stays the real C function: no Python on reads, locks or the -shm."""

from __future__ import annotations

import ctypes
import ctypes.util
import random
import sqlite3
from pathlib import Path
from typing import Any

IOERR = 10  # SQLITE_IOERR
VOIDP, INT, INT64 = ctypes.c_void_p, ctypes.c_int, ctypes.c_int64

X_OPEN = ctypes.CFUNCTYPE(INT, VOIDP, VOIDP, VOIDP, INT, VOIDP)  # vfs, name, file, flags, out
X_DELETE = ctypes.CFUNCTYPE(INT, VOIDP, VOIDP, INT)  # vfs, name, sync directory
X_WRITE = ctypes.CFUNCTYPE(INT, VOIDP, VOIDP, INT, INT64)  # file, data, amount, offset
X_TRUNCATE = ctypes.CFUNCTYPE(INT, VOIDP, INT64)  # file, size
X_SYNC = ctypes.CFUNCTYPE(INT, VOIDP, INT)  # file, flags


class Vfs(ctypes.Structure):
    """struct sqlite3_vfs, iVersion 3 (sqlite3.h); untouched methods as plain pointers."""

    _fields_ = [("iVersion", INT), ("szOsFile", INT), ("mxPathname", INT), ("pNext", VOIDP),
                ("zName", ctypes.c_char_p), ("pAppData", VOIDP), ("xOpen", X_OPEN),
                ("xDelete", X_DELETE)] + [(name, VOIDP) for name in (
        "xAccess", "xFullPathname", "xDlOpen", "xDlError", "xDlSym", "xDlClose", "xRandomness",
        "xSleep", "xCurrentTime", "xGetLastError", "xCurrentTimeInt64", "xSetSystemCall",
        "xGetSystemCall", "xNextSystemCall")]  # fmt: skip


class IoMethods(ctypes.Structure):
    """struct sqlite3_io_methods, up to iVersion 3 (sqlite3.h)."""

    _fields_ = [("iVersion", INT), ("xClose", VOIDP), ("xRead", VOIDP), ("xWrite", X_WRITE),
                ("xTruncate", X_TRUNCATE), ("xSync", X_SYNC)] + [(name, VOIDP) for name in (
        "xFileSize", "xLock", "xUnlock", "xCheckReservedLock", "xFileControl", "xSectorSize",
        "xDeviceCharacteristics", "xShmMap", "xShmLock", "xShmBarrier", "xShmUnmap", "xFetch",
        "xUnfetch")]  # fmt: skip


class File(ctypes.Structure):
    """struct sqlite3_file: the real VFS's file object starts with its method table."""

    _fields_ = [("pMethods", VOIDP)]


class Unavailable(RuntimeError):
    """Python's sqlite3 does not run on a libsqlite3 this process can reach (static build)."""


def library() -> ctypes.CDLL:
    """The libsqlite3 `_sqlite3` is linked against (the same loaded instance, not a copy)."""
    import _sqlite3  # noqa: F401  (loads the library, so it shows in the process's map)

    maps = Path("/proc/self/maps")  # Linux: the file actually mapped; elsewhere, a guess
    mapped = [line.split()[-1] for line in maps.read_text().splitlines()] if maps.exists() else []
    found = next((path for path in mapped if "/libsqlite3" in path), None)
    found = found or ctypes.util.find_library("sqlite3")
    if found is None:
        raise Unavailable("Python's sqlite3 is not linked to a shared libsqlite3")
    lib = ctypes.CDLL(found)
    lib.sqlite3_libversion.restype = ctypes.c_char_p
    lib.sqlite3_vfs_find.restype = VOIDP
    lib.sqlite3_vfs_find.argtypes = [ctypes.c_char_p]
    lib.sqlite3_vfs_register.argtypes = [VOIDP, INT]
    lib.sqlite3_vfs_unregister.argtypes = [VOIDP]
    if lib.sqlite3_libversion().decode() != sqlite3.sqlite_version:
        raise Unavailable(f"{found} is SQLite {lib.sqlite3_libversion().decode()}, "
                          f"Python's sqlite3 runs {sqlite3.sqlite_version}")  # fmt: skip
    return lib


class Disk:
    """The files' synced images, and the moment the power goes (a failure here is a return
    code; tests/power_cut.py's APSW disk raises instead)."""

    def __init__(self, rng: random.Random, max_operations: int) -> None:
        self.synced: dict[str, bytes | None] = {}  # None: never synced (a power cut loses it)
        self.left = rng.randint(1, max_operations)
        self.dead = False
        self.cut_at: str | None = None  # what was being done when the power went

    def tick(self, what: str = "") -> bool:
        """Count an operation; False once the power is off."""
        if self.dead:
            return False
        self.left -= 1
        if self.left <= 0:
            self.dead, self.cut_at = True, what
            return False
        return True

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


def synced_then_unsynced(connection: Any) -> None:
    """A row committed at synchronous=FULL, then one at OFF, on a connection over a power-cut
    disk: a cut now must keep the first and lose the second (each drill's own check)."""
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = FULL")
    connection.execute("CREATE TABLE t (x)")
    connection.execute("INSERT INTO t VALUES (1)")  # synced (FULL)
    connection.execute("PRAGMA synchronous = OFF")
    connection.execute("INSERT INTO t VALUES (2)")  # never synced


_kept: list[object] = []  # SQLite may hold our structs and callbacks until the process ends


class Shim:
    """The power-cut VFS over the default one, registered in `lib` under `name`."""

    def __init__(self, lib: ctypes.CDLL, disk: Disk, name: str) -> None:
        self.lib, self.disk = lib, disk
        self.real_address = lib.sqlite3_vfs_find(None)
        self.real = Vfs.from_address(self.real_address)
        self.vfs = Vfs.from_buffer_copy(self.real)
        self.vfs.zName, self.vfs.pNext = name.encode(), None
        self.vfs.xOpen, self.vfs.xDelete = X_OPEN(self._open), X_DELETE(self._delete)
        self.paths: dict[int, str] = {}  # sqlite3_file address: its path (none: a temp file)
        self.tables: dict[int, IoMethods] = {}  # real method table address: our copy
        _kept.append(self)

    def _open(self, vfs: int, name: int | None, file: int, flags: int, out: int | None) -> int:
        try:
            rc = self.real.xOpen(self.real_address, name, file, flags, out)
            self.paths.pop(file, None)
            handle = File.from_address(file)
            if rc != 0 or not handle.pMethods:
                return rc
            handle.pMethods = ctypes.addressof(self._table(handle.pMethods))
            if name:
                self.paths[file] = ctypes.string_at(name).decode()
                self.disk.opened(self.paths[file])
            return 0
        except BaseException:  # nothing may escape into SQLite
            return IOERR

    def _delete(self, vfs: int, name: int, sync_directory: int) -> int:
        try:
            path = ctypes.string_at(name).decode()
            if not self.disk.tick(f"delete {Path(path).name}"):
                return IOERR
            rc = self.real.xDelete(self.real_address, name, sync_directory)
            self.disk.synced[path] = None
            return rc
        except BaseException:
            return IOERR

    def _table(self, address: int) -> IoMethods:
        """Our copy of a real method table: xWrite, xTruncate, xSync go by the disk."""
        if address in self.tables:
            return self.tables[address]
        real = IoMethods.from_address(address)
        table = IoMethods.from_buffer_copy(real)
        disk, paths = self.disk, self.paths
        write, truncate, sync = real.xWrite, real.xTruncate, real.xSync

        def name(file: int) -> str:
            return Path(paths.get(file) or "(temp)").name

        def x_write(file: int, data: int, amount: int, offset: int) -> int:
            try:
                ok = disk.tick(f"write {name(file)}")
                return write(file, data, amount, offset) if ok else IOERR
            except BaseException:
                return IOERR

        def x_truncate(file: int, size: int) -> int:
            try:
                return truncate(file, size) if disk.tick(f"truncate {name(file)}") else IOERR
            except BaseException:
                return IOERR

        def x_sync(file: int, flags: int) -> int:
            try:
                if not disk.tick(f"sync {name(file)}"):
                    return IOERR
                rc = sync(file, flags)
                if rc == 0 and paths.get(file):
                    disk.sync(paths[file])
                return rc
            except BaseException:
                return IOERR

        table.xWrite, table.xTruncate, table.xSync = (
            X_WRITE(x_write), X_TRUNCATE(x_truncate), X_SYNC(x_sync))  # fmt: skip
        self.tables[address] = table
        return table

    def unregister(self) -> None:
        self.lib.sqlite3_vfs_unregister(ctypes.addressof(self.vfs))


def register(disk: Disk, name: str, default: bool = True) -> Shim:
    """The shim in Python's own libsqlite3; as the default VFS, `sqlite3.connect(path)` (the
    hub's web/db.py unchanged) runs on it. Raises Unavailable when Python cannot see it."""
    shim = Shim(library(), disk, name)
    if shim.lib.sqlite3_vfs_register(ctypes.addressof(shim.vfs), int(default)) != 0:
        raise Unavailable(f"could not register the VFS {name}")
    try:  # proof that Python's sqlite3 sees it: a URI naming a VFS it does not know fails
        sqlite3.connect(f"file:probe?vfs={name}&mode=memory", uri=True).close()
    except Exception as problem:  # whatever it is, the shim must not stay the default
        shim.unregister()
        why = f"Python's sqlite3 does not see a VFS registered by ctypes: {problem}"
        raise Unavailable(why) from None
    return shim
