"""The badge hash the hub and every station compute the same way: known answers, so that the
two sides can never drift apart unnoticed (a changed parameter, another encoding...)."""

import hashlib

import pytest

from common.uid import BadgeHash

SALT = bytes(range(16))


def test_scrypt_itself_gives_rfc_7914s_answer():
    expected = (
        "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff1"
        "09279d9830dac727afb94a83ee6d8360cbdfa2cc0640"
    )
    got = hashlib.scrypt(b"password", salt=b"NaCl", n=1024, r=8, p=16, dklen=64)
    assert got.hex() == expected


@pytest.mark.parametrize(
    ("uid", "expected"),
    [
        ("04A1B2C3D4E5F6", "bac38e8ee4879558f605cffb43a0eae06e1c254cf0f52ab9043161224052af7b"),
        ("DEADBEEF", "b94fc653123c5115d94177be925065a936d3837345865c07926ec85d5b7da8fd"),
    ],
)
def test_a_badge_hash_known_answer(uid, expected):
    """The normalised UID (upper-case hex, ASCII) under scrypt N=2048, r=8, p=1, 32 bytes."""
    scheme = BadgeHash(salt=SALT)
    assert scheme.of(uid) == expected
    assert scheme.of(uid.lower()) != expected  # the UID is hashed as normalised, not as typed
    assert BadgeHash.from_description(scheme.describe()) == scheme


@pytest.mark.parametrize(
    "stated",
    [
        {"algorithm": "hmac-sha256", "key": "00"},
        {"algorithm": "scrypt", "salt": "00", "n": 3, "r": 8, "p": 1, "length": 32},
        {"algorithm": "scrypt", "salt": "00", "n": 2**20, "r": 8, "p": 1, "length": 32},
        {"algorithm": "scrypt", "salt": "00", "n": 2048, "r": True, "p": 1, "length": 32},
        {"algorithm": "scrypt", "salt": "zz", "n": 2048, "r": 8, "p": 1, "length": 32},
    ],
)
def test_a_list_stating_another_hash_is_refused(stated):
    with pytest.raises(ValueError):
        BadgeHash.from_description(stated)
