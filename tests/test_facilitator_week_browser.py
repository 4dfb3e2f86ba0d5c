"""In Debian's Chromium, against a served hub and a running station: what cannot be undone
asks first and does nothing until confirmed; a lost badge blocked from the pages is refused
at the machine within five seconds."""

from __future__ import annotations

import re
import time

from tests.browser import chromium
from tests.conftest import PASSWORD
from tests.servers import HubProcess
from tests.stations import station
from tests.test_browser import serious
from web.domain import badges, facilitators, grants, machines, people


def login(page, url: str) -> None:
    page.goto(f"{url}/connexion")
    page.get_by_label("Votre nom").fill("admin")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Entrer").click()
    page.wait_for_url("**/aujourdhui")


def test_what_cannot_be_undone_is_confirmed_first(tmp_path, db, db_path, fablab, residents):
    facilitators.add_facilitator(db, "admin", PASSWORD, role="admin", actor="test")
    sophie, nour = residents["sophie"], residents["nour"]
    old_token = fablab.tokens["laser"]
    with HubProcess(db_path, tmp_path / "hub.log") as hub, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="fr-FR")
        login(page, hub.url)

        # Jean's laser training expired, Nadia's lapsed: said so, and no credential offered.
        for who, state in (
            ("jean", "expirée (valable jusqu"),
            ("nadia", "arrêtée faute de pratique"),
        ):
            page.goto(f"{hub.url}/personnes/{residents[who]}")
            row = page.get_by_role("row").filter(has_text="Découpe laser")
            assert state in row.inner_text()
            assert row.get_by_role("link", name="Badge numérique").count() == 0

        # Revoke: the first click shows what will happen; "Annuler" changes nothing.
        page.goto(f"{hub.url}/personnes/{sophie}")
        row = page.get_by_role("row").filter(has_text="Découpe laser")
        row.get_by_label("Raison").fill("Usage dangereux")
        row.get_by_role("button", name="Retirer…").click()
        page.get_by_role("heading", name=re.compile("Retirer cette formation")).wait_for()
        assert page.get_by_text("Impossible à annuler").is_visible()
        assert serious(page) == []
        page.get_by_role("link", name="Annuler, ne rien changer").click()
        assert grants.history(db, sophie)[0]["status"] == "active"
        row = page.get_by_role("row").filter(has_text="Découpe laser")
        row.get_by_label("Raison").fill("Usage dangereux")
        row.get_by_role("button", name="Retirer…").click()
        page.get_by_role("button", name="Retirer la formation").click()
        page.get_by_text("C'est fait.").wait_for()
        assert grants.history(db, sophie)[0]["status"] == "revoked"

        # Rotate a station's token: what to do at the station is said before.
        page.goto(f"{hub.url}/machines")
        page.get_by_role("row").filter(has_text="laser").get_by_role(
            "button", name="Nouveau jeton…").click()  # fmt: skip
        page.get_by_text("sudo systemctl restart fablab-kiosk").wait_for()
        assert machines.machine_for_token(db, old_token) is not None
        page.get_by_role("button", name="Créer un nouveau jeton").click()
        page.get_by_text(re.compile("Nouveau jeton de la station")).wait_for()
        assert machines.machine_for_token(db, old_token) is None

        # Erase: only after the confirmation page.
        page.goto(f"{hub.url}/personnes/{nour}")
        page.get_by_role("button", name="Effacer ses données…").click()
        page.get_by_role("heading", name=re.compile("Effacer les données de Nour")).wait_for()
        assert people.exists(db, nour)
        page.get_by_role("button", name="Effacer pour de bon").click()
        page.get_by_text("Les données de cette personne sont effacées.").wait_for()
        assert not people.exists(db, nour)


def test_a_badge_blocked_from_the_pages_is_refused_at_the_machine_within_5_s(
    tmp_path, db, db_path, fablab, residents
):
    facilitators.add_facilitator(db, "admin", PASSWORD, role="admin", actor="test")
    sophie = residents["sophie"]
    with HubProcess(db_path, tmp_path / "hub.log") as hub, chromium() as browser:
        kiosk = station(tmp_path, hub.url, fablab).start().ready()
        try:
            assert kiosk.decide("CAFEF00D") == "granted"
            assert kiosk.decide("CAFEF00D") == "granted"  # she badges out
            page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="fr-FR")
            login(page, hub.url)
            page.goto(f"{hub.url}/personnes/{sophie}")
            page.get_by_role("button", name="Bloquer : perdu").click()
            page.get_by_role("heading", name=re.compile("Bloquer le badge CAFEF00D")).wait_for()
            assert badges.owner_of(db, "CAFEF00D") is not None  # not yet
            assert serious(page) == []
            page.get_by_role("button", name="Bloquer ce badge").click()
            blocked = time.monotonic()
            page.get_by_text("Badge bloqué.").wait_for()
            kiosk.wait_for(r"access list \S+: \d+ badges", timeout=5)
            assert time.monotonic() - blocked < 5
            assert kiosk.decide("CAFEF00D") == "denied:unknown_badge"
            assert "(perdu)" in page.content()
        finally:
            assert kiosk.stop() == 0
