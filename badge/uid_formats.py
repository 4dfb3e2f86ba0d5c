"""How readers that type or print a card's number write it, and the card's own bytes back.

Readers sold as "USB keyboard" or "serial" RFID readers do not agree on what they send:

- `hex`: `DEADBEEF` for the card DE AD BE EF (most serial readers, some USB ones);
- `hex-reversed`: `EFBEADDE`, the bytes last to first (USB 13.56 MHz readers in "reverse" mode);
- `decimal`: `3735928559`, the bytes as one number (USB 125 kHz readers: 10 digits, the
  EM4100 tag's last 4 bytes);
- `decimal-reversed`: `4022250974`, the bytes last to first as one number (most USB
  13.56 MHz readers sold as "10 digits").

Each format turns what the reader sent into the card's bytes, as the MFRC522 reads them, so
the same card is the same badge whatever reader it is tapped on. A decimal number becomes the
shortest card UID length (4, 5, 7 or 10 bytes) that holds it.
"""

from __future__ import annotations

from collections.abc import Callable

from common.uid import UID_BYTE_LENGTHS, InvalidUid, normalise_uid

_DIGIT_CHARS = frozenset("0123456789")


def _from_decimal(text: str, reverse: bool) -> str:
    if not text or not set(text) <= _DIGIT_CHARS or len(text) > 25:
        raise InvalidUid(f"not a decimal card number: {text!r}")
    value = int(text)
    length = next((n for n in sorted(UID_BYTE_LENGTHS) if value < 256**n), None)
    if length is None:
        raise InvalidUid(f"too large for a card number: {text!r}")
    data = value.to_bytes(length, "little" if reverse else "big")
    return data.hex().upper()


def _reversed_hex(text: str) -> str:
    return bytes(reversed(bytes.fromhex(normalise_uid(text)))).hex().upper()


UID_FORMATS: dict[str, Callable[[str], str]] = {
    "hex": normalise_uid,
    "hex-reversed": _reversed_hex,
    "decimal": lambda text: _from_decimal(text, reverse=False),
    "decimal-reversed": lambda text: _from_decimal(text, reverse=True),
}


def uid_reader(name: str) -> Callable[[str], str]:
    """The function turning what a reader sends into a UID; ValueError for an unknown format."""
    try:
        return UID_FORMATS[name]
    except KeyError:
        raise ValueError(
            f"unknown UID format {name!r}; expected one of {', '.join(UID_FORMATS)}"
        ) from None


def as_sent(uid: str, name: str) -> str:
    """What a reader in format `name` sends for the card `uid` (for simulators and tests)."""
    data = bytes.fromhex(uid)
    if name.endswith("reversed"):
        data = bytes(reversed(data))
    return str(int.from_bytes(data, "big")) if name.startswith("decimal") else data.hex().upper()
