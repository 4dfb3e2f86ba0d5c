"""Station authentication: `Authorization: Bearer <machine token>` on every call but the spec."""

from __future__ import annotations

from flask import g, request
from werkzeug.exceptions import Unauthorized

from web.api import bp
from web.app import get_db
from web.domain.machines import machine_for_token

PUBLIC_ENDPOINTS = {"api.openapi"}


class BearerUnauthorized(Unauthorized):
    def get_headers(self, environ=None, scope=None):  # type: ignore[no-untyped-def]
        return [*super().get_headers(environ, scope), ("WWW-Authenticate", 'Bearer realm="fablab"')]


@bp.before_request
def authenticate() -> None:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise BearerUnauthorized("send the machine's token as 'Authorization: Bearer <token>'")
    machine = machine_for_token(get_db(), token.strip())
    if machine is None:
        raise BearerUnauthorized("this token does not belong to any machine (rotated?)")
    g.machine = machine
