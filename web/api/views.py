"""Station API routes: the access list (ETag, long poll), event batches, the spec."""

from __future__ import annotations

import json
import re
import time

from flask import Response, current_app, g, jsonify, request
from werkzeug.exceptions import BadRequest, TooManyRequests

from common.protocol import MAX_BATCH
from web.api import bp
from web.api.long_polls import Busy
from web.api.openapi import spec
from web.app import get_db
from web.domain import events

_NUMBERS = re.compile(r"\b[0-9A-Fa-f:]{8,}\b|\b[0-9A-Z]{8}\b")  # UIDs, ids: not in the log

# Query parameters each route understands; anything else is a mistake worth reporting
# (a station asking for `?wiat=30` should hear about it, not silently stop long-polling).
_QUERY = {"api.access_list": {"wait"}, "api.post_events": set(), "api.openapi": set()}


@bp.before_request
def _known_query_only() -> None:
    unknown = set(request.args) - _QUERY.get(request.endpoint or "", set())
    if unknown:
        raise BadRequest(f"unknown query parameter(s): {', '.join(sorted(unknown))}")


def _wait_seconds() -> int:
    raw = request.args.get("wait", "0")
    limit = current_app.config["ACCESS_LIST_MAX_WAIT"]
    # ASCII digits only: str.isdigit() also takes '¹', which int() refuses.
    if not re.fullmatch(r"[0-9]{1,3}", raw) or int(raw) > limit:
        raise BadRequest(f"wait is a whole number of seconds from 0 to {limit}")
    return int(raw)


@bp.get("/access-list")
def access_list() -> Response:
    """The caller's access list; with If-None-Match and ?wait=N, a long poll.

    Answers 304 at once when the list is unchanged and no wait was asked, or
    when the wait runs out; answers 200 as soon as the list differs.
    """
    wait = _wait_seconds()
    cache = current_app.extensions["access_list_cache"]
    db = get_db()
    revision, etag, body = cache.get(db, g.machine["id"])
    if wait and request.if_none_match.contains_weak(etag):
        try:
            with current_app.extensions["long_polls"].slot(g.machine["id"]):
                revision, etag, body = _wait_for_change(db, revision, etag, body, wait)
        except Busy as busy:
            raise TooManyRequests(f"{busy}; try again in a few seconds", retry_after=5) from None
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
    else:
        response = Response(body, mimetype="application/json")
    response.set_etag(etag)
    response.headers["Cache-Control"] = "no-cache"
    return response


def _wait_for_change(db, revision: int, etag: str, body: bytes, wait: int) -> tuple:
    """Until the list differs from the one the station has, or `wait` seconds have passed."""
    deadline = time.monotonic() + wait
    cache = current_app.extensions["access_list_cache"]
    watcher = current_app.extensions["revision_watcher"]
    while request.if_none_match.contains_weak(etag):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        watcher.wait_for_change(revision, remaining)
        revision, etag, body = cache.get(db, g.machine["id"])
    return revision, etag, body


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number JSON allows")


@bp.post("/events")
def post_events() -> Response:
    """A batch of station events; see the spec for the per-event outcome."""
    try:
        payload = json.loads(request.get_data(cache=False), parse_constant=_reject_constant)
    except (ValueError, RecursionError) as problem:
        raise BadRequest(f"the body is not valid JSON: {problem}") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        raise BadRequest('the body must be a JSON object like {"events": [...]}')
    batch = payload["events"]
    if len(batch) > MAX_BATCH:
        raise BadRequest(f"at most {MAX_BATCH} events per batch; send the rest in another")
    result = events.ingest(get_db(), g.machine, batch)
    if result.rejected:
        # Without badge numbers or ids: logs are kept longer than personal data may be.
        current_app.logger.warning(
            "%s: %d event(s) rejected, first: %s",
            g.machine["name"],
            len(result.rejected),
            _NUMBERS.sub("…", result.rejected[0]["reason"]),
        )
    return jsonify(
        {
            "accepted": result.accepted,
            "duplicates": result.duplicates,
            "rejected": result.rejected,
            "notes": result.notes,
        }
    )


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(spec(current_app.config["ACCESS_LIST_MAX_WAIT"]))
