"""`fablab-kiosk`: the station agent's command line."""

from __future__ import annotations

import signal
from typing import Any

import click

from common import __version__

READER_KINDS = ("stdin", "serial", "keyboard", "mfrc522")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fablab-kiosk")
@click.option(
    "--config",
    "config_path",
    envvar="FABLAB_KIOSK_CONFIG",
    type=click.Path(dir_okay=False),
    help="The station's TOML configuration (default: $FABLAB_KIOSK_CONFIG).",
)
@click.pass_context
def main(ctx: click.Context, config_path: str | None) -> None:
    """Run and check a machine station (badge reader, interlock, hub link)."""
    ctx.obj = config_path


def _load_config(config_path: str | None) -> Any:
    from kiosk.config import ConfigError, load

    if not config_path:
        raise click.UsageError("give the station's configuration: fablab-kiosk --config FILE ...")
    try:
        return load(config_path)
    except ConfigError as error:
        raise click.ClickException(f"configuration: {error}") from None


STOP_DEADLINE = 25.0  # seconds; the longest clean stop: the hub's and OctoPrint's 10 s timeouts


@main.command()
@click.pass_obj
def run(config_path: str | None) -> None:
    """Run the station: read badges, decide, drive the machine, report to the hub."""
    import logging
    import os
    import sys

    from kiosk.agent import Station

    # The agent's loop shares the interpreter with its reader, hub, screen and voice threads:
    # a shorter switch interval (5 ms by default) keeps a tap from waiting on them.
    sys.setswitchinterval(0.001)
    logging.basicConfig(
        level=os.environ.get("FABLAB_LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    import faulthandler

    # `kill -USR1 <pid>`: every thread's stack on stderr (the journal), to see where a
    # station that does not stop is stuck.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    station = Station(_load_config(config_path))

    def stop(*_: object) -> None:
        station.stop()
        # A stop that hangs (a peer that accepts and never answers...) must not leave the
        # process behind: after STOP_DEADLINE, every thread's stack on stderr, then exit 1
        # (systemd's ExecStopPost locks the machine; the relay was switched off first).
        faulthandler.dump_traceback_later(STOP_DEADLINE, exit=True)

    signal.signal(signal.SIGTERM, stop)
    try:
        station.run()
    except KeyboardInterrupt:
        station.shutdown()


@main.command()
@click.pass_obj
def check(config_path: str | None) -> None:
    """Validate the configuration and probe the hardware and the hub; exit 1 on a problem."""
    from kiosk.probe import probe

    problems = probe(_load_config(config_path), click.echo)
    if problems:
        raise click.ClickException(f"{problems} problem(s) found")


@main.command()
@click.pass_obj
def lock(config_path: str | None) -> None:
    """Drive the machine's relay off and exit (systemd runs it after the agent stops).

    A GPIO line can keep its level when the process holding it dies; this makes the
    machine safe however the agent ended, even killed.
    """
    from kiosk.config import RELAY_KINDS
    from machines.base import build_controller

    config = _load_config(config_path)
    kind = config.machine["kind"]
    if kind not in RELAY_KINDS:
        click.echo(f"a {kind} station has no relay: nothing to lock")
        return
    try:
        controller = build_controller(**config.machine)  # drives the relay off as it opens
    except Exception as problem:  # whatever the GPIO library raises: say it, exit 1
        raise click.ClickException(f"could not drive the relay off: {problem}") from None
    controller.close()
    click.echo(f"relay on pin {config.machine['pin']} driven off")


@main.command()
def version() -> None:
    """Print the station agent's version."""
    click.echo(__version__)


@main.command("read-badges")
@click.option(
    "--reader", "kind", required=True, type=click.Choice(READER_KINDS), help="Reader kind."
)
@click.option("--port", help="Serial reader: the device, e.g. /dev/ttyUSB0.")
@click.option(
    "--protocol",
    type=click.Choice(["rdm6300", "lines"]),
    default="rdm6300",
    show_default=True,
    help="Serial reader: RDM6300/EM4100 frames, or one UID per line.",
)
@click.option("--baudrate", type=int, default=9600, show_default=True, help="Serial reader: speed.")
@click.option("--device", help="Keyboard-style reader: the input device, e.g. /dev/input/event3.")
@click.option(
    "--uid-format",
    type=click.Choice(["hex", "hex-reversed", "decimal", "decimal-reversed"]),
    default="hex",
    show_default=True,
    help="Keyboard-style or `lines` serial reader: how it writes a card's number.",
)
@click.option("--spi-bus", type=int, default=0, show_default=True, help="MFRC522: SPI bus.")
@click.option("--spi-device", type=int, default=0, show_default=True, help="MFRC522: chip select.")
@click.option("--pin-rst", type=int, default=22, show_default=True, help="MFRC522: reset pin.")
@click.option(
    "--gap",
    type=float,
    default=1.0,
    show_default=True,
    help="Seconds a card must be away before it counts as a new tap.",
)
def read_badges(
    kind: str,
    port: str | None,
    protocol: str,
    baudrate: int,
    device: str | None,
    uid_format: str,
    spi_bus: int,
    spi_device: int,
    pin_rst: int,
    gap: float,
) -> None:
    """Print each tap's UID alone on its own line as it happens; faults go to stderr.

    For checking a reader's wiring: tap cards and watch. Ctrl-C stops.
    """
    from badge.reader import ReaderConfigError, build_reader
    from badge.taps import ReaderFault, Tap

    options: dict[str, Any] = {
        "stdin": {},
        "serial": {"port": port, "protocol": protocol, "baudrate": baudrate, "gap": gap},
        "keyboard": {"device": device, "gap": gap, "uid_format": uid_format},
        "mfrc522": {"bus": spi_bus, "device": spi_device, "pin_rst": pin_rst, "gap": gap},
    }[kind]
    if kind == "serial" and protocol == "lines":
        options["uid_format"] = uid_format
    needed = {"serial": ("port", "--port"), "keyboard": ("device", "--device")}.get(kind)
    if needed and options[needed[0]] is None:  # the MFRC522's SPI device 0 is a real answer
        raise click.UsageError(f"the {kind} reader needs {needed[1]}")
    try:
        reader = build_reader(kind, **options)
    except ReaderConfigError as error:
        raise click.UsageError(str(error)) from None
    # Ctrl-C asks the reader to stop, like SIGTERM: an exception raised in the middle of the
    # reader's wait for a device that is away would leave its locks half released.
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: reader.stop())
    for event in reader.events():
        if isinstance(event, Tap):
            click.echo(event.uid)
        elif isinstance(event, ReaderFault):
            click.echo(f"fault {event.code}: {event.message}", err=True)
        else:
            click.echo("reader working again", err=True)
