"""`fablab-hub`: a thin command line over the hub's domain functions.

Each command parses its arguments, calls one domain function and prints the
outcome. Values a script needs (a new token, a new person's id) are printed
alone on the last line. The commands live in the modules below, by subject.
"""

from web.cli import people, records, server, setup  # noqa: F401  (registers the commands)
from web.cli.base import main

__all__ = ["main"]
