"""The station's voice: each screen's words spoken in the resident's language, by Debian's
espeak-ng (French, English and Arabic voices, offline), in a thread of its own.

A sentence is rendered once to a WAV file kept in a cache folder, then played with the
configured player (`aplay` by default); a newer sentence cuts the one playing. Nothing here
ever waits on the agent's side: `say()` puts the words in a one-place mailbox. No espeak-ng,
no sound card or a player that fails: one clear log line, and the station goes on silently.
"""

from __future__ import annotations

import hashlib
import logging
import shlex
import shutil
import subprocess
import threading
from collections.abc import Callable
from datetime import datetime, time
from pathlib import Path

from common.languages import LANGUAGES, known

log = logging.getLogger("kiosk.voice")
ESPEAK = "espeak-ng"
WORDS_PER_MINUTE = 140  # slower than espeak's 175: for people who are still learning French


def parse_quiet_hours(text: str | None) -> tuple[time, time] | None:
    """ "22:00-07:00" as (start, end); ValueError when it is not written so."""
    if not text:
        return None
    try:
        start, end = (time.fromisoformat(part.strip()) for part in text.split("-"))
    except ValueError:
        raise ValueError(f"quiet hours are written like 22:00-07:00, not {text!r}") from None
    return start, end


def is_quiet(hours: tuple[time, time] | None, now: time) -> bool:
    if hours is None:
        return False
    start, end = hours
    return start <= now < end if start <= end else now >= start or now < end


class Voice:
    def __init__(
        self,
        cache: Path,
        *,
        volume: int = 80,
        quiet_hours: tuple[time, time] | None = None,
        player: str = "aplay -q",
        clock: Callable[[], time] = lambda: datetime.now().time(),
    ) -> None:
        self.cache = cache
        self.amplitude = max(0, min(200, volume * 2))  # espeak-ng's -a: 0 to 200
        self.quiet_hours, self.clock = quiet_hours, clock
        self.player = shlex.split(player)
        self._mailbox: tuple[str, str] | None = None
        self._wake = threading.Condition()
        self._closed = False
        self._playing: subprocess.Popen | None = None
        self._complained: set[str] = set()
        self.spoken = 0  # sentences handed to the player
        self._thread = threading.Thread(target=self._run, name="voice", daemon=True)

    def start(self) -> Voice:
        self.cache.mkdir(parents=True, exist_ok=True)
        if shutil.which(ESPEAK) is None:
            self._complain("espeak", f"{ESPEAK} is not installed: the station stays silent")
        self._thread.start()
        return self

    def say(self, language: str, words: str) -> None:
        """Speak `words` soon; an older sentence not yet spoken is dropped."""
        with self._wake:
            self._mailbox = (known(language), words)
            self._wake.notify()

    @property
    def pending(self) -> bool:
        """Words wait in the mailbox, not yet taken by the voice's thread."""
        with self._wake:
            return self._mailbox is not None

    def render(self, language: str, words: str) -> Path:
        """The WAV file of `words` in `language`, made once; OSError/CalledProcessError if
        espeak-ng cannot make it."""
        voice = LANGUAGES[known(language)].espeak_voice
        key = hashlib.sha256(f"{voice}\0{self.amplitude}\0{words}".encode()).hexdigest()[:24]
        path = self.cache / f"{key}.wav"
        if not path.exists():
            partial = path.with_suffix(".part")
            subprocess.run(
                [
                    ESPEAK,
                    "-v",
                    voice,
                    "-s",
                    str(WORDS_PER_MINUTE),
                    "-a",
                    str(self.amplitude),
                    "-w",
                    str(partial),
                    words,
                ],
                check=True,
                capture_output=True,
                timeout=30,
            )
            partial.replace(path)
        return path

    def _run(self) -> None:
        while True:
            with self._wake:
                # While a sentence plays, look at the player every 0.2 s to tell of a failure.
                self._wake.wait_for(
                    lambda: self._mailbox is not None or self._closed,
                    0.2 if self._playing else None,
                )
                if self._closed:
                    return
                message, self._mailbox = self._mailbox, None
            if self._playing is not None and self._playing.poll() is not None:
                self._stop_playing()  # finished: reports a player that failed
            if message is None:
                continue
            language, words = message
            if is_quiet(self.quiet_hours, self.clock()):
                continue
            try:
                path = self.render(language, words)
            except (OSError, subprocess.SubprocessError) as problem:
                self._complain("espeak", f"cannot speak ({problem}): the station stays silent")
                continue
            self._play(path)

    def _play(self, path: Path) -> None:
        self._stop_playing()
        try:
            self._playing = subprocess.Popen(
                [*self.player, str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
            self.spoken += 1
        except OSError as problem:
            self._complain("player", f"cannot play sound with {self.player[0]}: {problem}")

    def _stop_playing(self) -> None:
        playing, self._playing = self._playing, None
        if playing is None:
            return
        if playing.poll() is None:
            playing.terminate()
            playing.wait(timeout=5)
        elif playing.returncode:
            error = playing.stderr.read().decode(errors="replace").strip() if playing.stderr else ""
            self._complain("player", f"the speaker did not play: {error or playing.returncode}")
        if playing.stderr:
            playing.stderr.close()

    def _complain(self, what: str, message: str) -> None:
        if what not in self._complained:
            self._complained.add(what)
            log.warning("voice: %s", message)

    def close(self) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify()
        self._thread.join(timeout=5)
        self._stop_playing()
