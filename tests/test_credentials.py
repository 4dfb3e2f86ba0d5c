"""Open Badges 3.0 credentials: valid against 1EdTech's schema, signed, verifiable, revocable."""

import base64
import hashlib
import json
from pathlib import Path

import pytest
from jsonschema import Draft201909Validator

from tests.conftest import csrf
from web.domain import credentials, grants

# 1EdTech's published schema, vendored with its source and licence (tests/data/ob3/README.md).
SCHEMA = Path(__file__).parent / "data" / "ob3" / "achievementcredential.schema.json"


@pytest.fixture
def issued(db, fablab):
    karim = fablab.person("Karim", "DEADBEEF", decoupe_laser=2)
    grant_id = grants.history(db, karim)[0]["id"]
    made = credentials.credential(db, grant_id, "https://fablab.example/", "Fablab de la Ville")
    return karim, grant_id, made


def test_a_credential_validates_against_the_official_schema(issued):
    karim, _, credential = issued
    schema = json.loads(SCHEMA.read_text())
    errors = sorted(Draft201909Validator(schema).iter_errors(credential), key=str)
    assert errors == [], errors[:3]
    subject = credential["credentialSubject"]
    assert subject["achievement"]["alignment"][0]["targetCode"] == "H2905"
    assert karim not in json.dumps(credential)  # only a salted hash of the id
    identity = subject["identifier"][0]
    expected = hashlib.sha256((karim + identity["salt"]).encode()).hexdigest()
    assert identity["identityHash"] == f"sha256${expected}"


def test_a_signed_credential_verifies_and_a_tampered_one_does_not(db, issued):
    _, _, credential = issued
    token = credentials.sign(db, credential)
    assert credentials.verify(db, token).reason == "ok"
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["name"] = "Découpe laser — niveau 3 (Référent)"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert credentials.verify(db, f"{header}.{forged}.{signature}").reason == "bad_signature"
    assert credentials.verify(db, "not a badge").reason == "bad_signature"


def test_a_revoked_training_fails_verification(db, issued):
    karim, _, credential = issued
    token = credentials.sign(db, credential)
    grants.revoke(db, karim, "decoupe-laser", reason="test", actor="t")
    verdict = credentials.verify(db, token)
    assert (verdict.valid, verdict.reason) == (False, "revoked")


def test_download_and_verify_through_the_pages(logged_in, fablab, db):
    karim = fablab.person("Karim", "DEADBEEF", decoupe_laser=2)
    grant_id = grants.history(db, karim)[0]["id"]
    token = logged_in.get(f"/personnes/{karim}/badges/{grant_id}.jwt").get_data(as_text=True)
    answer = logged_in.post("/badges/verifier.json", data=token).get_json()
    assert answer == {"valid": True, "reason": "ok"}
    page = logged_in.get("/badges/verifier")
    shown = logged_in.post("/badges/verifier", data={"badge": token, "csrf_token": csrf(page)})
    assert "authentique" in shown.get_data(as_text=True)
