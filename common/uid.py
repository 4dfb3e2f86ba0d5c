"""One spelling for a card's UID, whoever read it.

Readers and libraries disagree (decimal integers, lower-case hex, colons,
an extra check byte). Everything in the system stores and compares the card's
own bytes as upper-case hex, so normalise at every boundary.
"""

from __future__ import annotations

import hmac
import re

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


def keyed_hash(key: bytes, uid: str) -> str:
    """The form in which a station holds a badge: HMAC-SHA256 of the normalised UID.

    The hub gives each station its own key, so access lists taken from two
    stations cannot be matched against each other without the hub.
    """
    return hmac.digest(key, uid.encode("ascii"), "sha256").hex()
