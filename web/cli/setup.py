"""Skills and machines: what the fablab has and what each machine requires."""

from __future__ import annotations

import json

import click
from sqlite_utils import Database

from web.cli.base import main, with_db
from web.domain import machines, skills

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
@click.option("--name", "display_name", help='Its name as people read it ("Laser Trotec").')
@with_db
def machine_add(
    db: Database, actor: str, name: str, kind: str, skill_slug: str | None, display_name: str | None
) -> None:
    """Create the machine NAME (a slug: laser-1) and print its station token (shown once)."""
    token = machines.add_machine(
        db, name, kind=kind, skill=skill_slug, display_name=display_name, actor=actor
    )
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


# --- settings -------------------------------------------------------------------------------


@main.group("settings")
def settings_group() -> None:
    """The hub's settings (whom stations send residents to, the languages they speak, the
    fablab's name and public address on its credentials)."""


@settings_group.command("show")
@with_db
def settings_show(db: Database, actor: str) -> None:
    """Print each setting, its value and what it is for."""
    from web.domain import settings

    values = {"contact_name": settings.contact_name(db),
              "station_languages": ",".join(settings.station_languages(db))}  # fmt: skip
    for key, meaning in settings.SETTINGS.items():
        value = values.get(key, settings.get(db, key) or "")
        if key == "logo" and value:
            value = f"(an image, {len(value)} characters)"
        click.echo(f"{key} = {value}    # {meaning}")


@settings_group.command("set")
@click.argument("key")
@click.argument("value")
@with_db
def settings_set(db: Database, actor: str, key: str, value: str) -> None:
    """Set KEY to VALUE (`fablab-hub settings show` lists them)."""
    from web.domain import settings

    stored = settings.set_value(db, key, value, actor=actor)
    click.echo(f"{key} = {stored if key != 'logo' else '(an image)'}")
