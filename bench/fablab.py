"""A populated hub for the benchmarks: skills, relay machines, people with badges and
random trainings; and a facilitator's logged-in test client."""

from __future__ import annotations

import random
import re
from pathlib import Path

from flask.testing import FlaskClient
from sqlite_utils import Database

from web.app import create_app
from web.domain import badges, facilitators, grants, machines, people, skills

SKILLS = ("decoupe-laser", "couture", "impression-3d")
FACILITATOR = ("claire", "mot-de-passe-bench")


def populate(
    db: Database, *, people_count: int, machine_count: int, rng: random.Random, uid_base: int
) -> tuple[dict[str, str], list[str]]:
    """Machines (name → token) and people's ids; call inside `writing(db)` for speed."""
    for slug in SKILLS:
        skills.add_skill(db, slug, name_fr=slug, actor="bench")
    tokens = {
        f"machine-{n:02d}": machines.add_machine(
            db, f"machine-{n:02d}", kind="relay", skill=SKILLS[n % 3], actor="bench"
        )
        for n in range(machine_count)
    }
    ids = []
    for n in range(people_count):
        person = people.add_person(db, f"Personne {n}", actor="bench")
        badges.assign_badge(db, person, f"{uid_base + n:08X}", actor="bench")
        for slug in rng.sample(SKILLS, rng.randint(0, 3)):
            grants.grant(db, person, slug, level=rng.randint(1, 3), actor="bench")
        ids.append(person)
    facilitators.add_facilitator(db, *FACILITATOR, role="admin", actor="bench")
    return tokens, ids


def logged_in(path: Path) -> FlaskClient:
    """The hub's pages as the facilitator sees them (server time only, no HTTP)."""
    client = create_app({"DATABASE": str(path)}).test_client()
    page = client.get("/connexion").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    name, password = FACILITATOR
    client.post("/connexion", data={"name": name, "password": password, "csrf_token": token})
    return client
