"""Running the hub: create or upgrade its database, serve it, back it up, load the demo."""

from __future__ import annotations

import json
from pathlib import Path

import click
from sqlite_utils import Database

from web.cli.base import Hub, main, with_db
from web.migrations import migrate


@main.command()
@click.option(
    "--demo",
    is_flag=True,
    help="Make a hub for the demo only: `demo-data` loads its published logins and badges "
    "into no other.",
)
@click.pass_obj
def init(hub: Hub, demo: bool) -> None:
    """Create the database and the secrets file, or bring them up to date (safe to run again)."""
    from web import secrets

    database = hub.open(require_schema=False)
    fresh = not database["_migrations"].exists()
    if demo and not fresh:
        raise click.ClickException(f"{hub.path} exists already: a demo hub starts empty")
    ran = migrate(database)
    if demo:
        database.execute("INSERT INTO settings (key, value) VALUES ('demo', 'yes')")
        database.conn.commit()
    state = f"applied {len(ran)} migration(s)" if ran else "already up to date"
    click.echo(f"Database {hub.path}: {state}.")
    try:
        found, made = secrets.ensure()
    except secrets.SecretsError as problem:
        raise click.ClickException(str(problem)) from None
    if made and not ran:
        click.echo("No secrets file was found for this database: new secrets were made. Stations "
                   "get new lists, facilitators log in again; credentials signed before no longer "
                   "verify unless the old file is put back.", err=True)  # fmt: skip
    mode = found.path.stat().st_mode & 0o777
    note = "" if mode & 0o077 == 0 else f" WARNING: mode {mode:o}, others can read it (chmod 600)"
    click.echo(f"Secrets: {found.path}{' (made now)' if made else ''}.{note}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=5000, show_default=True, type=click.IntRange(1, 65535), help="Port."
)
@click.option(
    "--threads",
    default=48,
    show_default=True,
    type=click.IntRange(4, 512),
    help="Worker threads; each station's long poll holds one.",
)
@click.pass_obj
def serve(hub: Hub, host: str, port: int, threads: int) -> None:
    """Serve the hub with waitress (brings the database up to date first)."""
    import waitress

    from web.app import create_app

    migrate(hub.open(require_schema=False))
    hub.close()
    from web import secrets

    app = create_app({"DATABASE": hub.path, "SECRETS_FILE": str(secrets.location())})
    click.echo(f"Hub serving {hub.path} on http://{host}:{port}/ (Ctrl-C to stop)")
    click.echo(f"  station API: http://{host}:{port}/api/v1/ (described at /api/v1/openapi.json)")
    waitress.serve(app, host=host, port=port, threads=threads, ident="fablab-hub")


@main.command(context_settings={"ignore_unknown_options": False})
@click.argument("words", nargs=-1, required=True)
@click.pass_obj
def backup(hub: Hub, words: tuple[str, ...]) -> None:
    """`backup DESTINATION`: copy the database to a new file with SQLite's online backup (safe
    while serving), and the erasure ledger beside it. `backup restore FILE`: put FILE back
    as the database (stop the hub first), then erase again everyone the ledgers name."""
    if words[0] == "restore" and len(words) == 2:
        _restore(hub, Path(words[1]))
    elif len(words) == 1 and words[0] != "restore":
        _backup(hub, Path(words[0]))
    else:
        raise click.UsageError("fablab-hub backup DESTINATION, or fablab-hub backup restore FILE")


def _backup(hub: Hub, target_path: Path) -> None:
    import shutil
    import sqlite3

    from web.domain.erasure import ledger_path

    if target_path.exists():
        raise click.ClickException(f"{target_path} exists already; choose a new file")
    source = hub.open()
    target = sqlite3.connect(target_path)
    try:
        source.conn.backup(target)
    finally:
        target.close()
    ledger = ledger_path(source)
    if ledger is not None and ledger.exists():
        shutil.copyfile(ledger, f"{target_path}.erasures")
    click.echo(f"Backed up {hub.path} to {target_path}.")


def _restore(hub: Hub, backup_path: Path) -> None:
    import sqlite3

    from web.domain.erasure import apply_ledger

    if not backup_path.is_file():
        raise click.ClickException(f"no backup at {backup_path}")
    source = sqlite3.connect(f"file:{backup_path}?mode=ro", uri=True)
    try:
        if source.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise click.ClickException(f"{backup_path} is damaged; choose another backup")
        target = sqlite3.connect(hub.path)
        try:
            source.backup(target)
        finally:
            target.close()
    finally:
        source.close()
    db = hub.open(require_schema=False)
    migrate(db)  # an older backup is brought up to date first
    again = apply_ledger(db, Path(f"{backup_path}.erasures"), actor="backup restore")
    click.echo(f"Restored {hub.path} from {backup_path}; "
               f"{len(again)} erased person(s) erased again.")  # fmt: skip


@main.command("demo-data")
@click.option("--json", "as_json", is_flag=True, help="Print the badges and tokens as JSON.")
@with_db
def demo_data(db: Database, actor: str, as_json: bool) -> None:
    """Fill an empty hub with the demo fablab and print its badges and station tokens."""
    from web import demo

    demo_hub = db.execute("SELECT value FROM settings WHERE key = 'demo'").fetchone()
    if demo_hub is None:
        raise click.ClickException(
            "demo data (a published password, known badges) goes only into a hub made for "
            "the demo: fablab-hub --db NEW.db init --demo"
        )
    if db["people"].count or db["machines"].count:
        raise click.ClickException("demo data goes into an empty hub only")
    loaded = demo.load(db)
    if as_json:
        people = [
            {"name": p.name, "uid": p.uid, "id": loaded["people"][p.name], "note": p.note}
            for p in demo.PEOPLE
        ]
        machines = [{"name": name, "kind": kind} for name, kind, *_ in demo.MACHINES]
        login = dict(zip(("name", "password"), demo.FACILITATOR, strict=True))
        click.echo(json.dumps({"people": people, "machines": machines,
                               "tokens": loaded["tokens"], "facilitator": login}))  # fmt: skip
        return
    click.echo("Demo people (tap these badge UIDs at a station):")
    for person in demo.PEOPLE:
        click.echo(
            f"  {person.uid:<16} {person.name:<14} {loaded['people'][person.name]}  {person.note}"
        )
    click.echo("Demo station tokens (put one in a station's [hub] token):")
    for name, token in loaded["tokens"].items():
        click.echo(f"  {name:<14} {token}")
    click.echo(
        "Facilitator pages: http://127.0.0.1:5000/ (log in as "
        f"{demo.FACILITATOR[0]} / {demo.FACILITATOR[1]}); wall screen: /tableau"
    )
    click.echo("See what the laser's station sees:")
    click.echo(
        f"  curl -H 'Authorization: Bearer {loaded['tokens']['laser']}' "
        "http://127.0.0.1:5000/api/v1/access-list"
    )


@main.group("secrets")
def secrets_group() -> None:
    """The hub's secrets file (kept out of the database and its backups)."""


@secrets_group.command("rotate")
@click.argument("name", type=click.Choice(["badge", "web", "credentials"]))
@click.pass_obj
def secrets_rotate(hub: Hub, name: str) -> None:
    """Give the secret NAME a new value. badge: stations get new lists; web: everyone logs in
    again; credentials: new credentials get a new key, the old ones still verify."""
    from web import secrets
    from web.domain import audit

    try:
        rotated = secrets.rotate(name)
    except secrets.SecretsError as problem:
        raise click.ClickException(str(problem)) from None
    db = hub.open()
    if name == "badge":  # the lists depend on it: wake the stations
        db.execute("UPDATE revision SET value = value + 1 WHERE id = 1")
    audit.record(db, hub.actor, "secrets.rotate", name)
    db.conn.commit()
    click.echo(f"Secret {name} rotated in {rotated.path}.")
