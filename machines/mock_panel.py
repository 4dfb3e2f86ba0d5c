"""The simulated twin's front panel: with `pin_factory = "mock"`, a station (the demo's, a
test's) can have its simulated pins driven and read from outside its process, over a UNIX
socket named by the machine's `panel` option.

One line per request, one line per answer:
    drive 27 high      -> ok          (an input: the laser's beam comes on)
    drive 27 low       -> ok
    history 17         -> [0, 1, 0]   (every state the pin went through since start)

Only for gpiozero's MockFactory: real pins are never driven from here. The client side
(`common.panel.ask`) is what the demo's console and the tests use.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socketserver
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger("machines.panel")


class MockPanel:
    def __init__(self, factory: Any, path: str | Path) -> None:
        from gpiozero.pins.mock import MockFactory

        if not isinstance(factory, MockFactory):
            raise ValueError("a panel drives simulated (mock) pins only")
        self.factory, self.path = factory, Path(path)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # left by a station that was killed
        panel = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                for line in self.rfile:
                    self.wfile.write((panel.answer(line.decode(errors="replace")) + "\n").encode())

        self.server = socketserver.ThreadingUnixStreamServer(str(self.path), Handler)
        os.chmod(self.path, 0o600)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, name="mock-panel", daemon=True).start()
        log.info("simulated pins' panel on %s", self.path)

    def answer(self, line: str) -> str:
        words = line.split()
        try:
            if len(words) == 3 and words[0] == "drive" and words[2] in ("high", "low"):
                pin = self.factory.pin(int(words[1]))
                pin.drive_high() if words[2] == "high" else pin.drive_low()
                return "ok"
            if len(words) == 2 and words[0] == "history":
                states = self.factory.pin(int(words[1])).states
                return json.dumps([int(state.state) for state in states])
        except (ValueError, TypeError, AttributeError) as problem:
            return f"error {problem}"
        return 'error say "drive PIN high|low" or "history PIN"'

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
