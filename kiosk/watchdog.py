"""Telling systemd the station is alive (sd_notify), without a library: one datagram each.

With `Type=notify` and `WatchdogSec=` in the unit, systemd restarts a station
whose loop stops answering; the relay is off at every start anyway.
"""

from __future__ import annotations

import os
import socket


def notify(message: str) -> bool:
    """Send `message` (READY=1, WATCHDOG=1, STOPPING=1...) to systemd; False when not under it."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):  # an abstract socket
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(address)
            sock.sendall(message.encode())
        except OSError:
            return False
    return True


def watchdog_interval() -> float | None:
    """Half the watchdog period systemd asked for (seconds), or None without a watchdog."""
    micros = os.environ.get("WATCHDOG_USEC")
    return int(micros) / 2_000_000 if micros and micros.isdigit() else None
