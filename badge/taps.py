"""What a reader reports (taps, faults, recoveries), and the debounce: a held card is one tap."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime


def _wall() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Tap:
    """A card presented to a reader: its normalised UID, when (monotonic and wall clock), where."""

    uid: str
    reader: str
    monotonic: float = field(default_factory=time.monotonic)
    at: datetime = field(default_factory=_wall)


@dataclass(frozen=True)
class ReaderFault:
    """The reader cannot read (unplugged, SPI error). `code` is stable; `message` is for people."""

    code: str
    message: str
    reader: str
    monotonic: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class ReaderRecovered:
    """The reader works again after a fault."""

    reader: str
    monotonic: float = field(default_factory=time.monotonic)


ReaderEvent = Tap | ReaderFault | ReaderRecovered


class Debouncer:
    """Turns a stream of reads into taps: a card held on the reader is one tap.

    Polling readers see a held card again and again; serial readers repeat its
    frame. A read is a new tap when it is another card, or when the same card
    has not been seen for `gap` seconds (lifted, then presented again: that is
    how a resident badges out).
    """

    def __init__(self, gap: float = 1.0) -> None:
        self.gap = gap
        self._uid: str | None = None
        self._last_seen = float("-inf")

    def is_new_tap(self, uid: str, now: float) -> bool:
        new = uid != self._uid or now - self._last_seen >= self.gap
        self._uid = uid
        self._last_seen = now
        return new
