"""Fixtures: a fresh migrated hub database per test (a copy of one migrated once per run: the
migrations' fsyncs took most of an in-process test's time), the app over it, and a small
fablab."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlite_utils import Database

from tests.servers import served_hub
from web.app import create_app
from web.db import open_database
from web.domain import badges, grants, machines, people, skills
from web.migrations import migrate

ACTOR = "test"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under `make mutation` (mutmut names the mutant in MUTANT_UNDER_TEST), the fastest
    tests first: a mutant is killed at its first failing test (-x), and mutmut's forkserver
    hands the tests over unordered. Its timings are in the working directory, mutants/."""
    stats = Path("mutmut-stats.json")
    if not os.environ.get("MUTANT_UNDER_TEST") or not stats.exists():
        return
    durations = json.loads(stats.read_text(encoding="utf-8")).get("duration_by_test", {})
    items.sort(key=lambda item: durations.get(item.nodeid, 0.0))


@pytest.fixture(scope="session", autouse=True)
def hub_secrets(tmp_path_factory) -> Iterator[Path]:
    """One secrets file for the run's hubs (made by the first `init`), as /etc/fablab's would
    be; child processes (served hubs, commands) read it through the environment too."""
    from web import secrets

    path = tmp_path_factory.mktemp("secrets") / "secrets.toml"
    os.environ["FABLAB_SECRETS"] = str(path)
    secrets.use(None)
    yield path
    os.environ.pop("FABLAB_SECRETS", None)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "hub.db"


@pytest.fixture(scope="session")
def migrated(tmp_path_factory, hub_secrets) -> Path:
    """A hub database migrated once, closed cleanly (nothing left in its write-ahead log)."""
    path = tmp_path_factory.mktemp("migrated") / "hub.db"
    database = open_database(path)
    migrate(database)
    database.close()
    return path


@pytest.fixture
def db(db_path: Path, migrated: Path) -> Iterator[Database]:
    shutil.copyfile(migrated, db_path)
    database = open_database(db_path)
    assert migrate(database) == []
    yield database
    database.close()


@pytest.fixture
def app(db: Database, db_path: Path) -> Flask:
    return create_app({"DATABASE": str(db_path), "TESTING": True, "REVISION_POLL_SECONDS": 0.02})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@dataclass
class Fablab:
    """A laser and a sewing machine, and helpers to add people at any level."""

    db: Database
    tokens: dict[str, str] = field(default_factory=dict)

    def person(self, name: str, uid: str | None = None, **levels: int) -> str:
        person_id = people.add_person(self.db, name, actor=ACTOR)
        if uid:
            badges.assign_badge(self.db, person_id, uid, actor=ACTOR)
        for skill, level in levels.items():
            grant_id = grants.grant(
                self.db, person_id, skill.replace("_", "-"), level=level, actor=ACTOR
            )
            # Recorded long ago, so sessions the tests date in the past fit the training.
            self.db.execute(
                "UPDATE grant_changes SET at = '2020-01-01T00:00:00.000Z' WHERE grant_id = ?",
                [grant_id],
            )
        return person_id

    def auth(self, machine: str = "laser") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[machine]}"}


@pytest.fixture
def fablab(db: Database) -> Fablab:
    skills.add_skill(
        db, "decoupe-laser", name_fr="Découpe laser", rome_codes=["H2905"], actor=ACTOR
    )
    skills.add_skill(db, "couture", name_fr="Couture", actor=ACTOR)
    lab = Fablab(db)
    lab.tokens["laser"] = machines.add_machine(
        db, "laser", kind="laser", skill="decoupe-laser", actor=ACTOR
    )
    lab.tokens["couture"] = machines.add_machine(
        db, "couture", kind="sewing", skill="couture", actor=ACTOR
    )
    return lab


def event(type_: str, at: datetime | str | None = None, **fields: Any) -> dict[str, Any]:
    """A station event as a station would send it."""
    if at is None:
        at = datetime.now(UTC)
    return {
        "id": str(uuid.uuid4()),
        "type": type_,
        "at": at if isinstance(at, str) else at.isoformat(),
        **fields,
    }


@pytest.fixture(scope="session")
def octoprint_server(tmp_path_factory):
    """One real OctoPrint for the whole run (it takes a few seconds to start)."""
    from demo.octoprint import OctoPrintServer

    server = OctoPrintServer(tmp_path_factory.mktemp("octoprint"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def octoprint(octoprint_server):
    """The server with its virtual printer connected and idle, whatever the last test did."""
    server = octoprint_server
    if server.process is None:
        server.start()
    if server.state() in ("Printing", "Paused", "Pausing", "Cancelling"):
        server.api("POST", "/api/job", json={"command": "cancel"})
        server.wait_for_state("Operational", "Offline", "Error")
    if server.state() != "Operational":
        server.connect_printer()
    return server


PASSWORD = "un-mot-de-passe-long"


def csrf(response) -> str:
    """The CSRF token of a rendered form."""
    import re

    page = response.get_data(as_text=True)
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)


@pytest.fixture
def claire(db):
    from web.domain import facilitators

    facilitators.add_facilitator(db, "claire", PASSWORD, role="admin", actor="test")
    return "claire"


@pytest.fixture
def logged_in(client, claire):
    page = client.get("/connexion")
    response = client.post(
        "/connexion", data={"name": claire, "password": PASSWORD, "csrf_token": csrf(page)}
    )
    assert response.status_code == 302
    return client


# --- a served hub and residents for station tests ---------------------------------------


@pytest.fixture
def hub(tmp_path, db, fablab):
    """The fablab fixture's hub, served: yields (url, fablab, db)."""
    with served_hub(tmp_path / "hub.db", tmp_path / "hub.log") as url:
        yield url, fablab, db


@pytest.fixture
def residents(fablab, db):
    """People at every level on the laser, with their badges: Lucas is trained on sewing only
    (unknown at the laser), Nour's laser training is suspended (known there, not trained)."""
    ids = {
        "amina": fablab.person("Amina Benali", "04A1B2C3D4E5F6", decoupe_laser=3),
        "karim": fablab.person("Karim Diallo", "DEADBEEF", decoupe_laser=1),
        "sophie": fablab.person("Sophie Martin", "CAFEF00D", decoupe_laser=2),
        "lucas": fablab.person("Lucas Petit", "8899AABB", couture=2),
    }
    jean = people.add_person(db, "Jean Dupont", actor=ACTOR)

    badges.assign_badge(db, jean, "12345678", actor=ACTOR)
    grants.grant(
        db, jean, "decoupe-laser", level=2, valid_months=1, on=date(2024, 1, 10), actor=ACTOR
    )
    nadia = people.add_person(db, "Nadia Haddad", actor=ACTOR)
    badges.assign_badge(db, nadia, "11223344", actor=ACTOR)
    grants.grant(db, nadia, "decoupe-laser", level=2, valid_months=60,
                 on=date.today().replace(year=date.today().year - 1), actor=ACTOR)  # fmt: skip
    nour = fablab.person("Nour Saleh", "55667788", decoupe_laser=2)
    grants.suspend(db, nour, "decoupe-laser", reason="à revoir", actor=ACTOR)
    ids.update(jean=jean, nadia=nadia, nour=nour)
    return ids


@pytest.fixture
def fablab_at(tmp_path, db, fablab, residents):
    """A hub (served, stoppable) and a browser; `station(**options)` opens the laser's, with
    its screen and its simulated pins' panel (tests.at_machine.Station)."""
    from tests.at_machine import Station
    from tests.browser import chromium
    from tests.servers import HubProcess
    from web.domain import settings

    settings.set_value(db, "contact_name", "Claire", actor="test")
    hub = HubProcess(tmp_path / "hub.db", tmp_path / "hub.log").start()
    opened: list[Station] = []
    with chromium() as browser:

        def station(**options) -> Station:
            opened.append(Station(tmp_path, hub, fablab.tokens["laser"], browser, **options))
            return opened[-1]

        try:
            yield hub, station, browser
        finally:
            for each in opened:
                each.close()
            hub.stop()


@pytest.fixture
def claire_at(db, claire):
    """A browser page logged in as Claire, the facilitator."""

    def login(browser, url):
        page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="fr-FR")
        page.goto(f"{url}/connexion")
        page.get_by_label("Votre nom").fill(claire)
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Entrer").click()
        page.wait_for_url("**/aujourdhui")
        return page

    return login
