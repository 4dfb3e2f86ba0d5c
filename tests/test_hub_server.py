"""The hub as stations meet it: served by waitress in its own process, over loopback HTTP."""

import threading
import uuid

import pytest
import requests

from tests.conftest import event
from tests.servers import fablab_hub, served_hub
from web.domain import machines


@pytest.fixture
def hub(tmp_path, db, fablab):
    """A served hub over the `fablab` fixture's database: (base URL, fablab)."""
    with served_hub(tmp_path / "hub.db", tmp_path / "hub.log") as base:
        yield base, fablab


def test_a_station_reads_its_list_and_reports_over_http(hub, tmp_path):
    base, fablab = hub
    amina = fablab.person("Amina", "DEADBEEF", decoupe_laser=2)
    station = requests.Session()
    station.headers.update(fablab.auth())

    listed = station.get(f"{base}/api/v1/access-list", timeout=5)
    assert listed.status_code == 200
    (alias,) = [entry["person"] for entry in listed.json()["badges"]]
    assert alias != amina  # the station's own id for Amina
    unchanged = station.get(
        f"{base}/api/v1/access-list", headers={"If-None-Match": listed.headers["ETag"]}, timeout=5
    )
    assert unchanged.status_code == 304

    session = str(uuid.uuid4())
    batch = [
        event("session_started", session=session, person=alias),
        event("session_ended", session=session, reason="badge_out"),
    ]
    for expected in ("accepted", "duplicates"):
        answer = station.post(f"{base}/api/v1/events", json={"events": batch}, timeout=5)
        assert answer.json()[expected] == [e["id"] for e in batch]

    listing = fablab_hub(tmp_path / "hub.db", "sessions", "--json").stdout
    assert session in listing

    assert requests.get(f"{base}/api/v1/access-list", timeout=5).status_code == 401
    garbage = station.post(f"{base}/api/v1/events", data=b"\x00garbage", timeout=5)
    assert garbage.status_code == 400
    assert garbage.json()["error"]["code"] == "bad_request"
    huge = station.post(f"{base}/api/v1/events", data=b"x" * (2 * 1024 * 1024), timeout=10)
    assert huge.status_code == 413


def test_a_grant_from_the_command_line_wakes_a_long_poll(hub, tmp_path):
    base, fablab = hub
    karim = fablab.person("Karim", "CAFEF00D")
    station = requests.Session()
    station.headers.update(fablab.auth())
    etag = station.get(f"{base}/api/v1/access-list", timeout=5).headers["ETag"]

    answers = []
    polling = threading.Thread(
        target=lambda: answers.append(
            station.get(
                f"{base}/api/v1/access-list?wait=30", headers={"If-None-Match": etag}, timeout=40
            )
        )
    )
    polling.start()
    # Another process writes the training, as the installer's command does.
    fablab_hub(tmp_path / "hub.db", "grant", karim, "decoupe-laser", "--level", "2")
    polling.join(timeout=40)
    # Had the poll not woken up, it would have ended in a 304 after its 30 seconds.
    assert answers and answers[0].status_code == 200
    (entry,) = answers[0].json()["badges"]
    assert (entry["first_name"], entry["level"]) == ("Karim", 2)


def test_many_stations_long_poll_at_once(hub, db):
    base, fablab = hub
    tokens = [
        machines.add_machine(db, f"station-{n}", kind="laser", skill="decoupe-laser", actor="t")
        for n in range(20)
    ]
    answers = []
    # Each station's list as it stands, before anything changes: a poll that starts after
    # the change then answers at once rather than waiting for a change it already has.
    etags = {
        token: requests.get(
            f"{base}/api/v1/access-list", headers={"Authorization": f"Bearer {token}"}, timeout=5
        ).headers["ETag"]
        for token in tokens
    }

    def poll(token):
        answers.append(
            requests.get(
                f"{base}/api/v1/access-list?wait=30",
                headers={"Authorization": f"Bearer {token}", "If-None-Match": etags[token]},
                timeout=40,
            ).status_code
        )

    pollers = [threading.Thread(target=poll, args=(token,)) for token in tokens]
    for poller in pollers:
        poller.start()
    # While twenty stations wait, the hub still answers others at once.
    assert requests.get(f"{base}/api/v1/openapi.json", timeout=5).status_code == 200
    fablab.person("Amina", "DEADBEEF", decoupe_laser=3)
    for poller in pollers:
        poller.join(timeout=40)
    assert answers == [200] * 20
