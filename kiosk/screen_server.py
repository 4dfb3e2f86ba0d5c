"""The station's screen as a local web page, served on 127.0.0.1 only, for Chromium in kiosk
mode (under cage) on the station's touch screen.

`publish()` is all the agent does: it keeps the newest message and wakes the page's
connections, which push it as a server-sent event within milliseconds. Each connection has
its own thread; a closed or stuck browser costs one blocked thread, never the agent. Only the
standard library: a station stays small.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

log = logging.getLogger("kiosk.screen")
PAGE = Path(__file__).with_name("screen")
ICONS = Path(__file__).resolve().parent.parent / "common" / "icons"
KEEPALIVE_SECONDS = 15.0
TOUCH = re.compile(r"[a-z_]{1,20}(:[a-z_]{1,20})?")
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}


class ScreenServer:
    def __init__(
        self,
        port: int = 8010,
        host: str = "127.0.0.1",
        blank_minutes: float = 10,
        on_touch: Callable[[str], None] = lambda touch: None,
    ) -> None:
        """`blank_minutes`: the page goes dark after this long quiet on the waiting screen;
        `on_touch(action)`: a button touched on the page (the agent's inbox)."""
        self.blank_after_ms = int(blank_minutes * 60_000)
        self.on_touch = on_touch
        self._changed = threading.Condition()
        self._message: dict[str, Any] | None = None
        self._version = 0
        self._closed = False
        self.clients = 0
        server = self

        class Handler(_Handler):
            screen = server

        self._http = ThreadingHTTPServer((host, port), Handler)
        self._http.daemon_threads = True
        self.port = self._http.server_address[1]
        self.url = f"http://{host}:{self.port}/"
        self._thread = threading.Thread(target=self._serve, name="screen-server", daemon=True)

    def start(self) -> ScreenServer:
        self._thread.start()
        log.info("screen served at %s", self.url)
        return self

    def _serve(self) -> None:
        try:
            self._http.serve_forever(poll_interval=0.5)
        except Exception:  # the screen is gone; the station goes on deciding
            log.exception("the screen server stopped; the station goes on without it")

    def publish(self, message: dict[str, Any]) -> None:
        """Show `message` (`{"view": ..., "after": ...}`) on every connected page. Never blocks
        beyond a lock held for microseconds."""
        message = {
            key: {**view, "blank_after_ms": self.blank_after_ms} for key, view in message.items()
        }
        with self._changed:
            self._message = message
            self._version += 1
            self._changed.notify_all()

    def current(self) -> tuple[int, dict[str, Any] | None]:
        """(version, message) as it stands."""
        with self._changed:
            return self._version, self._message

    def next_message(self, seen: int, timeout: float) -> tuple[int, dict[str, Any] | None]:
        """(version, message) once newer than `seen`, or (seen, None) after `timeout`."""
        with self._changed:
            self._changed.wait_for(lambda: self._version != seen or self._closed, timeout)
            if self._version == seen or self._closed:
                return seen, None
            return self._version, self._message

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        if self._thread.is_alive():  # shutdown() would wait forever for a loop that is gone
            self._http.shutdown()
        self._http.server_close()


class _Handler(BaseHTTPRequestHandler):
    screen: ScreenServer
    server_version = "fablab-kiosk-screen"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug(format, *args)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/events":
            self._events()
        elif path == "/view.json":
            self._send(200, json.dumps(self.screen.current()[1]).encode(), "application/json")
        elif path == "/":
            self._file(PAGE / "index.html")
        elif path.startswith("/static/") and "/" not in path[8:]:
            self._file(PAGE / path[8:])
        elif path.startswith("/icons/") and "/" not in path[7:] and path.endswith(".svg"):
            self._file(ICONS / path[7:])
        else:
            self._send(404, b"not found", "text/plain")

    def do_POST(self) -> None:
        """A touch: `{"action": "finish"}`. From this page only (its own origin), so that no
        other page a browser might open can press the buttons."""
        origin = self.headers.get("Origin", "")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, 4096)) if length else b""
        same_page = origin == f"http://{self.headers.get('Host', '')}"
        is_json = self.headers.get_content_type() == "application/json"
        if self.path != "/touch" or not same_page or not is_json:
            self._send(403, b"not from this page", "text/plain")
            return
        try:
            action = json.loads(body)["action"]
        except (ValueError, KeyError, TypeError):
            action = None
        if not isinstance(action, str) or not TOUCH.fullmatch(action):
            self._send(400, b"not a touch", "text/plain")
            return
        self.screen.on_touch(action)
        self._send(204, b"", "text/plain")

    def _file(self, path: Path) -> None:
        try:
            body = path.read_bytes()
        except OSError:
            self._send(404, b"not found", "text/plain")
            return
        self._send(200, body, TYPES.get(path.suffix, "application/octet-stream"))

    def _send(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _events(self) -> None:
        """Server-sent events: the current screen at once, then each new one as it comes."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.screen.clients += 1
        try:
            seen, message = self.screen.current()
            if message is not None:
                self._push(message)
            while not self.screen.closed:
                seen, message = self.screen.next_message(seen, KEEPALIVE_SECONDS)
                if message is None:
                    self.wfile.write(b": still here\n\n")
                    self.wfile.flush()
                else:
                    self._push(message)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            return  # the browser went away; it reconnects by itself
        finally:
            self.screen.clients -= 1

    def _push(self, message: dict[str, Any]) -> None:
        self.wfile.write(b"data: " + json.dumps(message, ensure_ascii=False).encode() + b"\n\n")
        self.wfile.flush()
