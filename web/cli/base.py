"""`fablab-hub`'s group: the database a command works on, and domain errors as messages."""

from __future__ import annotations

import functools
import getpass
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from flask import Flask
from sqlite_utils import Database

from web.db import open_database
from web.domain.errors import HubError
from web.migrations import pending

F = TypeVar("F", bound=Callable[..., Any])


class Hub:
    """The database a command works on, opened on first use and closed at exit."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._db: Database | None = None
        self.actor = f"cli:{getpass.getuser()}"

    def open(self, *, require_schema: bool = True) -> Database:
        if self._db is None:
            if require_schema and not Path(self.path).exists():
                raise click.ClickException(
                    f"no database at {self.path}: run 'fablab-hub init' first"
                )
            self._db = open_database(self.path)
        if require_schema and pending(self._db):
            raise click.ClickException(
                f"the database at {self.path} is not up to date: run 'fablab-hub init'"
            )
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


def with_db(function: F) -> F:
    """Pass the open database to the command, and turn domain errors into clean messages."""

    @click.pass_obj
    @functools.wraps(function)
    def wrapper(hub: Hub, *args: Any, **kwargs: Any) -> Any:
        try:
            return function(hub.open(), hub.actor, *args, **kwargs)
        except HubError as error:
            raise click.ClickException(str(error)) from error

    return wrapper  # type: ignore[return-value]


def _default_db() -> str:
    from web.app import default_database_path

    return default_database_path(Flask("web", instance_relative_config=True).instance_path)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    "db_path",
    envvar="FABLAB_DB",
    type=click.Path(dir_okay=False),
    help="The hub's SQLite file (default: $FABLAB_DB, else fablab.db in the instance folder).",
)
@click.option(
    "--secrets",
    "secrets_path",
    envvar="FABLAB_SECRETS",
    type=click.Path(dir_okay=False),
    help="The hub's secrets file (default: $FABLAB_SECRETS, else /etc/fablab/secrets.toml).",
)
@click.pass_context
def main(ctx: click.Context, db_path: str | None, secrets_path: str | None) -> None:
    """Run and administer the fablab hub: people, badges, machines, trainings, sessions."""
    from web import secrets

    secrets.use(secrets_path)
    hub = Hub(db_path or _default_db())
    ctx.obj = hub
    ctx.call_on_close(hub.close)
