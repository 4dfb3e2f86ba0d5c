"""One spelling for a card's UID, whoever read it.

Readers and libraries disagree (decimal integers, lower-case hex, colons,
an extra check byte). Everything in the system stores and compares the card's
own bytes as upper-case hex, so normalise at every boundary.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar

# ISO 14443A cards have 4-, 7- or 10-byte UIDs; EM4100 (125 kHz) tags have 5.
UID_BYTE_LENGTHS = frozenset({4, 5, 7, 10})
_SEPARATORS = re.compile(r"[\s:\-]")
_HEX = re.compile(r"^[0-9A-F]+$")


class InvalidUid(ValueError):
    """A string that is not the UID of a card we can read."""


def normalise_uid(raw: str) -> str:
    """Return `raw` as upper-case hex without separators, or raise InvalidUid.

    Accepts "de:ad:be:ef", "DE-AD-BE-EF", "deadbeef"; refuses anything that is
    not whole bytes of hex or not a UID length a supported card has.
    """
    text = _SEPARATORS.sub("", raw).upper()
    if not text or not _HEX.match(text):
        raise InvalidUid(f"not hexadecimal: {raw!r}")
    if len(text) % 2 or len(text) // 2 not in UID_BYTE_LENGTHS:
        raise InvalidUid(f"a card UID has 4, 5, 7 or 10 bytes, not {len(text) / 2:g}: {raw!r}")
    return text


def is_uid(text: str) -> bool:
    """True when `text` is already a normalised UID."""
    return bool(_HEX.match(text)) and len(text) % 2 == 0 and len(text) // 2 in UID_BYTE_LENGTHS


@dataclass(frozen=True)
class BadgeHash:
    """How a station holds a badge: scrypt (memory-hard) of the normalised UID under the
    station's own salt. The parameters travel in the access list.

    Why so slow: a UID has as little as 4 bytes, so a fast hash over it falls to brute force
    in minutes; with these parameters one guess costs about 3 ms and 2 MiB here (a tap pays
    it once). docs/security.md gives the figures. Both sides hash with this one function,
    and a known-answer test keeps them from drifting apart.
    """

    salt: bytes
    n: int = 2048
    r: int = 8
    p: int = 1
    length: int = 32

    ALGORITHM: ClassVar[str] = "scrypt"

    def of(self, uid: str) -> str:
        return _scrypt(uid, self.salt, self.n, self.r, self.p, self.length)

    def describe(self) -> dict[str, object]:
        """The parameters as the access list states them."""
        return {"algorithm": self.ALGORITHM, "salt": self.salt.hex(), "n": self.n, "r": self.r,
                "p": self.p, "length": self.length}  # fmt: skip

    @classmethod
    def from_description(cls, stated: dict[str, object]) -> BadgeHash:
        """The hash an access list states; ValueError when it is not one a station can do
        (an unknown algorithm, parameters out of bounds)."""
        if stated.get("algorithm") != cls.ALGORITHM:
            raise ValueError(f"badge hash {stated.get('algorithm')!r} is not {cls.ALGORITHM}")
        n, r, p, length = (stated.get(key) for key in ("n", "r", "p", "length"))
        numbers = (n, r, p, length)
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in numbers):
            raise ValueError("badge hash parameters must be whole numbers")
        if not (2 <= n <= 2**16 and n & (n - 1) == 0 and 1 <= r <= 32 and 1 <= p <= 4
                and 16 <= length <= 64):  # fmt: skip
            raise ValueError(f"badge hash parameters out of bounds: n={n} r={r} p={p}")
        return cls(bytes.fromhex(str(stated.get("salt"))), n, r, p, length)


@lru_cache(maxsize=1024)
def _scrypt(uid: str, salt: bytes, n: int, r: int, p: int, length: int) -> str:
    """Remembered: a badge tapped out, or hashed again for another list, costs nothing."""
    memory = 128 * n * r * p + 1024 * 1024
    return hashlib.scrypt(uid.encode("ascii"), salt=salt, n=n, r=r, p=p, dklen=length,
                          maxmem=memory).hex()  # fmt: skip
