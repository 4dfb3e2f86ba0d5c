"""At the machine, the printer's side and the facilitator's: absence never cancels a print;
the checklist written on the skill's page, a report answered from the Today page, the
presence check set on the Machines page, what a session confirmed on the person's page."""

from __future__ import annotations

import json

from tests.at_machine import ACTOR
from tests.browser import chromium
from tests.screens import StationPage, screen_station
from tests.stations import wait_until
from tests.test_browser import serious
from web.domain import at_machine, machines, sessions


def test_absence_at_a_printer_never_cancels_its_print(tmp_path, hub, residents, octoprint):
    """The presence check on a printer (its settings ask for one): nobody answers, the session
    ends `absent`, and the print goes on to its end."""
    from demo.octoprint import slow_gcode
    from web.domain import skills

    url, fablab, db = hub
    skills.add_skill(db, "impression-3d", name_fr="Impression 3D", actor=ACTOR)
    token = machines.add_machine(db, "imprimante", kind="printer", skill="impression-3d",
                                 actor=ACTOR)  # fmt: skip
    db.execute("""UPDATE machines SET settings = '{"presence_minutes": 0.05,
                  "presence_grace_seconds": 3}' WHERE name = 'imprimante'""")
    fablab.person("Fatou Ndiaye", "0A0B0C0D", impression_3d=2)
    octoprint.upload("vase.gcode", slow_gcode(12))
    kiosk = screen_station(tmp_path / "printer", url, token,
                           machine=f'kind = "printer"\nurl = "{octoprint.url}"\n'
                                   f'api_key = "{octoprint.api_key}"\n')  # fmt: skip
    kiosk.start().ready()
    with chromium() as browser:
        page = StationPage(browser, kiosk.screen_url)
        try:
            kiosk.tap("0A0B0C0D")
            kiosk.wait_for(r"machine unlocked for session")
            octoprint.print_file("vase.gcode")
            kiosk.wait_for(r"print job started")
            page.shows("presence", timeout=10)
            ending = page.shows("print_continues", timeout=15)
            assert ending["sentence"] == "Votre impression continue."
            assert octoprint.state().startswith("Printing")
            kiosk.wait_for(r"print job done", timeout=40)
        finally:
            page.close()
            assert kiosk.stop() == 0
    wait_until(lambda: [r["end_reason"] for r in sessions.list_sessions(db)] == ["absent"],
               what="the session at the hub")  # fmt: skip
    jobs = [json.loads(r["data"])["state"] for r in db.query(
        "SELECT data FROM events WHERE type = 'job' ORDER BY at")]  # fmt: skip
    assert jobs[0] == "started" and jobs[-1] == "done" and "cancelled" not in jobs


# --- the facilitator's side ------------------------------------------------------------------


def test_the_facilitator_writes_a_checklist_and_answers_reports(fablab_at, db, residents,
                                                                 claire_at):  # fmt: skip
    """In the browser: the skill's checklist (a half-filled form first), a presence check,
    and a report answered by putting the machine out of service; every page passes axe."""
    hub, open_station, browser = fablab_at
    page = claire_at(browser, hub.url)
    page.goto(f"{hub.url}/competences/decoupe-laser")
    page.get_by_label("Secondes pour tout confirmer").fill("5")
    page.get_by_role("button", name="Enregistrer les consignes").click()
    assert page.get_by_text("De 10 à 600 secondes.").is_visible()
    assert serious(page) == []
    page.get_by_label("Secondes pour tout confirmer").fill("60")
    first = page.get_by_role("group", name="Consigne 1")
    first.get_by_label("Pictogramme").select_option("wind")
    first.get_by_label("Consigne en français").fill("L'aspiration est allumée.")
    first.get_by_text("Traductions").click()
    first.get_by_label("En arabe (facultatif)").fill("الشفط يعمل.")
    page.get_by_role("button", name="Enregistrer les consignes").click()
    page.get_by_text("Consignes enregistrées.").wait_for()
    assert at_machine.checklist(db, 1) == [
        {"icon": "wind", "text": {"fr": "L'aspiration est allumée.", "ar": "الشفط يعمل."}}
    ]
    assert serious(page) == []
    # The station follows: an autonomous person confirms it before the machine opens.
    laser = open_station()
    assert laser.tap("CAFEF00D") == "granted (tap_granted)"
    assert laser.page.shows("checklist")["sentence"] == "L'aspiration est allumée."
    laser.touch("C'est fait")
    laser.page.shows("granted")
    # A report at the machine, answered from the Today page.
    laser.touch("Signaler un problème")
    laser.touch("Sale")
    laser.page.shows("report_sent")
    page.goto(f"{hub.url}/aujourdhui")
    page.get_by_text("Problèmes signalés aux machines").wait_for(timeout=10_000)
    assert page.get_by_text("sale", exact=False).first.is_visible()
    assert serious(page) == []
    page.get_by_role("button", name="Mettre la machine hors service").click()
    page.get_by_text("La machine est hors service.").wait_for()
    assert machines.get_machine(db, "laser")["out_of_service"] == 1
    countdown = laser.page.shows("countdown", timeout=10)  # "now" by default: announced
    assert countdown["sentence"] == "Claire met la machine hors service."
    # The presence check of a machine, from the machines page.
    page.goto(f"{hub.url}/machines")
    laser_row = page.get_by_role("row").filter(has_text="laser")
    assert laser_row.get_by_label("« Vous êtes là ? »").input_value() == "10"  # its kind's
    assert serious(page) == []
    laser_row.get_by_label("« Vous êtes là ? »").fill("15")
    laser_row.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("Réglage enregistré.").wait_for()
    assert machines.presence_minutes(machines.get_machine(db, "laser")) == 15
    # What Sophie confirmed before her session, on her page.
    page.goto(f"{hub.url}/personnes/{residents['sophie']}")
    page.get_by_text("consignes confirmées en").click()
    page.get_by_text("L'aspiration est allumée. (").wait_for()
    assert serious(page) == []
