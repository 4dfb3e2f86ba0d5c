"""The client of a station's simulated pins' panel (machines.mock_panel serves it): one
line sent, one line answered. Here, not in machines/, because the demo's console drives it
and the demo imports no station code."""

from __future__ import annotations

import socket
from pathlib import Path


def ask(path: str | Path, line: str, timeout: float = 5.0) -> str:
    """Send one request to a station's panel; its answer."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(timeout)
        client.connect(str(path))
        client.sendall(line.encode() + b"\n")
        answer = b""
        while not answer.endswith(b"\n"):
            chunk = client.recv(4096)
            if not chunk:
                break
            answer += chunk
    return answer.decode().strip()
