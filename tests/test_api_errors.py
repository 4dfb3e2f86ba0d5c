"""Authentication and the single JSON error shape: never a 500 for what a client sends."""

import json

import pytest

from tests.conftest import event
from web.domain import machines


def assert_error(response, status, code):
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert body["error"]["status"] == status
    assert body["error"]["code"] == code
    assert body["error"]["message"]


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer fab_not-a-real-token", "Token x"],
)
def test_a_missing_or_wrong_token_is_401(client, fablab, header):
    headers = {} if header is None else {"Authorization": header}
    for response in (
        client.get("/api/v1/access-list", headers=headers),
        client.post("/api/v1/events", headers=headers, json={"events": []}),
    ):
        assert_error(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_rotated_token_stops_working_at_once(client, fablab, db):
    old = fablab.auth()
    assert client.get("/api/v1/access-list", headers=old).status_code == 200
    new = machines.rotate_token(db, "laser", actor="test")
    assert_error(client.get("/api/v1/access-list", headers=old), 401, "unauthorized")
    assert (
        client.get("/api/v1/access-list", headers={"Authorization": f"Bearer {new}"}).status_code
        == 200
    )


def test_the_spec_is_public(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.get_json()["openapi"].startswith("3.1")


def test_unknown_routes_and_methods_answer_in_the_same_shape(client, fablab):
    assert_error(client.get("/api/v1/nothing-here", headers=fablab.auth()), 404, "not_found")
    assert_error(client.delete("/api/v1/events", headers=fablab.auth()), 405, "method_not_allowed")


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"",
        b"\xff\xfe",
        b"[]",
        b'{"events": {}}',
        b'{"events": "x"}',
        b'{"nope": []}',
        b'{"events": [NaN]}',
        b"[" * 100_000,
        b'{"events": [' + b"1" * 5000 + b"]}",
    ],
)
def test_a_malformed_body_is_400_with_a_message(client, fablab, body):
    response = client.post(
        "/api/v1/events", headers=fablab.auth(), data=body, content_type="application/json"
    )
    assert_error(response, 400, "bad_request")


def test_too_many_events_in_one_batch_is_400(client, fablab):
    batch = [event("fault", code="x")] * 1001
    response = client.post("/api/v1/events", headers=fablab.auth(), json={"events": batch})
    assert_error(response, 400, "bad_request")
    assert "1000" in response.get_json()["error"]["message"]


def test_a_body_over_a_mebibyte_is_413(client, fablab):
    big = json.dumps({"events": [event("fault", code="x", message="m" * 400)] * 2000})
    assert len(big) > 1024 * 1024
    response = client.post(
        "/api/v1/events", headers=fablab.auth(), data=big, content_type="application/json"
    )
    assert_error(response, 413, "request_entity_too_large")


@pytest.mark.parametrize("wait", ["-1", "61", "abc", "1.5", ""])
def test_a_bad_wait_is_400(client, fablab, wait):
    response = client.get(f"/api/v1/access-list?wait={wait}", headers=fablab.auth())
    assert_error(response, 400, "bad_request")
