"""The station API, version 1: JSON over HTTP, one bearer token per machine."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from web.api import auth, errors, views  # noqa: E402, F401  (registers handlers and routes)
