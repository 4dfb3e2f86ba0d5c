"""At the machine, beyond a tap: the safety checklist, the presence check, a call for the
facilitator, a problem report, a step validated by a référent, a second person's tap, a stop
asked by the facilitator. A real hub, a real `fablab-kiosk run` on simulated pins (read and
driven through their panel), and its screen in Debian's Chromium, touched as a resident would.
"""

from __future__ import annotations

import json
import time

import requests

from tests.at_machine import ACTOR, CHECKLIST, hub_rows
from tests.stations import wait_until
from tests.test_browser import serious
from web.domain import at_machine, grants, machines, sessions

# --- the checklist ------------------------------------------------------------------------------


def test_a_checklist_confirmed_item_by_item_then_the_relay_closes(fablab_at, db, residents):
    _hub, open_station, _ = fablab_at
    at_machine.set_checklist(db, "decoupe-laser", CHECKLIST, actor=ACTOR)
    laser = open_station()
    assert laser.tap("CAFEF00D") == "granted (tap_granted)"
    first = laser.page.shows("checklist")
    assert (
        first["title"] == "Avant de commencer" and first["sentence"] == "L'aspiration est allumée."
    )
    assert first["clock"], "the time left to confirm is shown"
    assert laser.page.page.inner_text("#step") == "1 / 2"
    assert laser.buttons() == ["C'est fait", "Annuler"]
    laser.page.shoot("checklist")
    assert laser.relay() == [0], "nothing unlocks before the last item"
    laser.touch("C'est fait")
    wait_until(lambda: laser.page.read()["sentence"].startswith("Je reste"), what="item 2")
    assert laser.relay() == [0]
    assert laser.tap("CAFEF00D") == "granted (touch_confirm)"  # the badge again confirms too
    laser.page.shows("granted")
    assert laser.relay() == [0, 1]
    laser.touch("J'ai fini")
    goodbye = laser.page.shows("goodbye")
    assert goodbye["title"] == "Au revoir Sophie !"
    assert laser.relay() == [0, 1, 0]
    wait_until(lambda: hub_rows(db, "SELECT * FROM sessions WHERE end_reason IS NOT NULL"),
               what="the session at the hub")  # fmt: skip
    (row,) = hub_rows(db, "SELECT * FROM sessions")
    assert row["end_reason"] == "finished"
    confirmed = json.loads(row["checklist"])
    assert [item["text"] for item in confirmed["items"]] == [i["text_fr"] for i in CHECKLIST]
    assert confirmed["seconds"] >= confirmed["items"][0]["seconds"] > 0


def test_a_checklist_left_unanswered_never_closes_the_relay(fablab_at, db, residents):
    _hub, open_station, _ = fablab_at
    at_machine.set_checklist(db, "decoupe-laser", CHECKLIST, actor=ACTOR)
    at_machine.set_skill_settings(db, "decoupe-laser", {"checklist_seconds": 3}, actor=ACTOR)
    laser = open_station()
    assert laser.tap("CAFEF00D") == "granted (tap_granted)"
    laser.page.shows("checklist")
    refused = laser.page.shows("checklist_timeout", timeout=10)
    assert "vérifications" in refused["sentence"]
    laser.page.shoot("checklist-timeout")
    assert laser.relay() == [0]
    wait_until(lambda: {"reason": "checklist_timeout", "person": residents["sophie"]}
               in [json.loads(r["data"]) for r in db.query("SELECT data FROM events")],
               what="the refusal at the hub")  # fmt: skip
    assert sessions.list_sessions(db) == []
    # A référent skips it (the skill's setting allows it).
    assert laser.tap("04A1B2C3D4E5F6") == "granted (tap_granted)"
    laser.page.shows("granted")
    assert laser.relay() == [0, 1]


# --- presence -----------------------------------------------------------------------------------


def test_a_presence_check_answered_then_left_unanswered_ends_a_laser_session(
    fablab_at, db, residents
):
    _hub, open_station, _ = fablab_at
    db.execute("""UPDATE machines SET settings = '{"presence_minutes": 0.05,
                  "presence_grace_seconds": 4}' WHERE name = 'laser'""")  # 3 s, then 4 s
    laser = open_station()
    assert laser.tap("CAFEF00D") == "granted (tap_granted)"
    laser.page.shows("granted")
    asked = laser.page.shows("presence", timeout=10)
    assert asked["title"] == "Vous êtes là ?" and asked["tone"] == "wait"
    laser.page.shoot("presence")
    laser.touch("Je suis là")
    laser.page.shows("granted")
    laser.page.shows("presence", timeout=10)
    # Nobody answers: red, then the buzzer, then the end.
    laser.page.page.wait_for_selector('body[data-urgency="2"][data-tone="stop"]', timeout=10_000)
    laser.page.shoot("presence-urgent")
    goodbye = laser.page.shows("goodbye", timeout=10)
    assert goodbye["sentence"].startswith("Personne n'a répondu")
    assert laser.relay() == [0, 1, 0]
    wait_until(lambda: [r["end_reason"] for r in sessions.list_sessions(db)] == ["absent"],
               what="the ending at the hub")  # fmt: skip


# --- calls and reports --------------------------------------------------------------------------


def test_a_call_reaches_the_today_page_within_two_seconds(fablab_at, db, residents, claire_at):
    hub, open_station, browser = fablab_at
    laser = open_station()
    today = claire_at(browser, hub.url)
    today.goto(f"{hub.url}/aujourdhui")
    today.get_by_text("Personne n'appelle.").wait_for()
    assert laser.tap("CAFEF00D") == "granted (tap_granted)"
    laser.page.shows("granted")
    touched = time.monotonic()
    laser.touch("Appeler Claire")
    # "Appel envoyé", then "Appel reçu" as soon as the hub has it (milliseconds apart here).
    laser.page.page.wait_for_selector('body[data-code^="call_"]')
    call = today.locator("#calls-list li").first
    call.wait_for(timeout=5000)
    assert time.monotonic() - touched < 2.0
    assert "Laser" in call.inner_text() or "laser" in call.inner_text()
    assert "Sophie Martin" in call.inner_text()
    assert serious(today) == []
    laser.page.shows("call_received")
    wall = browser.new_page()  # the wall screen at the entrance: no login, no name
    wall.goto(f"{hub.url}/tableau")
    wall.locator("#calls-list li").first.wait_for(timeout=5000)
    assert "Sophie" not in wall.inner_text("#calls")
    assert serious(wall) == []
    wall.close()
    call.get_by_role("button", name="Vu").click()
    today.get_by_text("Appel vu.").wait_for()
    seen = laser.page.shows("call_seen", timeout=10)
    assert seen["title"] == "Claire a vu votre appel"


def test_a_dangerous_report_puts_the_machine_out_of_service_with_the_hub_down(
    fablab_at, db, residents
):
    hub, open_station, _ = fablab_at
    laser = open_station()
    assert laser.tap("CAFEF00D") == "granted (tap_granted)"
    laser.page.shows("granted")
    hub.stop()
    laser.touch("Signaler un problème")
    laser.page.shows("report_choices")
    laser.page.shoot("report-choices")
    laser.touch("Dangereux")
    danger = laser.page.shows("report_danger")
    assert danger["tone"] == "stop"
    assert laser.relay() == [0, 1, 0], "the power went at once"
    # Under the danger screen (it stays a while to be read), the machine's own.
    after = requests.get(laser.kiosk.screen_url + "view.json", timeout=5).json()["after"]
    assert (after["code"], after["title"]) == ("out_of_service", "Machine en panne")
    laser.tap("CAFEF00D")  # her list says yes; the machine says no
    assert laser.page.shows("out_of_service")["sentence"] == "Signalée dangereuse à la machine"
    assert laser.relay() == [0, 1, 0]
    hub.start()
    wait_until(lambda: machines.get_machine(db, "laser")["out_of_service"] == 1, timeout=40,
               what="the hub hears the report")  # fmt: skip
    (report,) = at_machine.open_reports(db)
    assert report["category"] == "dangerous" and report["person"] == "Sophie Martin"
    assert [r["end_reason"] for r in sessions.list_sessions(db)] == ["danger"]
    wait_until(lambda: db.query("SELECT 1 FROM events WHERE type = 'denied' AND "
                                "data LIKE '%out_of_service%'"), what="the refusal")  # fmt: skip


# --- sign-off ------------------------------------------------------------------------------------


def test_a_step_validated_offline_counts_at_once_and_reaches_the_hub_once(fablab_at, db, residents):
    hub, open_station, _ = fablab_at
    laser = open_station()
    hub.stop()
    assert laser.tap("DEADBEEF") == "needs_supervisor (tap_needs_supervisor)"  # Karim
    assert laser.tap("04A1B2C3D4E5F6") == "granted (tap_supervisor)"  # Amina supervises
    laser.page.shows("supervised")
    assert laser.tap("04A1B2C3D4E5F6") == "granted (tap_signer)"  # and validates a step
    offer = laser.page.shows("sign_off_offer")
    assert "Passer au niveau Autonome" in laser.buttons()
    laser.page.shoot("sign-off-offer")
    laser.touch("Passer au niveau Autonome")
    done = laser.page.shows("sign_off_done")
    assert done["title"] == "Bravo Karim !" and "Autonome" in done["sentence"]
    assert offer["lang"] == "fr"
    assert laser.tap("DEADBEEF") == "granted (tap_holder)"  # Autonome now: he badges out...
    laser.page.shows("goodbye")
    assert laser.tap("DEADBEEF") == "granted (tap_granted)"  # ...and back, alone
    laser.page.shows("granted")
    hub.start()
    wait_until(lambda: grants.current_grant(db, residents["karim"], 1)["level"] == 2,
               timeout=40, what="the new level at the hub")  # fmt: skip
    rows = hub_rows(db, "SELECT level, granted_by FROM grants WHERE person_id = ? ORDER BY id",
                    residents["karim"])  # fmt: skip
    assert [row["level"] for row in rows] == [1, 2], "exactly once"
    assert rows[1]["granted_by"].startswith("Amina Benali (à la machine")


# --- someone else wants the machine ---------------------------------------------------------


def test_a_second_tap_on_a_working_laser_never_moves_the_relay(fablab_at, db, residents):
    _hub, open_station, _ = fablab_at
    laser = open_station()
    assert laser.tap("CAFEF00D") == "granted (tap_granted)"  # Sophie
    laser.page.shows("granted")
    laser.beam(True)
    laser.kiosk.wait_for("machine working")
    assert laser.tap("04A1B2C3D4E5F6") == "granted (tap_while_working)"  # Amina
    busy = laser.page.shows("machine_busy")
    assert "Sophie" in busy["sentence"]
    laser.page.shoot("busy-working")
    laser.page.shows("granted", timeout=15)
    laser.beam(False)
    laser.kiosk.wait_for("machine resting")
    assert laser.tap("04A1B2C3D4E5F6") == "granted (tap_signer)"
    laser.page.shows("sign_off_offer")
    laser.touch("Je veux la machine")
    offer = laser.page.shows("handover_offer")
    assert offer["title"] == "Amina veut la machine"
    laser.page.shoot("handover-offer")
    laser.touch("Je laisse la place")
    goodbye = laser.page.shows("goodbye")
    assert goodbye["title"] == "Au revoir Sophie !"
    laser.page.shows("granted", timeout=15)
    assert laser.relay() == [0, 1], "the power never went off, nor on twice"
    wait_until(
        lambda: (
            [(r["person"], r["end_reason"]) for r in sessions.list_sessions(db)]
            == [(residents["sophie"], "handover"), (residents["amina"], None)]
        ),
        what="both sessions",
    )


def test_a_stop_now_revocation_counts_down_then_opens_the_relay(fablab_at, db, residents):
    _hub, open_station, _ = fablab_at
    laser = open_station(stop_countdown_seconds=4)
    assert laser.tap("CAFEF00D") == "granted (tap_granted)"
    laser.page.shows("granted")
    grants.revoke(db, residents["sophie"], "decoupe-laser", reason="danger", stop_now=True,
                  actor=ACTOR)  # fmt: skip
    countdown = laser.page.shows("countdown", timeout=10)
    assert countdown["sentence"] == "Claire arrête votre séance." and countdown["clock"]
    laser.page.shoot("countdown")
    assert laser.relay() == [0, 1], "not before the countdown ends"
    goodbye = laser.page.shows("goodbye", timeout=15)
    assert goodbye["sentence"].startswith("La séance est arrêtée")
    assert laser.relay() == [0, 1, 0]
    wait_until(lambda: [r["end_reason"] for r in sessions.list_sessions(db)] == ["stopped"],
               what="the ending at the hub")  # fmt: skip


def test_an_out_of_service_at_the_end_waits_for_the_session(fablab_at, db, residents):
    _hub, open_station, _ = fablab_at
    laser = open_station(stop_countdown_seconds=2)
    assert laser.tap("CAFEF00D") == "granted (tap_granted)"
    laser.page.shows("granted")
    machines.set_out_of_service(db, "laser", "Lentille à changer", when="end", actor=ACTOR)
    laser.kiosk.wait_for("access list")
    assert laser.page.read()["code"] == "granted" and laser.relay() == [0, 1]
    laser.touch("J'ai fini")
    laser.page.shows("goodbye")
    assert laser.page.shows("out_of_service", timeout=15)["sentence"] == "Lentille à changer"
    assert laser.relay() == [0, 1, 0]


def test_a_badge_enrolled_at_the_station_is_greeted(fablab_at, db, residents):
    from web.domain import enrolment

    _hub, open_station, _ = fablab_at
    laser = open_station()
    enrolment.start(db, residents["lucas"], actor=ACTOR)
    assert laser.tap("0F1E2D3C") == "denied:unknown_badge (tap_refused)"
    try:
        greeted = laser.page.shows("enrolled", timeout=10)
    except Exception:
        print("".join(laser.kiosk.log[-40:]), "".join(laser.kiosk.screen[-20:]))
        raise
    assert greeted["sentence"] == "Ce badge est maintenant celui de Lucas."
    laser.page.shoot("enrolled")
