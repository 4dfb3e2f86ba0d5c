"""Byte and key-event decoders for serial and keyboard-style readers, with no I/O.

Each decoder is fed whatever arrives, in pieces of any size, and returns the
UIDs of the complete, valid frames it found. Anything else (noise, a frame cut
short, a wrong checksum, an overlong line, a stray key) is dropped and the
decoder resynchronises on the next frame: it never returns a UID that was not
sent as a whole, valid frame.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import reduce
from operator import xor

from common.uid import InvalidUid, normalise_uid

STX, ETX = 0x02, 0x03
_HEX_BYTES = frozenset(b"0123456789ABCDEFabcdef")


class Rdm6300Decoder:
    """RDM6300 / EM4100 framing: STX, 10 hex characters, 2 hex characters of XOR checksum, ETX.

    The 10 characters are the tag's 5 bytes (version and 32-bit id); the
    checksum is the XOR of those 5 bytes. A new STX always starts a new frame.
    """

    FRAME_CHARS = 12

    def __init__(self) -> None:
        self._frame: bytearray | None = None

    def feed(self, data: bytes) -> list[str]:
        found = []
        for byte in data:
            if byte == STX:
                self._frame = bytearray()
            elif self._frame is None:
                continue
            elif byte == ETX:
                uid = self._decode(self._frame)
                if uid is not None:
                    found.append(uid)
                self._frame = None
            elif byte in _HEX_BYTES and len(self._frame) < self.FRAME_CHARS:
                self._frame.append(byte)
            else:
                self._frame = None  # noise or too long: wait for the next STX
        return found

    def reset(self) -> None:
        self._frame = None

    @classmethod
    def _decode(cls, frame: bytearray) -> str | None:
        if len(frame) != cls.FRAME_CHARS:
            return None
        data = bytes.fromhex(frame[:10].decode())
        if reduce(xor, data) != int(frame[10:], 16):
            return None
        return data.hex().upper()

    @staticmethod
    def encode(uid: str) -> bytes:
        """The frame a reader sends for this 5-byte UID (for simulators and tests)."""
        data = bytes.fromhex(uid)
        if len(data) != 5:
            raise ValueError("an EM4100 tag has a 5-byte UID")
        return bytes([STX]) + f"{data.hex().upper()}{reduce(xor, data):02X}".encode() + bytes([ETX])


class LineDecoder:
    """Readers that send one UID per line: hex (optionally with ':' or '-' between bytes), or
    as `read_uid` reads it (`badge.uid_formats`)."""

    MAX_LINE = 64

    def __init__(self, read_uid: Callable[[str], str] = normalise_uid) -> None:
        self._read_uid = read_uid
        self._line = bytearray()
        self._overlong = False

    def feed(self, data: bytes) -> list[str]:
        found = []
        for byte in data:
            if byte in b"\r\n":
                if self._line and not self._overlong:
                    uid = _valid_uid(self._line, self._read_uid)
                    if uid is not None:
                        found.append(uid)
                self.reset()
            elif len(self._line) >= self.MAX_LINE:
                self._overlong = True
            else:
                self._line.append(byte)
        return found

    def reset(self) -> None:
        """Forget a partial line (called when the line went quiet for too long)."""
        self._line.clear()
        self._overlong = False


def _valid_uid(line: bytes | bytearray | str, read_uid: Callable[[str], str]) -> str | None:
    try:
        return read_uid(
            line.decode("ascii").strip() if isinstance(line, bytes | bytearray) else line
        )
    except (UnicodeDecodeError, InvalidUid):
        return None


# Linux input key codes (linux/input-event-codes.h), as evdev.ecodes names them.
EV_KEY = 0x01
KEY_DOWN = 1
_DIGITS = {11: "0", 2: "1", 3: "2", 4: "3", 5: "4", 6: "5", 7: "6", 8: "7", 9: "8", 10: "9"}
_KEYPAD = {82: "0", 79: "1", 80: "2", 81: "3", 75: "4", 76: "5", 77: "6", 71: "7", 72: "8", 73: "9"}
_LETTERS = {30: "A", 48: "B", 46: "C", 32: "D", 18: "E", 33: "F"}
KEY_CHARS = {**_DIGITS, **_KEYPAD, **_LETTERS}
ENTER_KEYS = frozenset({28, 96})  # KEY_ENTER, KEY_KPENTER
SHIFT_KEYS = frozenset({42, 54})  # KEY_LEFTSHIFT, KEY_RIGHTSHIFT


class KeyboardDecoder:
    """USB readers that type the card's number followed by Enter: hex, or as `read_uid` reads
    it (decimal, reversed: `badge.uid_formats`).

    Only key presses count (not releases or auto-repeat). Any other key spoils
    the line until the next Enter; so does a pause longer than `max_gap`
    seconds between keys, since a reader types a whole UID in milliseconds:
    a line cut short by a glitch is never glued to the next card's UID.
    """

    MAX_CHARS = 25  # a 10-byte UID as a decimal number

    def __init__(
        self, max_gap: float = 0.3, read_uid: Callable[[str], str] = normalise_uid
    ) -> None:
        self.max_gap = max_gap
        self._read_uid = read_uid
        self._chars: list[str] = []
        self._spoilt = False
        self._last_key = float("-inf")

    def feed(self, events: Iterable[tuple[int, int, int, float]]) -> list[str]:
        """Feed (type, code, value, timestamp) tuples; return the UIDs completed."""
        found = []
        for kind, code, value, when in events:
            if kind != EV_KEY or value != KEY_DOWN or code in SHIFT_KEYS:
                continue
            if when - self._last_key > self.max_gap:
                self._chars, self._spoilt = [], False
            self._last_key = when
            if code in ENTER_KEYS:
                uid = None if self._spoilt else _valid_uid("".join(self._chars), self._read_uid)
                if uid is not None:
                    found.append(uid)
                self._chars, self._spoilt = [], False
            elif code in KEY_CHARS and len(self._chars) < self.MAX_CHARS:
                self._chars.append(KEY_CHARS[code])
            elif code in KEY_CHARS:
                self._spoilt = True  # overlong: not a card number
            else:
                self._spoilt = True
        return found

    @staticmethod
    def key_codes(text: str) -> list[int]:
        """The key codes a reader types for `text` (a UID as it sends it), Enter included
        (for simulators and tests)."""
        by_char = {char: code for code, char in {**_DIGITS, **_LETTERS}.items()}
        return [by_char[char] for char in text] + [28]
