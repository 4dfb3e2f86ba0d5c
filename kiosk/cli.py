"""`fablab-kiosk`: the station agent's command line."""

from __future__ import annotations

import click

from kiosk import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fablab-kiosk")
def main() -> None:
    """Run and check a machine station (badge reader, interlock, hub link)."""


@main.command()
def version() -> None:
    """Print the station agent's version."""
    click.echo(__version__)
