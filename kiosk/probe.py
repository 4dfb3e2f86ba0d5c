"""`fablab-kiosk check`: what an installer wants to know before leaving a station."""

from __future__ import annotations

import tempfile
from collections.abc import Callable

from badge.reader import ReaderConfigError, build_reader
from kiosk.access import AccessListInvalid, AccessListStore
from kiosk.config import KioskConfig
from kiosk.hub_client import HubClient, HubUnavailable
from machines.base import ControllerConfigError, build_controller


def probe(config: KioskConfig, say: Callable[[str], None]) -> int:
    """Print one line per check; return how many failed."""
    failed = 0

    def check(label: str, action: Callable[[], str]) -> None:
        nonlocal failed
        try:
            say(f"ok       {label}: {action()}")
        except Exception as problem:  # every probe reports, none stops the others
            failed += 1
            say(f"PROBLEM  {label}: {problem}")

    def data_dir() -> str:
        config.station.data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=config.station.data_dir):
            pass
        return str(config.station.data_dir)

    def saved_list() -> str:
        try:
            saved = AccessListStore(config.station.data_dir).load()
        except AccessListInvalid as problem:
            raise RuntimeError(str(problem)) from None
        return "none yet (fetched at start)" if saved is None else f"{len(saved.entries)} badges"

    def reader() -> str:
        try:
            built = build_reader(**config.reader)
        except ReaderConfigError as problem:
            raise RuntimeError(str(problem)) from None
        return built.probe()

    def machine() -> str:
        try:
            controller = build_controller(**config.machine)
        except ControllerConfigError as problem:
            raise RuntimeError(str(problem)) from None
        state = controller.state.value
        controller.close()
        return f"{config.machine['kind']}, {state}"

    def hub() -> str:
        client = HubClient(
            config.hub_url, config.hub_token, config.hub_timeout_seconds, config.hub_ca_file
        )
        try:
            _, body, _ = client.access_list(None, 0)
        except HubUnavailable as problem:
            raise RuntimeError(str(problem)) from None
        finally:
            client.close()
        machine = body.get("machine", {})
        return f"{config.hub_url} knows this station as {machine.get('name')!r}"

    check("configuration", lambda: "valid")
    check("data directory", data_dir)
    check("saved access list", saved_list)
    check("badge reader", reader)
    check("machine", machine)
    check("hub", hub)
    return failed
