"""Open Badges 3.0 credentials anyone can verify: an outsider with jwcrypto and jsonschema
checks one with only what the hub publishes over HTTP (keys by kid, claims, the 1EdTech
schema, the status list bit before and after a revocation); the hub's own verdicts say
which check failed; only a person's own trainings are issued under their page."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import requests
from jsonschema import Draft201909Validator
from jwcrypto.jws import InvalidJWSSignature

from tests.conftest import csrf
from tests.credentials_helpers import outsider_verifies, public_identity, status_bit, valid_grant
from tests.servers import HubProcess
from web.domain import credentials, grants, identity, settings

# 1EdTech's published schema, vendored with its source and licence (tests/data/ob3/README.md).
SCHEMA = Path(__file__).parent / "data" / "ob3" / "achievementcredential.schema.json"
BASE = "https://fablab.example.org"


@pytest.fixture
def karim(db, fablab):
    public_identity(db, BASE)
    return fablab.person("Karim Diallo", "DEADBEEF", decoupe_laser=2)


def test_a_credential_validates_against_the_official_schema(db, karim):
    issued = credentials.issue(db, karim, valid_grant(db, karim), holder_name=None, actor="t")
    credential = issued.credential
    errors = sorted(Draft201909Validator(json.loads(SCHEMA.read_text())).iter_errors(credential),
                    key=str)  # fmt: skip
    assert errors == [], errors[:3]
    subject = credential["credentialSubject"]
    assert subject["achievement"]["alignment"][0]["targetCode"] == "H2905"
    rome = subject["achievement"]["alignment"][0]
    assert "découpage des matériaux" in rome["targetName"]  # the ROME job title
    assert karim not in json.dumps(credential)  # only a salted hash of the id
    hashed = subject["identifier"][0]
    # A hash of the secret-keyed subject id (128 bits), not of the guessable person id.
    expected = hashlib.sha256((subject["id"] + hashed["salt"]).encode()).hexdigest()
    assert hashed["identityHash"] == f"sha256${expected}"
    # Its identity comes from the settings, not from a request: the same issuer every time.
    assert credential["issuer"]["id"] == "did:web:fablab.example.org"
    assert credential["id"] == f"{BASE}/verifier/{issued.id}"
    assert credential["credentialStatus"]["statusListCredential"] == f"{BASE}/badges/statut/1"


def test_no_credential_before_the_public_address_is_set(db, fablab):
    karim = fablab.person("Karim", "DEADBEEF", decoupe_laser=2)
    with pytest.raises(identity.NotConfigured):
        credentials.issue(db, karim, valid_grant(db, karim), holder_name=None, actor="t")


def _forge(token: str, **changes) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_the_hubs_verdict_says_which_check_failed(db, karim):
    issued = credentials.issue(db, karim, valid_grant(db, karim), holder_name=None, actor="t")
    assert credentials.verify(db, issued.token).reason == "ok"
    assert credentials.verify(db, _forge(issued.token, name="niveau 3")).reason == "bad_signature"
    assert credentials.verify(db, "not a badge").reason == "malformed"
    # Signed by this hub's key but past its validUntil: expired, never "valid".
    past = {**issued.credential, "validUntil": "2025-01-31T23:59:59Z"}
    assert credentials.verify(db, credentials.sign(past)).reason == "expired"
    future = {**issued.credential, "validFrom": f"{date.today().year + 1}-01-01T00:00:00Z"}
    assert credentials.verify(db, credentials.sign(future)).reason == "not_yet_valid"
    grants.revoke(db, karim, "decoupe-laser", reason="test", actor="t")
    verdict = credentials.verify(db, issued.token)
    assert (verdict.valid, verdict.reason, verdict.detail) == (False, "revoked", "revoked")


def test_a_lapsed_training_reads_as_revoked_with_its_reason(db, karim):
    issued = credentials.issue(db, karim, valid_grant(db, karim), holder_name=None, actor="t")
    long_ago = (datetime.now(UTC) - timedelta(days=400)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    db.execute("UPDATE grants SET granted_at = ? WHERE person_id = ?", [long_ago, karim])
    db.execute("UPDATE skills SET inactivity_months = 6")
    verdict = credentials.verify(db, issued.token)
    assert (verdict.reason, verdict.detail) == ("revoked", "lapsed")


def test_only_the_persons_own_trainings_are_issued_under_their_page(logged_in, db, fablab, karim):
    amina = fablab.person("Amina", "04A1B2C3D4E5F6", couture=2)
    page = logged_in.get(f"/personnes/{karim}/badges/{valid_grant(db, karim)}")
    assert page.status_code == 200
    assert logged_in.get(f"/personnes/{amina}/badges/{valid_grant(db, karim)}").status_code == 404
    stolen = logged_in.post(f"/personnes/{amina}/badges/{valid_grant(db, karim)}",
                            data={"csrf_token": csrf(page), "format": "jwt"})  # fmt: skip
    assert stolen.status_code == 404
    assert db.execute("SELECT count(*) FROM issued_credentials").fetchone()[0] == 0


def test_the_downloads_are_named_after_the_skill(logged_in, db, karim):
    url = f"/personnes/{karim}/badges/{valid_grant(db, karim)}"
    token = csrf(logged_in.get(url))
    raw = logged_in.post(url, data={"csrf_token": token, "format": "jwt"})
    assert raw.headers["Content-Disposition"] == (
        'attachment; filename="badge-decoupe-laser-niveau-2.jwt"'
    )
    assert raw.mimetype == "application/vc+jwt"
    assert credentials.verify(db, raw.get_data(as_text=True)).reason == "ok"
    pdf = logged_in.post(url, data={"csrf_token": token, "format": "pdf"})
    assert pdf.headers["Content-Disposition"].endswith('"badge-decoupe-laser-niveau-2.pdf"')
    assert pdf.data.startswith(b"%PDF")
    # Not shared: the verification page names nobody.
    row = db.execute("SELECT holder_name FROM issued_credentials").fetchall()
    assert {name for (name,) in row} == {None}


def test_the_identity_is_set_on_the_settings_page(logged_in, db, fablab):
    page = logged_in.get("/reglages")
    assert "Aucune adresse publique" in page.get_data(as_text=True)
    token = re.search(r'name="identity-csrf_token" type="hidden" value="([^"]+)"',
                      page.get_data(as_text=True)).group(1)  # fmt: skip
    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    )
    sent = {"identity-csrf_token": token, "identity-fablab_name": "Fablab de Saint-Denis",
            "identity-public_url": "https://Fablab.Example.org/"}  # fmt: skip
    bad = logged_in.post("/reglages/identite", data={**sent, "identity-public_url": "fablab"})
    assert bad.status_code == 400 and "sans chemin" in bad.get_data(as_text=True)
    import io

    sent["identity-logo"] = (io.BytesIO(png), "logo.png")
    done = logged_in.post("/reglages/identite", data=sent, content_type="multipart/form-data")
    assert done.status_code == 302
    assert settings.get(db, "public_url") == "https://fablab.example.org"
    assert settings.get(db, "logo").startswith("data:image/png;base64,")
    assert logged_in.get("/badges/logo").data == png
    shown = logged_in.get("/reglages").get_data(as_text=True)
    assert "did:web:fablab.example.org" in shown


def test_an_outsider_verifies_a_credential_with_what_the_hub_publishes(tmp_path, db, db_path,
                                                                        karim):  # fmt: skip
    with HubProcess(db_path, tmp_path / "hub.log") as hub:
        public_identity(db, hub.url)
        issued = credentials.issue(db, karim, valid_grant(db, karim), holder_name="Karim D.",
                                   actor="t")  # fmt: skip
        claims = outsider_verifies(issued.token, hub.url)

        did = "did:web:127.0.0.1%3A" + str(hub.port)
        assert claims["iss"] == did == claims["issuer"]["id"]
        assert claims["sub"] == claims["credentialSubject"]["id"]
        assert claims["jti"] == claims["id"] == f"{hub.url}/verifier/{issued.id}"
        assert claims["nbf"] == int(datetime.fromisoformat(claims["validFrom"]).timestamp())
        assert claims["exp"] == int(datetime.fromisoformat(claims["validUntil"]).timestamp())
        assert abs(claims["iat"] - datetime.now(UTC).timestamp()) < 120
        schema = json.loads(SCHEMA.read_text())
        payload = {k: v for k, v in claims.items() if k not in ("iss", "sub", "jti", "iat",
                                                                 "nbf", "exp")}  # fmt: skip
        assert not list(Draft201909Validator(schema).iter_errors(payload))

        # The DID document names the same key; every id in the credential answers.
        document = requests.get(f"{hub.url}/.well-known/did.json", timeout=5).json()
        header_kid = json.loads(base64.urlsafe_b64decode(issued.token.split(".")[0] + "=="))["kid"]
        assert header_kid in document["assertionMethod"]
        for url in (claims["credentialSubject"]["achievement"]["id"], f"{hub.url}/badges/emetteur",
                    claims["id"]):  # fmt: skip
            assert requests.get(url, timeout=5).status_code == 200, url

        assert status_bit(claims, hub.url) is False
        grants.revoke(db, karim, "decoupe-laser", reason="erreur", actor="t")
        assert status_bit(claims, hub.url) is True
        answer = requests.get(claims["id"], headers={"Accept": "application/json"}, timeout=5)
        assert (answer.json()["valid"], answer.json()["reason"]) == (False, "revoked")

        # A tampered credential does not verify with the published key.
        with pytest.raises(InvalidJWSSignature):
            outsider_verifies(_forge(issued.token, name="Référent"), hub.url)


@pytest.fixture
def own_secrets(tmp_path):
    """A secrets file of the test's own (this test rotates keys)."""
    from web import secrets

    path = tmp_path / "secrets.toml"
    secrets.use(path)
    secrets.ensure()
    yield path
    secrets.use(None)


def test_old_keys_still_verify_after_a_rotation(tmp_path, db, db_path, karim, own_secrets):
    from web import secrets

    with HubProcess(db_path, tmp_path / "hub.log", env={"FABLAB_SECRETS": str(own_secrets)}) as hub:
        public_identity(db, hub.url)
        before = credentials.issue(db, karim, valid_grant(db, karim), holder_name=None, actor="t")
        secrets.rotate("credentials")
        after = credentials.issue(db, karim, valid_grant(db, karim), holder_name=None, actor="t")
        kids = [json.loads(base64.urlsafe_b64decode(t.split(".")[0] + "=="))["kid"]
                for t in (before.token, after.token)]  # fmt: skip
        assert kids[0] != kids[1]
        for token in (before.token, after.token):
            outsider_verifies(token, hub.url)
            assert credentials.verify(db, token).reason == "ok"
