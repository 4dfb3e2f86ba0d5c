"""The hub behind TLS on the LAN: Debian's Caddy with its own authority in front of a hub that
listens on loopback, a station that trusts that authority and nothing else, and the login
limit counting each client, not the proxy."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests

from demo.octoprint import free_port
from demo.processes import stop_process
from tests.conftest import PASSWORD, csrf
from tests.servers import HubProcess
from tests.stations import KioskProcess, hub_events, wait_until
from web.domain import facilitators

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(shutil.which("caddy") is None, reason="make test installs caddy")


@pytest.fixture
def behind_caddy(tmp_path, db, fablab, residents):
    """(https address, the authority's root certificate, the hub)."""
    hub = HubProcess(tmp_path / "hub.db", tmp_path / "hub.log", env={"FABLAB_PROXY": "1"}).start()
    port = free_port()
    home = tmp_path / "caddy"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / "data"),
           "XDG_CONFIG_HOME": str(home / "config"), "FABLAB_HUB_ADDRESS": f"localhost:{port}",
           "FABLAB_HUB_PORT": str(hub.port)}  # fmt: skip
    with open(tmp_path / "caddy.log", "wb") as log:
        caddy = subprocess.Popen(
            ["caddy", "run", "--config", str(ROOT / "systemd" / "Caddyfile"),
             "--adapter", "caddyfile"],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    root = home / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"
    address = f"https://localhost:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{address}/api/v1/openapi.json", verify=str(root), timeout=2)
                break
            except (requests.RequestException, OSError):
                assert caddy.poll() is None, (tmp_path / "caddy.log").read_text()
                assert time.monotonic() < deadline, (tmp_path / "caddy.log").read_text()
                time.sleep(0.1)
        yield address, root, hub
    finally:
        stop_process(caddy, timeout=10)
        hub.stop()


def test_a_station_trusts_the_hubs_authority_and_nothing_else(tmp_path, behind_caddy, fablab, db):
    address, root, _ = behind_caddy
    with pytest.raises(requests.exceptions.SSLError):  # not a certificate the world knows
        requests.get(f"{address}/api/v1/openapi.json", timeout=5)
    shutil.copy(root, tmp_path / "hub-ca.crt")
    trusting = KioskProcess(tmp_path / "ok", address, fablab.tokens["laser"])
    trusting.config.write_text(trusting.config.read_text().replace(
        "[hub]\n", f'[hub]\nca_file = "{tmp_path / "hub-ca.crt"}"\n'))  # fmt: skip
    trusting.start().ready()
    try:
        assert trusting.decide("CAFEBABE") == "denied:unknown_badge"
        wait_until(lambda: {"uid": "CAFEBABE"} in hub_events(db, "unknown_badge"),
                   what="the event, over HTTPS")  # fmt: skip
    finally:
        assert trusting.stop() == 0
    doubting = KioskProcess(tmp_path / "no", address, fablab.tokens["laser"])
    doubting.start()
    try:
        doubting.wait_for(r"hub_unreachable: .*CERTIFICATE_VERIFY_FAILED")
    finally:
        doubting.stop()


def test_the_login_limit_counts_each_client_behind_the_proxy(behind_caddy, db):
    """Caddy sets X-Forwarded-For to the client's own address, whatever the client claims,
    and the hub trusts that one proxy only: a client cannot spend another's attempts, and
    eleven tries from one client do not lock everyone out."""
    address, root, _ = behind_caddy
    facilitators.add_facilitator(db, "claire", PASSWORD, actor="test")
    attacker = requests.Session()
    statuses = []
    for n in range(11):
        page = attacker.get(f"{address}/connexion", timeout=5, verify=str(root))
        statuses.append(attacker.post(
            f"{address}/connexion", headers={"X-Forwarded-For": f"10.0.0.{n}"}, timeout=5,
            data={"name": "claire", "password": "mauvais", "csrf_token": csrf_text(page)},
            verify=str(root),
        ).status_code)  # fmt: skip
    assert statuses[:10] == [200] * 10 and statuses[-1] == 429  # spoofing did not help
    page = attacker.get(f"{address}/connexion", timeout=5, verify=str(root))
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")


def csrf_text(response) -> str:
    class Page:
        def get_data(self, as_text=True):
            return response.text

    return csrf(Page())
