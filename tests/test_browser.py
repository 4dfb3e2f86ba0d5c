"""The facilitator's day in a real browser, against a served hub and a real station process."""

import os
import re
import time
from pathlib import Path

import pytest

from tests.browser import chromium
from tests.servers import served_hub
from tests.stations import KioskProcess
from web.domain import badges, facilitators

PASSWORD = "mot-de-passe-de-test"
SHOTS = (
    Path(os.environ.get("FABLAB_SCREENSHOTS", "")) if os.environ.get("FABLAB_SCREENSHOTS") else None
)


@pytest.fixture
def site(tmp_path, db, fablab):
    facilitators.add_facilitator(db, "claire", PASSWORD, actor="test")
    with served_hub(tmp_path / "hub.db", tmp_path / "hub.log") as url, chromium() as browser:
        yield url, fablab, db, browser


def serious(page):
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        (v["id"], v["impact"], v["help"])
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def shoot(page, name):
    if SHOTS is None:
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1280, 800), (800, 480)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SHOTS / f"{name}-{width}x{height}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def test_a_facilitators_day(tmp_path, site):
    url, fablab, db, browser = site
    kiosk = KioskProcess(tmp_path / "kiosk", url, fablab.tokens["laser"]).start().ready()
    page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="fr-FR")
    try:
        page.goto(f"{url}/aujourdhui")
        assert "/connexion" in page.url
        assert serious(page) == []
        shoot(page, "login")
        page.get_by_label("Votre nom").fill("claire")
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Entrer").click()
        page.wait_for_url(re.compile(r"/aujourdhui$"))

        # Register a person; a half-filled form first.
        page.get_by_role("link", name="Personnes").click()
        page.get_by_role("link", name="Inscrire une personne").click()
        page.get_by_role("button", name="Inscrire").click()
        assert page.get_by_text("Ce champ est obligatoire.").is_visible()
        assert serious(page) == []
        page.get_by_label("Nom affiché").fill("Fatou N.")
        page.get_by_label("Tranche d'âge").select_option("26_44")
        page.get_by_role("button", name="Inscrire").click()
        page.wait_for_url(re.compile(r"/personnes/[0-9A-Z]{8}$"))
        person_id = page.url.rsplit("/", 1)[1]
        assert page.get_by_text("Fatou N. est inscrit·e.").is_visible()

        # Enrol a badge through a tap at the laser's station.
        page.get_by_role("button", name="Badger maintenant").click()
        page.get_by_text("Posez le badge").wait_for()
        assert kiosk.decide("0F1E2D3C") == "denied:unknown_badge"
        page.get_by_text("0F1E2D3C").wait_for(timeout=15000)
        assert badges.owner_of(db, "0F1E2D3C")["person_id"] == person_id

        # Record a training; the station learns about it within seconds.
        page.get_by_label("Machine / compétence").select_option("decoupe-laser")
        page.get_by_label("2 · Autonome").check()
        page.get_by_label("Formé·e par").fill("Claire")
        page.get_by_role("button", name="Enregistrer la formation").click()
        page.get_by_text("Formation enregistrée.").wait_for()
        assert serious(page) == []
        shoot(page, "person")
        kiosk.wait_for(r"access list \S+: \d+ badges")
        assert kiosk.decide("0F1E2D3C") == "granted"

        # The Today page shows the laser in use, by Fatou.
        deadline = time.monotonic() + 20
        while True:
            page.goto(f"{url}/aujourdhui")
            if page.locator(".status-in_use").count():
                break
            assert time.monotonic() < deadline, "the Today page never showed the session"
            time.sleep(0.5)
        # The machines' section is redrawn live: wait for it to show her, not a single look.
        page.locator(".status-in_use").get_by_text("Fatou N.").wait_for(timeout=10000)
        assert serious(page) == []
        shoot(page, "today")
        for path in (f"/personnes/{person_id}/parcours", "/export", "/personnes", "/machines",
                     "/competences", "/competences/decoupe-laser",
                     "/tableau", "/badges/verifier", "/accessibilite",
                     "/donnees-personnelles"):  # fmt: skip
            page.goto(f"{url}{path}")
            assert serious(page) == [], path
            shoot(page, path.strip("/").replace("/", "-"))
    finally:
        kiosk.stop()
        page.close()


def test_the_pages_work_with_a_keyboard_alone(site):
    url, _, _, browser = site
    page = browser.new_page()
    page.goto(f"{url}/connexion")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.textContent").strip() == "Aller au contenu"
    page.get_by_label("Votre nom").focus()
    page.keyboard.type("claire")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/aujourdhui$"))
    page.close()
