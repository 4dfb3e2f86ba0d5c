"""The station's configuration: one TOML file, validated at start with messages that name the key.

[hub]      url, token, timeout_seconds, ca_file (the hub's certificate authority, for https)
[station]  data_dir, supervisor_window_seconds, max_session_minutes, warning_minutes,
           idle_minutes, heartbeat_seconds, outbox_fault_depth, outbox_max_megabytes,
           stop_countdown_seconds (a "stop now" from the facilitator, announced first)
[reader]   kind = "stdin" | "mfrc522" | "serial" | "keyboard", and its options
[machine]  kind = "relay" | "laser" | "sewing" | "printer", and its options
           (relay kinds need `pin`; `pin_factory = "mock"` simulates the pins, and
           `panel = "/run/x.sock"` lets the demo and tests drive them: machines.mock_panel)
[feedback] green_pin, red_pin, amber_pin, buzzer_pin, pin_factory (all optional)
[screen]   enabled (true), port (8010), blank_minutes (10): the page for the touch screen
[voice]    enabled (true), volume (0-100, 80), quiet_hours ("22:00-07:00"), player ("aplay -q")
A station without [screen] or [voice] has lights and a buzzer only, as before.
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
    stop_countdown_seconds: float = 30.0  # warned before the facilitator's "stop now" cuts


@dataclass(frozen=True)
class ScreenSettings:
    port: int = 8010
    blank_minutes: float = 10.0


@dataclass(frozen=True)
class VoiceSettings:
    volume: int = 80
    quiet_hours: str | None = None
    player: str = "aplay -q"


@dataclass(frozen=True)
class KioskConfig:
    hub_url: str
    hub_token: str
    station: StationSettings
    reader: dict[str, Any]
    machine: dict[str, Any]
    feedback: dict[str, Any] = field(default_factory=dict)
    hub_timeout_seconds: float = 10.0
    hub_ca_file: Path | None = None  # None: the system's authorities
    screen: ScreenSettings | None = None  # None: no screen
    voice: VoiceSettings | None = None  # None: silent


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
    unknown = set(data) - {"hub", "station", "reader", "machine", "feedback", "screen", "voice"}
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
    ca_file = None
    if "ca_file" in hub:
        ca_file = (base / _text(hub, "hub", "ca_file")).resolve()
        if not ca_file.is_file():
            raise ConfigError(f"hub.ca_file: no certificate at {ca_file}")
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
        stop_countdown_seconds=_number(station, "station", "stop_countdown_seconds", 30.0, 1),
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
        screen=_screen(data),
        voice=_voice(data),
        hub_url=url.rstrip("/"),
        hub_token=token,
        hub_timeout_seconds=timeout,
        hub_ca_file=ca_file,
        station=settings,
        reader=reader,
        machine=machine,
        feedback=feedback,
    )


def _enabled(data: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The section's other keys when it is there and not `enabled = false`, else None."""
    if name not in data:
        return None
    table = _table(data, name)
    enabled = table.pop("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError(f"{name}.enabled must be true or false, not {enabled!r}")
    return table if enabled else None


def _screen(data: dict[str, Any]) -> ScreenSettings | None:
    table = _enabled(data, "screen")
    if table is None:
        return None
    port = _number(table, "screen", "port", 8010, 1)
    if port != int(port) or port > 65535:
        raise ConfigError(f"screen.port must be a port number (1 to 65535), not {port:g}")
    blank = _number(table, "screen", "blank_minutes", 10.0, 0.1)
    _no_leftovers(table, "screen")
    return ScreenSettings(port=int(port), blank_minutes=blank)


def _voice(data: dict[str, Any]) -> VoiceSettings | None:
    from kiosk.voice import parse_quiet_hours

    table = _enabled(data, "voice")
    if table is None:
        return None
    volume = _number(table, "voice", "volume", 80, 0)
    if volume > 100:
        raise ConfigError(f"voice.volume goes from 0 to 100, not {volume:g}")
    quiet = table.pop("quiet_hours", None)
    try:
        parse_quiet_hours(quiet if isinstance(quiet, str) else None)
    except ValueError as error:
        raise ConfigError(f"voice.{error}") from None
    if quiet is not None and not isinstance(quiet, str):
        raise ConfigError(f'voice.quiet_hours is written like "22:00-07:00", not {quiet!r}')
    player = table.pop("player", "aplay -q")
    if not isinstance(player, str) or not player.strip():
        raise ConfigError('voice.player is the command that plays a WAV file, e.g. "aplay -q"')
    _no_leftovers(table, "voice")
    return VoiceSettings(volume=int(volume), quiet_hours=quiet, player=player)


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
