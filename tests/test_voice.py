"""The station's voice: real speech from Debian's espeak-ng, checked with sox; a missing speaker
or a quiet hour changes nothing else."""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import time
from datetime import time as clock_time

import pytest

from kiosk.voice import Voice, is_quiet, parse_quiet_hours

pytestmark = pytest.mark.skipif(
    shutil.which("espeak-ng") is None or shutil.which("sox") is None,
    reason="espeak-ng and sox are installed by make test",
)

SENTENCES = {
    "fr": "Bonjour Awa ! La machine est à vous. Quand vous avez fini, reposez votre badge ici.",
    "en": "Hello Awa! The machine is yours. When you have finished, put your badge here again.",
    "ar": "مرحبًا عائشة! الآلة جاهزة لك. عندما تنتهي، ضع شارتك هنا مرة أخرى.",
}


def loudness(path) -> tuple[float, float]:
    """(seconds, RMS amplitude) of a WAV file, as sox measures them."""
    seconds = float(subprocess.run(["soxi", "-D", str(path)], capture_output=True, text=True,
                                   check=True).stdout)  # fmt: skip
    stat = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True, text=True,
                          check=True).stderr  # fmt: skip
    return seconds, float(re.search(r"RMS\s+amplitude:\s+([\d.]+)", stat)[1])


@pytest.mark.parametrize("language", ["fr", "en", "ar"])
def test_each_language_is_real_speech(tmp_path, language):
    voice = Voice(tmp_path / "voice")
    voice.cache.mkdir()
    path = voice.render(language, SENTENCES[language])
    seconds, rms = loudness(path)
    assert 2.0 < seconds < 15.0  # a sentence, said slowly; not an empty file
    assert rms > 0.02  # sound, not silence
    assert voice.render(language, SENTENCES[language]) == path  # made once, then kept


def test_the_same_words_differ_by_language_and_arabic_is_not_read_as_french(tmp_path):
    voice = Voice(tmp_path / "voice")
    voice.cache.mkdir()
    arabic = voice.render("ar", SENTENCES["ar"])
    as_french = voice.render("fr", SENTENCES["ar"])
    assert arabic.read_bytes() != as_french.read_bytes()


def played_files(folder):
    return sorted(folder.glob("*.wav"))


def test_the_voice_plays_in_its_own_thread_and_the_newest_sentence_wins(tmp_path):
    played = tmp_path / "played"
    played.mkdir()
    # A player that takes its time: the first sentence is cut by the second.
    player = tmp_path / "player"
    player.write_text(f'#!/bin/sh\ncp "$1" {played}/\nsleep 5\n')
    player.chmod(0o755)
    voice = Voice(tmp_path / "voice", player=str(player)).start()
    try:
        began = time.monotonic()
        voice.say("fr", "Premier.")
        voice.say("fr", "Deuxième.")
        voice.say("en", "Third.")
        assert time.monotonic() - began < 0.05  # say() only leaves the words in a mailbox
        deadline = time.monotonic() + 10
        while not played_files(played):
            assert time.monotonic() < deadline
            time.sleep(0.02)
        voice.say("fr", "Quatrième.")
        while len(played_files(played)) < 2:
            assert time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        voice.close()
    assert voice.spoken == 2  # the older words waiting were dropped for the newest


def test_a_missing_speaker_is_said_once_and_nothing_breaks(tmp_path, caplog):
    voice = Voice(tmp_path / "voice", player="aplay -q -D nosuchcard").start()
    caplog.set_level(logging.WARNING, logger="kiosk.voice")
    try:
        for word in ("Un.", "Deux.", "Trois."):
            voice.say("fr", word)
            deadline = time.monotonic() + 10
            while voice.spoken < {"Un.": 1, "Deux.": 2, "Trois.": 3}[word]:
                assert time.monotonic() < deadline
                time.sleep(0.02)
        deadline = time.monotonic() + 10
        while not caplog.records:
            assert time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        voice.close()
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and "the speaker did not play" in warnings[0]


def test_no_espeak_is_said_once(tmp_path, caplog, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    caplog.set_level(logging.WARNING, logger="kiosk.voice")
    voice = Voice(tmp_path / "voice").start()
    voice.say("fr", "Bonjour.")
    voice.close()
    assert any("espeak-ng is not installed" in r.getMessage() for r in caplog.records)


def test_quiet_hours_across_midnight():
    hours = parse_quiet_hours("22:00-07:00")
    assert is_quiet(hours, clock_time(23, 30)) and is_quiet(hours, clock_time(6, 59))
    assert not is_quiet(hours, clock_time(7, 0)) and not is_quiet(hours, clock_time(12, 0))
    assert not is_quiet(parse_quiet_hours("12:00-14:00"), clock_time(11, 59))
    with pytest.raises(ValueError, match="22:00-07:00"):
        parse_quiet_hours("la nuit")


def test_nothing_is_said_during_quiet_hours(tmp_path):
    played = tmp_path / "played"
    played.mkdir()
    voice = Voice(tmp_path / "voice", player=f"cp -t {played}",
                  quiet_hours=parse_quiet_hours("00:00-23:59"),
                  clock=lambda: clock_time(12, 0)).start()  # fmt: skip
    voice.say("fr", "Chut.")
    deadline = time.monotonic() + 10
    while voice.pending:  # taken by the voice's thread, which then stays silent
        assert time.monotonic() < deadline
        time.sleep(0.02)
    voice.close()
    assert voice.spoken == 0 and played_files(played) == []
