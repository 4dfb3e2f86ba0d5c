"""The facilitator's pages (login required) and the public ones (wall screen, notices)."""

from flask import Blueprint

bp = Blueprint("pages", __name__)

from web.pages import auth, badges, exports, machines, people, public, today, welcome  # noqa: E402, F401  (registers the routes)
