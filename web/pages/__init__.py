"""The facilitator's pages (login required) and the public ones (wall screen, notices)."""

from flask import Blueprint

bp = Blueprint("pages", __name__)

from web.pages import (  # noqa: E402, F401  (registers the routes)
    accounts,
    at_machine,
    auth,
    badges,
    credentials_public,
    exports,
    history,
    machine_admin,
    machines,
    people,
    person_changes,
    public,
    recognition,
    settings,
    today,
    welcome,
)
