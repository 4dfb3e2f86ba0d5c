"""The documents a resident takes away, checked with the tools an outsider has: qpdf,
pdffonts (every font embedded), pdftotext (Turkish and Arabic names intact), pdfinfo (true
metadata), zbarimg (the QR code leads to the verification page), and Chromium on that page
(the verdict a phone would show, valid then revoked)."""

from __future__ import annotations

import subprocess
from urllib.parse import unquote

import pytest

from tests.browser import chromium
from tests.conftest import csrf
from tests.credentials_helpers import public_identity
from tests.servers import HubProcess
from tests.test_parcours import sessions
from web.domain import grants, people

NAMES = ("Ayşe Yılmaz", "ليلى حداد")


def run(*command: str) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def attestation(logged_in, person: str, tmp_path, share: bool = True):
    form = logged_in.get(f"/personnes/{person}/attestation")
    shared = {"share": "y"} if share else {}
    served = logged_in.post(f"/personnes/{person}/attestation",
                            data={"csrf_token": csrf(form), **shared})  # fmt: skip
    assert served.status_code == 200 and served.mimetype == "application/pdf"
    path = tmp_path / f"{person}.pdf"
    path.write_bytes(served.data)
    return path, served


@pytest.mark.parametrize("name", NAMES)
def test_the_attestation_pdf_for_every_script(logged_in, fablab, db, tmp_path, name):
    public_identity(db, "https://fablab.example.org")
    person = fablab.person(name, "DEADBEEF", decoupe_laser=2, couture=1)
    sessions(db, person, 1, 90)
    grants.revoke(db, person, "couture", reason="erreur", actor="test")
    path, served = attestation(logged_in, person, tmp_path)
    told = served.headers["Content-Disposition"]
    assert "attestation-" + "-".join(name.split()) in unquote(told.split("filename*=UTF-8''")[1])

    assert "No syntax or stream encoding errors" in run("qpdf", "--check", str(path))
    fonts = run("pdffonts", str(path)).splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts  # emb column
    text = " ".join(run("pdftotext", str(path), "-").split())
    if name.isascii() or "ş" in name:
        assert name in text
    else:  # right-to-left: the words, each intact, whatever the extraction order
        assert all(word in text for word in name.split()), text
    assert "Fablab de Saint-Denis" in text and "Le fablab" not in text
    assert "1,5 h de pratique en 1 séance" in text  # French decimals and plurals
    assert "H2905" in text and "découpage des matériaux" in text  # ROME and its job title
    assert "retirée" in text  # the revoked training says so, not "never trained"
    info = run("pdfinfo", str(path))
    assert "Author:          Fablab de Saint-Denis" in info and "Tagged:          yes" in info
    assert "2000" not in info.split("CreationDate:")[1].splitlines()[0]
    # Only the valid training carries a credential: one QR code, one attached .jwt.
    attached = run("pdfdetach", "-list", str(path))
    assert "1 embedded files" in attached and "badge-decoupe-laser.jwt" in attached


def test_the_qr_code_leads_to_the_verdict_in_a_browser(tmp_path, db, db_path, fablab, logged_in):
    with HubProcess(db_path, tmp_path / "hub.log") as hub:
        public_identity(db, hub.url)
        amina = fablab.person("Amina Benali", "04A1B2C3D4E5F6", decoupe_laser=3)
        path, _ = attestation(logged_in, amina, tmp_path)
        run("pdftoppm", "-r", "150", "-png", "-singlefile", str(path), str(tmp_path / "page"))
        decoded = run("zbarimg", "--quiet", "--raw", str(tmp_path / "page.png")).split()
        assert len(decoded) == 1 and decoded[0].startswith(f"{hub.url}/verifier/")
        with chromium() as browser:
            page = browser.new_page(viewport={"width": 390, "height": 844}, locale="fr-FR")
            page.goto(decoded[0])
            page.screenshot(path=str(tmp_path / "verification-phone.png"), full_page=True)
            verdict = page.locator(".verdict")
            assert verdict.inner_text().strip() == "✔ Valable aujourd'hui"
            assert "verdict-ok" in verdict.get_attribute("class")
            body = page.locator("main").inner_text()
            assert "Amina B." in body and "Benali" not in body  # the first name and initial
            assert "H2905" in body and "Découpe laser" in body
            grants.revoke(db, amina, "decoupe-laser", reason="erreur", actor="test")
            page.reload()
            assert page.locator(".verdict").inner_text().strip() == "✖ N'est plus valable"
            assert "retirée" in page.locator("main").inner_text()
        assert people.exists(db, amina)


def test_a_name_not_shared_is_not_shown(tmp_path, db, db_path, fablab, logged_in):
    with HubProcess(db_path, tmp_path / "hub.log") as hub:
        public_identity(db, hub.url)
        karim = fablab.person("Karim Diallo", "DEADBEEF", decoupe_laser=1)
        attestation(logged_in, karim, tmp_path, share=False)
        (address,) = [row[0] for row in db.execute("SELECT id FROM issued_credentials")]
        import requests

        page = requests.get(f"{hub.url}/verifier/{address}", timeout=5).text
        assert "Karim" not in page and "Découpe laser" in page
