"""One JSON error shape for every error the API returns, made by one function.

{"error": {"status": 401, "code": "unauthorized", "message": "..."}}
"""

from __future__ import annotations

import logging

from flask import Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException, InternalServerError

from web.api import bp

log = logging.getLogger(__name__)


def error_response(status: int, code: str, message: str) -> Response:
    response = jsonify({"error": {"status": status, "code": code, "message": message}})
    response.status_code = status
    return response


def _code(error: HTTPException) -> str:
    return (error.name or "error").lower().replace(" ", "_")


@bp.record_once
def _register(state) -> None:  # type: ignore[no-untyped-def]
    """Handle errors app-wide: JSON for /api/ URLs (including 404s that match no API route),
    the pages' own error page for everything else (web.pages.errors)."""
    from web.pages.errors import page_error

    app = state.app

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response | tuple[str, int]:
        if not request.path.startswith(bp.url_prefix or "/api"):
            return page_error(error)
        response = error_response(error.code or 500, _code(error), error.description or "")
        for name, value in error.get_response().headers.items():
            if name.lower() in ("www-authenticate", "allow", "retry-after"):
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response | tuple[str, int]:
        current_app.logger.exception("unexpected error on %s %s", request.method, request.path)
        if not request.path.startswith(bp.url_prefix or "/api"):
            return page_error(InternalServerError())
        return error_response(500, "internal_server_error", "the hub failed; it has been logged")
