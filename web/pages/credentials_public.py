"""What the fablab publishes for anyone who checks its credentials, without a login: its DID
document and keys, its issuer profile and logo, each achievement, the status list, and a
verification page per credential (the credential's own id; the attestation's QR codes)."""

from __future__ import annotations

import base64
import json
from typing import Any

from flask import abort, render_template, request
from werkzeug.wrappers import Response

from web.app import get_db
from web.db import fetch_one
from web.domain import credentials, identity, status_list
from web.domain.rome import fiche_url, title
from web.pages import bp

PUBLIC = {"Access-Control-Allow-Origin": "*", "Cache-Control": "no-cache"}
_signed_list: dict[str, Any] = {}  # the last status list signed, and what it was made from


def _issuer() -> identity.Issuer:
    try:
        return identity.issuer(get_db())
    except identity.NotConfigured:
        abort(404)


def _json(data: dict[str, Any], mimetype: str = "application/json") -> Response:
    response = Response(json.dumps(data, ensure_ascii=False, indent=1), mimetype=mimetype)
    response.headers.update(PUBLIC)
    return response


@bp.get("/.well-known/did.json")
def did_document() -> Response:
    return _json(identity.did_document(_issuer()), "application/did+json")


@bp.get("/.well-known/jwks.json")
def jwks() -> Response:
    return _json(identity.jwks(_issuer()), "application/jwk-set+json")


@bp.get("/badges/emetteur")
def issuer_profile() -> Response:
    return _json(identity.profile(_issuer()))


@bp.get("/badges/logo")
def logo() -> Response:
    who = _issuer()
    if not who.logo:
        abort(404)
    kind, data = who.logo.split(";base64,", 1)
    response = Response(base64.b64decode(data), mimetype=kind.removeprefix("data:"))
    response.headers.update(PUBLIC)
    return response


@bp.get("/badges/competences/<slug>/<int:level>")
def achievement(slug: str, level: int) -> Response:
    skill = fetch_one(get_db(), "SELECT * FROM skills WHERE slug = ?", [slug])
    if skill is None or level not in credentials.LEVELS:
        abort(404)
    return _json(credentials.achievement(_issuer(), skill, level))


@bp.get(status_list.LIST_PATH)
def status_list_credential() -> Response:
    """The signed list, as a VC-JWT (what the credentials' `statusListCredential` names)."""
    who = _issuer()
    db = get_db()
    status_list.sweep(db)
    listed = status_list.list_credential(db, who.base, who.did)
    key = (who.did, identity.signing_key()[0], listed["credentialSubject"]["encodedList"])
    if _signed_list.get("key") != key:  # signed again only when a bit or the key changed
        _signed_list.update(key=key, token=credentials.sign(listed))
    response = Response(_signed_list["token"], mimetype="application/vc+jwt")
    response.headers.update(PUBLIC)
    return response


@bp.get(credentials.VERIFY_PATH + "<credential_id>")
def verification(credential_id: str) -> str | Response | tuple[str, int]:
    """The verdict on one credential, for an employer with a phone: HTML, or JSON (with the
    signed credential) for another fablab's hub importing it."""
    db = get_db()
    who = _issuer()
    verdict = credentials.status_of(db, credential_id)
    if verdict.record is None:
        if request.accept_mimetypes.best == "application/json":
            return _json({"valid": False, "reason": "unknown"})
        return render_template("credential_check.html", verdict=verdict, who=who, shown=None), 404
    shown = _shown(db, verdict.record)
    if request.accept_mimetypes.best == "application/json":
        return _json({"valid": verdict.valid, "reason": verdict.reason,
                      "detail": verdict.detail, "holder": verdict.record["holder_name"],
                      "credential": verdict.record["token"] or None})  # fmt: skip
    return render_template("credential_check.html", verdict=verdict, who=who, shown=shown)


def _shown(db, record: dict[str, Any]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """What the page may say: no more about the person than they chose to share."""
    row = fetch_one(
        db,
        "SELECT grants.level, grants.granted_at, grants.valid_until, skills.name_fr, "
        "skills.name_en, skills.rome_codes FROM grants JOIN skills ON skills.id = grants.skill_id "
        "WHERE grants.id = ?",
        [record["grant_id"]],
    )
    codes = json.loads(row["rome_codes"] or "[]")
    return {**row, "holder": record["holder_name"], "issued_at": record["issued_at"],
            "rome": [(code, title(code), fiche_url(code)) for code in codes]}  # fmt: skip
