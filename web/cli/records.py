"""Facilitator accounts, the partners' export, retention and the sessions' list."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click
from sqlite_utils import Database

from common.clock import to_iso
from web.cli.base import main, with_db
from web.domain import sessions
from web.domain.errors import NotFound

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
@click.option(
    "--admin", is_flag=True, help="An administrator: erasure, station tokens, accounts, machines."
)
@with_db
def facilitator_add(
    db: Database, actor: str, name: str, password: str, person_id: str | None, admin: bool
) -> None:
    """Create a facilitator account."""
    from web.domain.facilitators import add_facilitator

    role = "admin" if admin else "facilitator"
    add_facilitator(db, name, password, person_id=person_id, role=role, actor=actor)
    click.echo(f"{'Administrator' if admin else 'Facilitator'} {name} can now log in.")


@facilitator.command("disable")
@click.argument("name")
@with_db
def facilitator_disable(db: Database, actor: str, name: str) -> None:
    """Stop the account NAME from logging in, and end the logins it has open."""
    from web.domain.facilitators import disable

    disable(db, name, actor=actor)
    click.echo(f"{name} can no longer log in; their open logins have ended.")


@facilitator.command("passwd")
@click.argument("name")
@click.option(
    "--password",
    prompt="New password",
    hide_input=True,
    confirmation_prompt=True,
    help="The new password (asked for when not given; at least 10 characters).",
)
@with_db
def facilitator_passwd(db: Database, actor: str, name: str, password: str) -> None:
    """Give NAME a new password; every login made with the old one ends."""
    from web.domain.facilitators import set_password

    set_password(db, name, password, actor=actor)
    click.echo(f"New password for {name}; their other logins have ended.")


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
@click.option(
    "--partner",
    "partner_slug",
    help="One partner agreement (`fablab-hub partner list`); default: the summary for all, "
    "and each current partner's own files.",
)
@with_db
def export_weekly(
    db: Database, actor: str, week: str | None, out_dir: str, partner_slug: str | None
) -> None:
    """Write the week's summary, and each partner's pseudonymised rows (people who agreed
    only): CSV for French spreadsheets, XLSX, and a text that explains them."""
    from web.domain import audit, partners
    from web.domain.export import Week, build
    from web.domain.export_files import write

    try:
        chosen = Week.parse(week) if week else Week.last_complete()
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--week") from None
    if partner_slug:
        try:
            targets = [partners.get(db, partner_slug)]
        except NotFound:
            raise click.BadParameter(f"no partner {partner_slug}", param_hint="--partner") from None
    else:
        targets = [None, *partners.current(db)]
    for partner in targets:
        for path in write(build(db, chosen, partner), Path(out_dir)):
            click.echo(path)
        audit.record(db, actor, "export.weekly", chosen.label,
                     partner=partner["slug"] if partner else None)  # fmt: skip


@main.group("partner")
def partner_group() -> None:
    """The partner agreements the weekly export is written for."""


@partner_group.command("add")
@click.argument("slug")
@click.argument("name")
@with_db
def partner_add(db: Database, actor: str, slug: str, name: str) -> None:
    """Add a partner: SLUG names its files (mission-locale), NAME is shown ("Mission Locale")."""
    from web.domain import partners

    partners.add(db, slug, name, actor=actor)
    click.echo(f"Partner {slug} added: its files carry its own pseudonyms.")


@partner_group.command("list")
@with_db
def partner_list(db: Database, actor: str) -> None:
    """The current partner agreements."""
    from web.domain import partners

    for partner in partners.current(db):
        click.echo(f"{partner['slug']}\t{partner['name']}\tsince {partner['created_at'][:10]}")


@partner_group.command("end")
@click.argument("slug")
@with_db
def partner_end(db: Database, actor: str, slug: str) -> None:
    """End an agreement: no more files for it."""
    from web.domain import partners

    partners.end(db, slug, actor=actor)
    click.echo(f"Partner {slug} ended.")


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
