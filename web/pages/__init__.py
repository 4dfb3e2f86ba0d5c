"""The facilitator's pages (login required) and the public ones (wall screen, notices)."""

from flask import Blueprint

bp = Blueprint("pages", __name__)

from web.pages import (  # noqa: E402, F401  (registers the routes)
    at_machine,
    auth,
    badges,
    exports,
    machines,
    people,
    public,
    settings,
    today,
    welcome,
)
