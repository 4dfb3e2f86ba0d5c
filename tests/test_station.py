"""Station agents as real processes against a hub served by waitress, over loopback HTTP."""

import json
import random
import time

from tests.servers import served_hub
from tests.stations import KioskProcess, hub_events, station, wait_until
from web.domain import grants, machines, sessions

ACTOR = "test"


def test_the_decision_table_end_to_end(tmp_path, hub, residents):
    url, fablab, db = hub
    kiosk = station(tmp_path, url, fablab, supervisor_window_seconds=30).start().ready()
    try:
        assert kiosk.decide("CAFEBABE") == "denied:unknown_badge"
        assert kiosk.decide("8899AABB") == "denied:unknown_badge"  # not on the laser's list
        assert kiosk.decide("55667788") == "denied:not_trained"  # suspended
        assert kiosk.decide("12345678") == "denied:expired"
        assert kiosk.decide("11223344") == "denied:lapsed"
        # Découverte: waits for a référent, who taps too.
        assert kiosk.decide("DEADBEEF") == "needs_supervisor"
        assert kiosk.decide("04A1B2C3D4E5F6") == "granted"
        kiosk.wait_for("machine unlocked")
        assert kiosk.decide("DEADBEEF") == "needs_supervisor"  # the holder badges out
        kiosk.wait_for(r"machine locked \(badge_out\)")
        # Autonomous; a référent's tap during the session only asks (a step to validate, or
        # the machine next): nothing moves until the holder ends, then the référent's turn.
        assert kiosk.decide("CAFEF00D") == "granted"
        kiosk.wait_for("machine unlocked")
        kiosk.tap("04A1B2C3D4E5F6")
        kiosk.wait_for(r"decision granted \S+ \(tap_signer\)")
        assert kiosk.decide("CAFEF00D") == "granted"
        kiosk.wait_for(r"machine locked \(badge_out\)")
        assert kiosk.decide("04A1B2C3D4E5F6") == "granted"
        kiosk.wait_for("machine unlocked")
        assert kiosk.decide("04A1B2C3D4E5F6") == "granted"
        kiosk.wait_for(r"machine locked \(badge_out\)")
        # Out of service at the hub: the station hears it within seconds.
        machines.set_out_of_service(db, "laser", "Lentille cassée", actor=ACTOR)
        deadline = time.monotonic() + 5
        while kiosk.decide("55667788") != "denied:out_of_service":
            assert time.monotonic() < deadline, "out of service did not reach the station"
        wait_until(lambda: {"reason": "out_of_service", "person": residents["nour"]}
                   in hub_events(db, "denied"), what="the refusal at the hub")  # fmt: skip
        wait_until(
            lambda: (
                len(sessions.list_sessions(db)) == 3
                and all(row["ended_at"] for row in sessions.list_sessions(db))
            ),
            what="sessions at the hub",
        )
    finally:
        assert kiosk.stop() == 0
    rows = sessions.list_sessions(db)
    assert [(r["person"], r["supervisor"], r["end_reason"]) for r in rows] == [
        (residents["karim"], residents["amina"], "badge_out"),
        (residents["sophie"], None, "badge_out"),
        (residents["amina"], None, "badge_out"),
    ]
    assert {"uid": "CAFEBABE"} in hub_events(db, "unknown_badge")
    denied = {event["reason"] for event in hub_events(db, "denied")}
    assert {"not_trained", "expired", "lapsed", "needs_supervisor", "out_of_service"} <= denied


def test_a_revoked_training_is_refused_within_five_seconds(tmp_path, hub, residents):
    url, fablab, db = hub
    kiosk = station(tmp_path, url, fablab).start().ready()
    try:
        assert kiosk.decide("CAFEF00D") == "granted"
        assert kiosk.decide("CAFEF00D") == "granted"  # badge out
        grants.revoke(db, residents["sophie"], "decoupe-laser", reason="test", actor=ACTOR)
        revoked = time.monotonic()
        kiosk.wait_for(r"access list \S+: \d+ badges", timeout=5)
        assert time.monotonic() - revoked < 5
        assert kiosk.decide("CAFEF00D") == "denied:unknown_badge"  # off the laser's list
    finally:
        kiosk.stop()


def test_with_the_hub_down_taps_are_decided_the_same_and_events_arrive_once(
    tmp_path, db, fablab, residents
):
    path = tmp_path / "hub.db"
    with served_hub(path, tmp_path / "hub1.log") as url:
        kiosk = station(tmp_path, url, fablab).start().ready()
        assert kiosk.decide("CAFEF00D") == "granted"
        assert kiosk.decide("CAFEF00D") == "granted"
        wait_until(lambda: len(sessions.list_sessions(db)) == 1, what="the first session")
        port = url.rsplit(":", 1)[1]
    # The hub is down: the same decisions, from the list kept on disk and in memory.
    for _ in range(3):
        assert kiosk.decide("CAFEF00D") == "granted"  # in
        assert kiosk.decide("CAFEF00D") == "granted"  # out
    assert kiosk.decide("55667788") == "denied:not_trained"
    assert kiosk.decide("CAFEBABE") == "denied:unknown_badge"
    assert len(sessions.list_sessions(db)) == 1
    # Back on the same address: everything arrives, once.
    with served_hub(path, tmp_path / "hub2.log", port=int(port)):
        wait_until(
            lambda: len(sessions.list_sessions(db)) == 4, timeout=45, what="replayed sessions"
        )
        wait_until(lambda: len(hub_events(db, "unknown_badge")) == 1, what="the unknown badge")
        time.sleep(2)  # one more shipping round: nothing may arrive twice
        assert len(sessions.list_sessions(db)) == 4
        assert all(row["end_reason"] == "badge_out" for row in sessions.list_sessions(db))
        assert db.execute("SELECT count(*) FROM events WHERE type = 'denied'").fetchone()[0] == 1
        kiosk.stop()


def test_kill_9_mid_session_is_closed_as_interrupted_and_nothing_is_lost(tmp_path, hub, residents):
    url, fablab, db = hub
    rng = random.Random(7)
    started = 0
    for round_ in range(4):
        kiosk = station(tmp_path, url, fablab).start()
        kiosk.wait_for(r"machine locked at start")
        kiosk.ready()
        assert kiosk.decide("CAFEF00D") == "granted"
        started += 1
        if round_ % 2:
            assert kiosk.decide("CAFEF00D") == "granted"  # a complete session too
            assert kiosk.decide("CAFEF00D") == "granted"
            started += 1
        time.sleep(rng.uniform(0, 1.5))  # die at a random moment of the session
        kiosk.kill()
    last = station(tmp_path, url, fablab).start()
    try:
        last.wait_for(r"machine locked at start")
        wait_until(
            lambda: (
                len(sessions.list_sessions(db)) == started
                and all(row["ended_at"] for row in sessions.list_sessions(db))
            ),
            timeout=30,
            what="every session closed at the hub",
        )
    finally:
        last.stop()
    rows = sessions.list_sessions(db)
    assert len({row["id"] for row in rows}) == started
    reasons = [row["end_reason"] for row in rows]
    assert reasons.count("interrupted") == 4 and reasons.count("badge_out") == started - 4
    assert all(row["ended_at"] >= row["started_at"] for row in rows)


def test_a_damaged_access_list_on_disk_is_a_fault_not_a_crash(tmp_path, fablab, residents):
    kiosk = station(tmp_path, "http://127.0.0.1:9", fablab)  # no hub there
    (kiosk.directory / "data").mkdir(parents=True)
    (kiosk.directory / "data" / "access-list.json").write_text("{not json")
    kiosk.start()
    try:
        kiosk.wait_for("fault access_list_damaged")
        assert kiosk.decide("CAFEF00D") == "denied:no_access_list"
        assert kiosk.process.poll() is None
    finally:
        assert kiosk.stop() == 0


def test_heartbeats_reach_the_hub(tmp_path, hub, residents):
    url, fablab, db = hub
    kiosk = station(tmp_path, url, fablab).start().ready()
    try:
        wait_until(lambda: machines.get_machine(db, "laser")["last_heartbeat"], what="a heartbeat")
        beat = json.loads(machines.get_machine(db, "laser")["last_heartbeat"])
        assert beat["state"] == "idle" and beat["outbox_depth"] >= 0 and beat["version"]
    finally:
        kiosk.stop()


def test_a_hub_answering_garbage_changes_no_decision(tmp_path, hub, residents):
    import http.server
    import threading

    url, fablab, _db = hub
    kiosk = station(tmp_path, url, fablab).start().ready()
    assert kiosk.decide("CAFEF00D") == "granted"
    assert kiosk.decide("CAFEF00D") == "granted"
    kiosk.stop()

    class Garbage(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"<html>captive portal</html>")

        do_POST = do_GET

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Garbage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        config = kiosk.config.read_text().replace(url, f"http://127.0.0.1:{server.server_port}")
        kiosk.config.write_text(config)
        kiosk.start()
        kiosk.wait_for("not JSON")
        assert kiosk.decide("CAFEF00D") == "granted"
        assert kiosk.decide("55667788") == "denied:not_trained"
        assert kiosk.process.poll() is None
    finally:
        assert kiosk.stop() == 0
        server.shutdown()
        server.server_close()


def test_check_reports_each_part(tmp_path, hub, residents):
    import subprocess

    from tests.stations import KIOSK

    url, fablab, _db = hub
    kiosk = station(tmp_path, url, fablab)
    done = subprocess.run([KIOSK, "--config", str(kiosk.config), "check"],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "knows this station as 'laser'" in done.stdout
    kiosk.config.write_text(kiosk.config.read_text().replace('kind = "stdin"', 'kind = "nfc"'))
    done = subprocess.run([KIOSK, "--config", str(kiosk.config), "check"],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 1 and "reader.kind" in done.stderr
    # A reader that is configured but not there (no /dev/spidev here) is a problem, not "ok".
    kiosk.config.write_text(kiosk.config.read_text().replace('kind = "nfc"', 'kind = "mfrc522"'))
    done = subprocess.run([KIOSK, "--config", str(kiosk.config), "check"],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 1
    assert "PROBLEM  badge reader: cannot open /dev/spidev0.0" in done.stdout


def test_sigterm_mid_session_locks_and_closes_the_session(tmp_path, hub, residents):
    url, fablab, db = hub
    kiosk = station(tmp_path, url, fablab).start().ready()
    assert kiosk.decide("CAFEF00D") == "granted"
    kiosk.wait_for("machine unlocked")
    assert kiosk.stop() == 0
    assert any("machine locked (shutdown)" in line for line in kiosk.log)
    wait_until(lambda: sessions.list_sessions(db) and sessions.list_sessions(db)[0]["ended_at"],
               what="the session closed at the hub")  # fmt: skip
    assert sessions.list_sessions(db)[0]["end_reason"] == "shutdown"


def test_the_entrance_kiosk_counts_presence_and_greets(tmp_path, hub, residents):
    from web.domain.export import Week, build
    from web.domain.parcours import presence

    url, _, db = hub
    token = machines.add_machine(db, "accueil", kind="checkin", actor=ACTOR)
    kiosk = KioskProcess(tmp_path / "accueil", url, token, machine='kind = "checkin"\n')
    kiosk.start().ready()
    try:
        assert kiosk.decide("8899AABB") == "granted"  # Lucas: trained on nothing, welcome anyway
        assert kiosk.decide("CAFEBABE") == "denied:unknown_badge"
        import requests

        def greeting():
            # Who just came in is for the entrance's own screen (its token) or a facilitator.
            answer = requests.get(f"{url}/accueil/derniere.json", timeout=5,
                                  headers={"Authorization": f"Bearer {token}"})  # fmt: skip
            return answer.json().get("hello")

        wait_until(lambda: greeting() == "Bonjour Lucas !", what="the greeting")
        assert kiosk.decide("8899AABB") == "granted"  # and out
        wait_until(lambda: presence(db, residents["lucas"])["visits"] == 1, what="the visit")
    finally:
        kiosk.stop()
    started = sessions.list_sessions(db)[0]["started_at"]
    from common.clock import parse_timestamp

    week = Week(
        *parse_timestamp(started)
        .astimezone(__import__("zoneinfo").ZoneInfo("Europe/Paris"))
        .isocalendar()[:2]
    )
    summary = {(r["perimetre"], r["indicateur"]): r["valeur"] for r in build(db, week).summary}
    assert summary["fablab", "venues"] == 1 and summary["fablab", "seances"] == 0
