"""What a resident sees and hears at the machine: a real `fablab-kiosk run` against a real hub,
its screen in Debian's Chromium, one screen per state and per decision, in their language."""

from __future__ import annotations

import re

import pytest

from tests.browser import chromium
from tests.screens import StationPage, screen_station, wait_for_file
from tests.servers import HubProcess
from tests.stations import KioskProcess
from tests.test_browser import serious
from web.domain import machines, people, settings

ACTOR = "test"


@pytest.fixture
def laser(tmp_path, db, fablab, residents):
    """The laser, named as people read it, its station with a screen, and a browser on it."""
    db.execute("UPDATE machines SET display_name = 'Laser Trotec' WHERE name = 'laser'")
    settings.set_value(db, "contact_name", "Claire", actor=ACTOR)
    people.set_language(db, residents["amina"], "ar", actor=ACTOR)
    people.set_language(db, residents["sophie"], "en", actor=ACTOR)
    hub = HubProcess(tmp_path / "hub.db", tmp_path / "hub.log").start()
    kiosk = screen_station(tmp_path / "kiosk", hub.url, fablab.tokens["laser"],
                           supervisor_window_seconds=30)  # fmt: skip
    kiosk.start().ready()
    with chromium() as browser:
        page = StationPage(browser, kiosk.screen_url)
        try:
            yield hub, kiosk, page, browser
        finally:
            page.close()
            assert kiosk.stop() == 0
            hub.stop()


def tap(kiosk, uid):
    kiosk.tap(uid)
    return kiosk.wait_for(r"decision (\S+)").group(1)


def test_every_refusal_has_its_own_screen_and_says_what_to_do(laser, db):
    _hub, kiosk, page, _ = laser
    idle = page.shows("idle")
    assert idle["machine"] == "Laser Trotec" and idle["title"] == "Posez votre badge ici."
    assert "Claire" in idle["next"] and idle["smallest"] >= 32
    page.shoot("idle")
    assert serious(page.page) == []
    seen = {}
    for uid, code in (("CAFEBABE", "unknown_badge"), ("55667788", "not_trained"),
                      ("12345678", "expired"), ("11223344", "lapsed")):  # fmt: skip
        assert tap(kiosk, uid) == f"denied:{code}"
        seen[code] = page.shows(code)
        page.shoot(f"refused-{code}")
        assert serious(page.page) == [], code
    assert (
        seen["unknown_badge"]["next"]
        == "Pour apprendre à l'utiliser, allez voir Claire à l'accueil."
    )
    assert "« Découpe laser »" in seen["not_trained"]["sentence"]
    assert seen["not_trained"]["next"] == "Demandez cette formation à Claire."
    # Someone works; a Découverte badge is refused: the machine is busy.
    assert tap(kiosk, "CAFEF00D") == "granted"
    page.shows("granted")
    assert tap(kiosk, "DEADBEEF") == "needs_supervisor"  # her decision; the machine is taken
    seen["machine_busy"] = page.shows("machine_busy")
    page.shoot("refused-machine_busy")
    assert page.shows("granted", timeout=15)["lang"] == "en"  # back to Sophie's screen
    assert tap(kiosk, "CAFEF00D") == "granted"  # she badges out
    page.shows("goodbye")
    machines.set_out_of_service(db, "laser", "Lentille cassée", actor=ACTOR)
    kiosk.wait_for("access list")
    out = page.shows("out_of_service")
    assert out["sentence"] == "Lentille cassée"
    page.shoot("out-of-service")
    assert tap(kiosk, "8899AABB") == "denied:out_of_service"
    seen["out_of_service"] = page.shows("out_of_service")
    for code, shown in seen.items():
        assert shown["tone"] == "stop", code
        assert shown["alt"] == shown["title"] and shown["alt"], code  # the pictogram's words
    pictograms = {shown["pictogram"] for shown in seen.values()}
    titles = {shown["title"] for shown in seen.values()}
    assert len(pictograms) == len(titles) == len(seen) == 6


def test_a_session_in_the_residents_language_with_its_timer_then_goodbye(laser, db):
    _hub, kiosk, page, _ = laser
    page.shows("idle")
    assert tap(kiosk, "04A1B2C3D4E5F6") == "granted"  # Amina reads Arabic
    shown = page.shows("granted")
    assert (shown["lang"], shown["dir"]) == ("ar", "rtl")
    assert shown["title"] == "مرحبًا Amina!" and shown["tone"] == "ok"
    assert re.search(r"منذ 0:0\d · الوقت المتبقي (4:00:00|3:59:\d\d)", shown["clock"])
    page.shoot("granted-ar")
    assert serious(page.page) == []
    assert tap(kiosk, "04A1B2C3D4E5F6") == "granted"  # badge out
    goodbye = page.shows("goodbye")
    assert goodbye["title"] == "إلى اللقاء Amina!" and "عملت" in goodbye["sentence"]
    page.shoot("goodbye-ar")
    assert page.shows("idle", timeout=15)["lang"] == "fr"  # then the machine waits again
    wait_for_file(kiosk.played, 2)  # welcome and goodbye were spoken


def test_a_decouverte_waits_for_a_referent_with_a_countdown(laser):
    _hub, kiosk, page, _ = laser
    page.shows("idle")
    assert tap(kiosk, "DEADBEEF") == "needs_supervisor"
    waiting = page.shows("needs_supervisor")
    assert waiting["tone"] == "wait" and waiting["title"] == "Bonjour Karim !"
    assert waiting["next"] == "Le référent pose son badge ici." and waiting["clock"]
    page.shoot("awaiting-supervisor")
    assert tap(kiosk, "04A1B2C3D4E5F6") == "granted"  # Amina, référente, comes
    supervised = page.shows("supervised")
    assert supervised["sentence"] == "Votre référent est avec vous."
    assert supervised["lang"] == "fr"  # Karim's screen, not Amina's language
    page.shoot("supervised")


def test_the_hub_going_away_shows_discreetly_and_changes_nothing(laser):
    hub, kiosk, page, _ = laser
    assert not page.shows("idle")["offline"]
    hub.stop()
    page.page.wait_for_selector("#offline:not([hidden])", timeout=15_000)
    page.shoot("idle-offline")
    assert tap(kiosk, "CAFEBABE") == "denied:unknown_badge"
    assert page.shows("unknown_badge")["offline"]
    hub.start()
    page.page.wait_for_selector("#offline[hidden]", state="attached", timeout=30_000)


def test_a_closed_browser_changes_no_decision_and_a_new_one_sees_the_state(laser):
    _hub, kiosk, page, browser = laser
    page.shows("idle")
    page.close()
    assert tap(kiosk, "CAFEF00D") == "granted"
    kiosk.wait_for("machine unlocked")
    again = StationPage(browser, kiosk.screen_url, size="portrait")
    try:
        shown = again.shows("granted")
        assert shown["title"] == "Hello Sophie!" and shown["smallest"] >= 32
        again.shoot("granted-en")
    finally:
        again.close()


def test_a_screen_that_cannot_be_served_leaves_the_station_deciding(tmp_path, hub, residents):
    import socket

    url, fablab, _ = hub
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        kiosk = KioskProcess(tmp_path / "kiosk", url, fablab.tokens["laser"],
                             extra=f"[screen]\nport = {port}\n")  # fmt: skip
        kiosk.start().ready()
        try:
            assert tap(kiosk, "CAFEF00D") == "granted"
            kiosk.wait_for("machine unlocked")
        finally:
            assert kiosk.stop() == 0
    assert any(f"screen: cannot serve on port {port}" in line for line in kiosk.log)


def test_the_warning_before_the_end_and_the_machine_that_cannot_start(tmp_path, hub, residents):
    """A session's maximum near, then reached; a laser whose extraction is off (its permit
    input stays low on the simulated pins) refuses to start and says what to check."""
    url, fablab, _ = hub
    laser = 'kind = "laser"\npin = 17\nbeam_pin = 27\nextractor_pin = 22\npin_factory = "mock"\n'
    short = screen_station(tmp_path / "short", url, fablab.tokens["laser"],
                           max_session_minutes=0.12, warning_minutes=0.08)  # fmt: skip
    blocked = screen_station(tmp_path / "blocked", url, fablab.tokens["couture"], machine=laser)
    with chromium() as browser:
        short.start().ready()
        page = StationPage(browser, short.screen_url)
        try:
            page.shows("idle")
            assert tap(short, "CAFEF00D") == "granted"
            try:
                warning = page.shows("warning", timeout=15)
            except Exception:
                print("".join(short.log), "".join(short.screen))
                raise
            assert warning["title"] == "Bientôt la fin" and warning["tone"] == "wait"
            assert "La machine s'arrête dans" in warning["sentence"] and warning["clock"]
            page.shoot("warning")
            goodbye = page.shows("goodbye", timeout=15)
            assert goodbye["sentence"].startswith("Le temps maximum est passé.")
        finally:
            page.close()
            assert short.stop() == 0
        blocked.start().ready()
        page = StationPage(browser, blocked.screen_url)
        try:
            page.shows("idle")
            assert tap(blocked, "8899AABB") == "granted"  # Lucas, trained on sewing
            refused = page.shows("refused_by_machine")
            assert (
                refused["next"]
                == "Vérifiez : l'aspiration. Sinon, appelez l'animateur ou l'animatrice."
            )
            page.shoot("refused-by-machine")
        finally:
            page.close()
            assert blocked.stop() == 0


def test_a_machine_in_fault_says_so_and_whom_to_call(tmp_path, hub, residents):
    """A printer whose OctoPrint does not answer: the station is in fault, and says it."""
    from demo.octoprint import free_port

    url, _, db = hub
    token = machines.add_machine(db, "imprimante", kind="printer", skill="couture", actor=ACTOR)
    printer = f'kind = "printer"\nurl = "http://127.0.0.1:{free_port()}"\napi_key = "x"\n'
    kiosk = screen_station(tmp_path / "printer", url, token, machine=printer)
    kiosk.start().ready()
    with chromium() as browser:
        page = StationPage(browser, kiosk.screen_url)
        try:
            fault = page.shows("fault", timeout=20)
            assert fault["title"] == "Machine bloquée" and fault["tone"] == "stop"
            assert fault["next"].startswith("Appelez ")
            page.shoot("fault")
            assert tap(kiosk, "8899AABB") == "granted"  # decided as ever; the machine refuses
            assert page.shows("machine_fault")["title"] == "Machine bloquée"
        finally:
            page.close()
            assert kiosk.stop() == 0
