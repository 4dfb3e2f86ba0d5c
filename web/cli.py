"""`fablab-hub`: a thin command line over the hub's domain functions.

Each command parses its arguments, calls one domain function and prints the
outcome. Values a script needs (a new token, a new person's id) are printed
alone on the last line.
"""

from __future__ import annotations

import functools
import getpass
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from flask import Flask
from sqlite_utils import Database

from common.clock import to_iso
from web.db import open_database
from web.domain import badges, grants, machines, people, sessions, skills
from web.domain.errors import HubError
from web.migrations import migrate, pending

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
@click.pass_context
def main(ctx: click.Context, db_path: str | None) -> None:
    """Run and administer the fablab hub: people, badges, machines, trainings, sessions."""
    hub = Hub(db_path or _default_db())
    ctx.obj = hub
    ctx.call_on_close(hub.close)


@main.command()
@click.pass_obj
def init(hub: Hub) -> None:
    """Create the database, or bring it up to date (safe to run again)."""
    ran = migrate(hub.open(require_schema=False))
    state = f"applied {len(ran)} migration(s)" if ran else "already up to date"
    click.echo(f"Database {hub.path}: {state}.")


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
    app = create_app({"DATABASE": hub.path})
    click.echo(f"Hub serving {hub.path} on http://{host}:{port}/ (Ctrl-C to stop)")
    click.echo(f"  station API: http://{host}:{port}/api/v1/ (described at /api/v1/openapi.json)")
    waitress.serve(app, host=host, port=port, threads=threads, ident="fablab-hub")


@main.command()
@click.argument("destination", type=click.Path(dir_okay=False))
@click.pass_obj
def backup(hub: Hub, destination: str) -> None:
    """Copy the database to DESTINATION with SQLite's online backup (safe while serving)."""
    import sqlite3

    target_path = Path(destination)
    if target_path.exists():
        raise click.ClickException(f"{destination} exists already; choose a new file")
    source = hub.open()
    target = sqlite3.connect(target_path)
    try:
        source.conn.backup(target)
    finally:
        target.close()
    click.echo(f"Backed up {hub.path} to {destination}.")


@main.command("demo-data")
@click.option("--json", "as_json", is_flag=True, help="Print the badges and tokens as JSON.")
@with_db
def demo_data(db: Database, actor: str, as_json: bool) -> None:
    """Fill an empty hub with the demo fablab and print its badges and station tokens."""
    from web import demo

    if db["people"].count or db["machines"].count:
        raise click.ClickException("demo data goes into an empty hub only")
    loaded = demo.load(db)
    if as_json:
        people = [
            {"name": p.name, "uid": p.uid, "id": loaded["people"][p.name], "note": p.note}
            for p in demo.PEOPLE
        ]
        machines = [{"name": name, "kind": kind} for name, kind, _ in demo.MACHINES]
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


# --- skills ---------------------------------------------------------------------------------


@main.group()
def skill() -> None:
    """Skills a machine can require."""


@skill.command("add")
@click.argument("slug")
@click.option("--name-fr", required=True, help="Name shown to residents, in French.")
@click.option("--name-en", help="Name in English.")
@click.option(
    "--validity-months",
    type=click.IntRange(0),
    default=skills.DEFAULT_VALIDITY_MONTHS,
    show_default=True,
    help="How long a training stays valid (0: forever).",
)
@click.option(
    "--inactivity-months",
    type=click.IntRange(0),
    default=skills.DEFAULT_INACTIVITY_MONTHS,
    show_default=True,
    help="A training lapses after this long without practice (0: never).",
)
@click.option("--rome", multiple=True, help="A ROME job code this skill relates to (repeatable).")
@with_db
def skill_add(
    db: Database,
    actor: str,
    slug: str,
    name_fr: str,
    name_en: str | None,
    validity_months: int,
    inactivity_months: int,
    rome: tuple[str, ...],
) -> None:
    """Create a skill."""
    skills.add_skill(
        db,
        slug,
        name_fr=name_fr,
        name_en=name_en,
        validity_months=validity_months or None,
        inactivity_months=inactivity_months or None,
        rome_codes=rome,
        actor=actor,
    )
    click.echo(f"Skill {slug} created.")


@skill.command("list")
@with_db
def skill_list(db: Database, actor: str) -> None:
    """List the skills."""
    for row in skills.list_skills(db):
        rome = ", ".join(json.loads(row["rome_codes"])) or "-"
        click.echo(
            f"{row['slug']:<20} {row['name_fr']:<24} valid {row['validity_months'] or '∞'} months, "
            f"lapses after {row['inactivity_months'] or '∞'}, ROME {rome}"
        )


# --- machines -------------------------------------------------------------------------------


@main.group()
def machine() -> None:
    """Machines and their station tokens."""


@machine.command("add")
@click.argument("name")
@click.option(
    "--kind", required=True, type=click.Choice(machines.MACHINE_KINDS), help="Controller kind."
)
@click.option("--skill", "skill_slug", help="Slug of the skill it requires (not for checkin).")
@with_db
def machine_add(db: Database, actor: str, name: str, kind: str, skill_slug: str | None) -> None:
    """Create a machine and print its station token (shown only this once)."""
    token = machines.add_machine(db, name, kind=kind, skill=skill_slug, actor=actor)
    click.echo(f"Machine {name} created. Its station token, shown only now:")
    click.echo(token)


@machine.command("token")
@click.argument("name")
@with_db
def machine_token(db: Database, actor: str, name: str) -> None:
    """Give the machine a new station token (the old one stops working) and print it."""
    token = machines.rotate_token(db, name, actor=actor)
    click.echo(f"New station token for {name}; the old one no longer works:")
    click.echo(token)


@machine.command("out-of-service")
@click.argument("name")
@click.option("--reason", required=True, help="Why, in words residents understand.")
@with_db
def machine_out(db: Database, actor: str, name: str, reason: str) -> None:
    """Take a machine out of service; its station refuses every tap until it is back."""
    machines.set_out_of_service(db, name, reason, actor=actor)
    click.echo(f"Machine {name} is out of service.")


@machine.command("in-service")
@click.argument("name")
@with_db
def machine_in(db: Database, actor: str, name: str) -> None:
    """Put a machine back in service."""
    machines.set_out_of_service(db, name, None, actor=actor)
    click.echo(f"Machine {name} is back in service.")


@machine.command("list")
@with_db
def machine_list(db: Database, actor: str) -> None:
    """List the machines, their state and last heartbeat."""
    for row in machines.list_machines(db):
        state = (
            f"out of service: {row['out_of_service_reason']}"
            if row["out_of_service"]
            else "in service"
        )
        seen = row["last_heartbeat_at"] or "never"
        click.echo(
            f"{row['name']:<16} {row['kind']:<8} {row['skill'] or '-':<16} {state}; "
            f"last seen {seen}"
        )


# --- people, badges, trainings ---------------------------------------------------------------


@main.group()
def person() -> None:
    """Residents."""


@person.command("add")
@click.argument("display_name")
@click.option("--age-band", type=click.Choice(people.AGE_BANDS), help="For statistics only.")
@click.option("--gender", type=click.Choice(people.GENDERS), help="For statistics only.")
@click.option("--consent-statistics", is_flag=True, help="Agrees to count in partner statistics.")
@with_db
def person_add(
    db: Database,
    actor: str,
    display_name: str,
    age_band: str | None,
    gender: str | None,
    consent_statistics: bool,
) -> None:
    """Register a person and print their new id."""
    person_id = people.add_person(
        db,
        display_name,
        age_band=age_band,
        gender=gender,
        consent_statistics=consent_statistics,
        actor=actor,
    )
    click.echo("Person registered. Their id:")
    click.echo(person_id)


@person.command("export")
@click.argument("person_id")
@with_db
def person_export(db: Database, actor: str, person_id: str) -> None:
    """Print everything the hub holds about a person, as JSON (their right of access)."""
    from web.domain import audit
    from web.domain.erasure import export_person

    click.echo(json.dumps(export_person(db, person_id), ensure_ascii=False, indent=2))
    audit.record(db, actor, "person.export", person_id)


@person.command("erase")
@click.argument("person_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_db
def person_erase(db: Database, actor: str, person_id: str, yes: bool) -> None:
    """Erase a person's identity and badges (their anonymous totals stay)."""
    from web.domain.erasure import erase

    if not yes:
        click.confirm(f"Erase {person_id}'s name and badges for good?", abort=True)
    erase(db, person_id, actor=actor)
    click.echo(f"{person_id} erased.")


@main.group()
def badge() -> None:
    """RFID badges."""


@badge.command("assign")
@click.argument("person_id")
@click.argument("uid")
@with_db
def badge_assign(db: Database, actor: str, person_id: str, uid: str) -> None:
    """Bind the card UID (hex, any case, colons allowed) to a person."""
    uid = badges.assign_badge(db, person_id, uid, actor=actor)
    click.echo(f"Badge {uid} now belongs to {person_id}.")


@badge.command("revoke")
@click.argument("uid")
@click.option("--reason", help="Lost, broken, returned...")
@with_db
def badge_revoke(db: Database, actor: str, uid: str, reason: str | None) -> None:
    """Stop a card from working (lost, returned); its history is kept."""
    badges.revoke_badge(db, uid, reason=reason, actor=actor)
    click.echo("Badge revoked.")


@main.command("grant")
@click.argument("person_id")
@click.argument("skill_slug", metavar="SKILL")
@click.option(
    "--level",
    required=True,
    type=click.IntRange(1, 3),
    help="1 Découverte, 2 Autonome, 3 Référent.",
)
@click.option("--valid-months", type=click.IntRange(1), help="Validity (default: the skill's).")
@click.option("--by", "by", help="Who trained the person.")
@with_db
def grant_command(
    db: Database,
    actor: str,
    person_id: str,
    skill_slug: str,
    level: int,
    valid_months: int | None,
    by: str | None,
) -> None:
    """Record a training of PERSON_ID on SKILL (replaces their current one)."""
    grants.grant(
        db, person_id, skill_slug, level=level, valid_months=valid_months, by=by, actor=actor
    )
    click.echo(f"{person_id} trained on {skill_slug}, level {level} ({grants.LEVELS[level]}).")


@main.command("revoke")
@click.argument("person_id")
@click.argument("skill_slug", metavar="SKILL")
@click.option("--reason", help="Why; kept in the training's history.")
@with_db
def revoke_command(
    db: Database, actor: str, person_id: str, skill_slug: str, reason: str | None
) -> None:
    """Revoke PERSON_ID's training on SKILL; stations refuse them within seconds."""
    grants.revoke(db, person_id, skill_slug, reason=reason, actor=actor)
    click.echo(f"Training of {person_id} on {skill_slug} revoked.")


# --- facilitators ------------------------------------------------------------------------------


@main.group()
def facilitator() -> None:
    """Facilitator accounts for the hub's pages."""


@facilitator.command("add")
@click.argument("name")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="The password (asked for when not given; at least 10 characters).",
)
@click.option("--person", "person_id", help="Their own badge-holder id, to supervise with it.")
@with_db
def facilitator_add(
    db: Database, actor: str, name: str, password: str, person_id: str | None
) -> None:
    """Create a facilitator account."""
    from web.domain.facilitators import add_facilitator

    add_facilitator(db, name, password, person_id=person_id, actor=actor)
    click.echo(f"Facilitator {name} can now log in.")


# --- exports ------------------------------------------------------------------------------------


@main.group()
def export() -> None:
    """Exports for the partners."""


@export.command("weekly")
@click.option("--week", help="ISO week YYYY-Www (default: the last complete week, Paris time).")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder to write the CSV and XLSX files into.",
)
@with_db
def export_weekly(db: Database, actor: str, week: str | None, out_dir: str) -> None:
    """Write the week's pseudonymised sessions and summary (CSV for French Excel, and XLSX)."""
    from web.domain import audit
    from web.domain.export import Week, build, write

    try:
        chosen = Week.parse(week) if week else Week.last_complete()
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--week") from None
    paths = write(build(db, chosen), Path(out_dir))
    audit.record(db, actor, "export.weekly", chosen.label)
    for path in paths:
        click.echo(path)


@main.command("purge")
@click.option(
    "--months",
    type=click.IntRange(1, 120),
    default=3,
    show_default=True,
    help="Keep raw events and session detail this many months.",
)
@with_db
def purge_command(db: Database, actor: str, months: int) -> None:
    """Delete old raw events and session detail (totals are kept): the daily retention job."""
    from web.domain.purge import cutoff, purge

    before = cutoff(months)
    done = purge(db, before, actor=actor)
    click.echo(
        f"Before {before.date()}: {done['events']} event(s) and "
        f"{done['sessions']} session(s) deleted."
    )


# --- sessions -------------------------------------------------------------------------------


def _since(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use a date (2026-11-23) or a timestamp") from None
    return to_iso(moment if moment.tzinfo else moment.astimezone())


@main.command("sessions")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option("--since", help="Only sessions from this date or time (local time unless stated).")
@with_db
def sessions_command(db: Database, actor: str, as_json: bool, since: str | None) -> None:
    """List usage sessions."""
    rows = sessions.list_sessions(db, _since(since))
    for row in rows:
        row["job"] = json.loads(row["job"]) if row["job"] else None
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        click.echo(
            f"{row['started_at'] or '?':<25} {row['ended_at'] or 'open':<25} {row['machine']:<14} "
            f"{row['person'] or '?':<9} {row['end_reason'] or ''}"
        )
