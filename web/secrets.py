"""The hub's secrets, in a file of their own, never in the database.

A copy of the database (a backup, a stolen SD card) then gives no working login, cannot
match the stations' badge hashes back to cards, and cannot sign a credential. The file
(default `/etc/fablab/secrets.toml`, or `$FABLAB_SECRETS`, or `fablab-hub --secrets PATH`)
is made by `fablab-hub init`, readable by its owner only, and is not part of
`fablab-hub backup`: keep a copy of it elsewhere, apart from the backups.

- `badge` keys the stations' badge hashes and person aliases. Rotating it: every station
  gets a new list at its next long poll; nothing else changes.
- `web` signs the facilitators' session cookies and forms. Rotating it: everyone is logged
  out; a form open in a browser must be sent again.
- `credentials`: the Ed25519 keys that sign Open Badges credentials. Rotating adds a new key
  that signs from then on; the old public keys stay published, so the credentials already
  given still verify.
"""

from __future__ import annotations

import os
import secrets as random
import threading
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

DEFAULT_PATH = Path("/etc/fablab/secrets.toml")
NAMES = ("badge", "web", "credentials")


class SecretsError(RuntimeError):
    """The secrets file is missing, unreadable or damaged; the message says which and how."""


@dataclass
class Secrets:
    path: Path
    badge: bytes
    web: str
    # Newest first: the first signs, all of them verify (and are published).
    credential_keys: list[dict[str, str]] = field(default_factory=list)

    @property
    def credential_key(self) -> dict[str, str]:
        return self.credential_keys[0]


_lock = threading.Lock()
_chosen: Path | None = None
_cache: dict[Path, tuple[float, Secrets]] = {}


def use(path: str | Path | None) -> None:
    """The file this process's hub uses (the command's --secrets, the app's SECRETS_FILE)."""
    global _chosen
    _chosen = Path(path) if path else None


def location() -> Path:
    return _chosen or Path(os.environ.get("FABLAB_SECRETS") or DEFAULT_PATH)


def get() -> Secrets:
    """The hub's secrets, read again whenever the file changes (a rotation by the command)."""
    path = location()
    try:
        stamp = path.stat().st_mtime_ns
    except FileNotFoundError:
        raise SecretsError(f"no secrets file at {path}: run 'fablab-hub init'") from None
    with _lock:
        cached = _cache.get(path)
        if cached and cached[0] == stamp:
            return cached[1]
    loaded = _read(path)
    with _lock:
        _cache[path] = (stamp, loaded)
    return loaded


def _read(path: Path) -> Secrets:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        keys = data.get("credential_keys") or []
        if not keys or not all({"kid", "pem"} <= set(key) for key in keys):
            raise KeyError("credential_keys")
        return Secrets(path, bytes.fromhex(data["badge"]), str(data["web"]), list(keys))
    except (OSError, ValueError, KeyError, TypeError) as problem:
        raise SecretsError(f"{path} is damaged or unreadable ({problem})") from None


def ensure(moved: dict[str, Any] | None = None) -> tuple[Secrets, bool]:
    """The secrets, making the file if there is none (from `moved`, secrets an older hub kept
    in its database, else new ones); (secrets, made now)."""
    path = location()
    if path.exists():
        return get(), False
    moved = moved or {}
    made = Secrets(
        path=path,
        badge=bytes.fromhex(moved["badge"]) if moved.get("badge") else random.token_bytes(32),
        web=moved.get("web") or random.token_hex(32),
        credential_keys=[moved["credential_key"]] if moved.get("credential_key") else [],
    )
    if not made.credential_keys:
        made.credential_keys.append(new_credential_key())
    _write(made, exclusive=True)
    return get(), True


def new_credential_key() -> dict[str, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    now = datetime.now(UTC)
    return {"kid": f"key-{now:%Y%m%d}-{random.token_hex(3)}", "pem": pem.decode(),
            "created": now.isoformat(timespec="seconds")}  # fmt: skip


def rotate(name: str) -> Secrets:
    """A new value for one secret (see the table above for what that means)."""
    if name not in NAMES:
        raise SecretsError(f"no secret {name!r}; the secrets are {', '.join(NAMES)}")
    current = get()
    if name == "badge":
        current.badge = random.token_bytes(32)
    elif name == "web":
        current.web = random.token_hex(32)
    else:
        current.credential_keys.insert(0, new_credential_key())
    _write(current, exclusive=False)
    return get()


def _write(values: Secrets, exclusive: bool) -> None:
    lines = [
        "# The fablab hub's secrets: never in the database nor its backups.",
        "# Keep a copy somewhere safe, apart from the backups. See web/secrets.py.",
        f'badge = "{values.badge.hex()}"',
        f'web = "{values.web}"',
    ]
    for key in values.credential_keys:
        pem = key["pem"].strip()
        lines += ["", "[[credential_keys]]", f'kid = "{key["kid"]}"']
        lines += [f'created = "{key.get("created", "")}"', f"pem = '''\n{pem}\n'''"]
    text = "\n".join(lines) + "\n"
    path = values.path
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".new")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    handle = os.open(temporary, flags, 0o600)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    if exclusive and path.exists():
        temporary.unlink()
        raise SecretsError(f"{path} appeared meanwhile; not overwritten")
    os.replace(temporary, path)
