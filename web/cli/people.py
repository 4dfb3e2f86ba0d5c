"""Residents, their badges and their trainings."""

from __future__ import annotations

import json
from datetime import datetime

import click
from sqlite_utils import Database

from common.languages import LANGUAGES
from web.cli.base import main, with_db
from web.domain import badges, grants, people

# --- people, badges, trainings ---------------------------------------------------------------


@main.group()
def person() -> None:
    """Residents."""


@person.command("add")
@click.argument("display_name")
@click.option("--age-band", type=click.Choice(people.AGE_BANDS), help="For statistics only.")
@click.option("--gender", type=click.Choice(people.GENDERS), help="For statistics only.")
@click.option("--consent-statistics", is_flag=True, help="Agrees to count in partner statistics.")
@click.option(
    "--language",
    type=click.Choice(list(LANGUAGES)),
    help="The language the stations' screens and voice use for them (default: fr).",
)
@with_db
def person_add(
    db: Database,
    actor: str,
    display_name: str,
    age_band: str | None,
    gender: str | None,
    consent_statistics: bool,
    language: str | None,
) -> None:
    """Register a person and print their new id."""
    person_id = people.add_person(
        db,
        display_name,
        age_band=age_band,
        gender=gender,
        consent_statistics=consent_statistics,
        language=language,
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
    from web.domain.person_record import export_person

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
@click.option("--on", "on", type=click.DateTime(["%Y-%m-%d"]),
              help="The day of the training (YYYY-MM-DD; default today), e.g. from paper "
                   "records; its validity runs from that day.")  # fmt: skip
@with_db
def grant_command(
    db: Database,
    actor: str,
    person_id: str,
    skill_slug: str,
    level: int,
    valid_months: int | None,
    by: str | None,
    on: datetime | None,
) -> None:
    """Record a training of PERSON_ID on SKILL (replaces their current one)."""
    grants.grant(db, person_id, skill_slug, level=level, valid_months=valid_months, by=by,
                 on=on.date() if on else None, actor=actor)  # fmt: skip
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
