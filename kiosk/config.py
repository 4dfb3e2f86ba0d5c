"""The station's configuration: one TOML file, validated at start with messages that name the key.

[hub]      url, token, timeout_seconds
[station]  data_dir, supervisor_window_seconds, max_session_minutes, warning_minutes,
           idle_minutes, heartbeat_seconds, outbox_fault_depth, outbox_max_megabytes
[reader]   kind = "stdin" | "mfrc522" | "serial" | "keyboard", and its options
[machine]  kind = "relay" | "laser" | "sewing" | "printer", and its options
           (relay kinds need `pin`; `pin_factory = "mock"` simulates the pins)
[feedback] green_pin, red_pin, amber_pin, buzzer_pin, pin_factory (all optional)
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

READER_KINDS = ("stdin", "mfrc522", "serial", "keyboard")
MACHINE_KINDS = ("relay", "laser", "sewing", "printer", "checkin")
RELAY_KINDS = ("relay", "laser", "sewing")


class ConfigError(ValueError):
    """The configuration cannot work; the message names the key and says what it needs."""


@dataclass(frozen=True)
class StationSettings:
    data_dir: Path
    supervisor_window_seconds: float = 60.0
    max_session_minutes: float = 240.0
    warning_minutes: float = 5.0
    idle_minutes: float | None = None  # None: no idle timeout
    heartbeat_seconds: float = 30.0
    outbox_fault_depth: int = 10_000
    outbox_max_megabytes: float = 256.0  # the outbox never takes more of the SD card


@dataclass(frozen=True)
class KioskConfig:
    hub_url: str
    hub_token: str
    station: StationSettings
    reader: dict[str, Any]
    machine: dict[str, Any]
    feedback: dict[str, Any] = field(default_factory=dict)
    hub_timeout_seconds: float = 10.0


def _table(data: dict[str, Any], name: str, required: bool = True) -> dict[str, Any]:
    value = data.get(name, {} if not required else None)
    if value is None:
        raise ConfigError(f"[{name}] is missing")
    if not isinstance(value, dict):
        raise ConfigError(f"[{name}] must be a table")
    return dict(value)


def _number(table: dict[str, Any], section: str, key: str, default: float | None,
            minimum: float = 0) -> float | None:  # fmt: skip
    value = table.pop(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise ConfigError(f"{section}.{key} must be a number ≥ {minimum:g}, not {value!r}")
    return float(value)


def _text(table: dict[str, Any], section: str, key: str) -> str:
    value = table.pop(key, None)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{section}.{key} is required (a non-empty string)")
    return value.strip()


def parse(data: dict[str, Any], base: Path = Path(".")) -> KioskConfig:
    unknown = set(data) - {"hub", "station", "reader", "machine", "feedback"}
    if unknown:
        raise ConfigError(f"unknown section(s): {', '.join(sorted(unknown))}")
    hub, station = _table(data, "hub"), _table(data, "station")
    reader, machine = _table(data, "reader"), _table(data, "machine")
    feedback = _table(data, "feedback", required=False)

    url = _text(hub, "hub", "url")
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"hub.url must start with http:// or https://, not {url!r}")
    token = _text(hub, "hub", "token")
    timeout = _number(hub, "hub", "timeout_seconds", 10.0, 0.5)
    _no_leftovers(hub, "hub")

    settings = StationSettings(
        data_dir=(base / _text(station, "station", "data_dir")).resolve(),
        supervisor_window_seconds=_number(station, "station", "supervisor_window_seconds", 60.0, 1),
        max_session_minutes=_number(station, "station", "max_session_minutes", 240.0, 0.01),
        warning_minutes=_number(station, "station", "warning_minutes", 5.0, 0),
        idle_minutes=_number(station, "station", "idle_minutes", None, 0.01),
        heartbeat_seconds=_number(station, "station", "heartbeat_seconds", 30.0, 0.1),
        outbox_fault_depth=int(_number(station, "station", "outbox_fault_depth", 10_000, 1)),
        outbox_max_megabytes=_number(station, "station", "outbox_max_megabytes", 256.0, 0.01),
    )
    _no_leftovers(station, "station")

    reader_kind = reader.get("kind")
    if reader_kind not in READER_KINDS:
        raise ConfigError(
            f"reader.kind must be one of {', '.join(READER_KINDS)}, not {reader_kind!r}"
        )
    machine_kind = machine.get("kind")
    if machine_kind not in MACHINE_KINDS:
        raise ConfigError(
            f"machine.kind must be one of {', '.join(MACHINE_KINDS)}, not {machine_kind!r}"
        )
    if machine_kind in RELAY_KINDS and "pin" not in machine:
        raise ConfigError(f"machine.pin is required for a {machine_kind} machine")
    if machine_kind == "printer":
        for key in ("url", "api_key"):
            if key not in machine:
                raise ConfigError(f"machine.{key} is required for a printer (OctoPrint)")
    return KioskConfig(
        hub_url=url.rstrip("/"),
        hub_token=token,
        hub_timeout_seconds=timeout,
        station=settings,
        reader=reader,
        machine=machine,
        feedback=feedback,
    )


def _no_leftovers(table: dict[str, Any], section: str) -> None:
    if table:
        raise ConfigError(f"unknown key(s) in [{section}]: {', '.join(sorted(table))}")


def load(path: str | Path) -> KioskConfig:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"no configuration file at {path}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from None
    return parse(data, base=path.parent)
