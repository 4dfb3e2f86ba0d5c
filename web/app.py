"""The hub's application factory: defaults, then instance or test config, then blueprints."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from flask import Flask, g
from flask.sessions import SecureCookieSessionInterface
from sqlite_utils import Database

from web.db import after_commit, open_database
from web.domain.access_list import AccessListCache
from web.revision import RevisionWatcher

MAX_BODY_BYTES = 1024 * 1024


def default_database_path(instance_path: str) -> str:
    """`FABLAB_DB` if set, else `fablab.db` in the instance folder."""
    return os.environ.get("FABLAB_DB") or str(Path(instance_path) / "fablab.db")


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask("web", instance_relative_config=True)
    app.config.from_mapping(
        DATABASE=default_database_path(app.instance_path),
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        ACCESS_LIST_MAX_WAIT=60,
        REVISION_POLL_SECONDS=0.2,
        LONG_POLLS_PER_STATION=2,
        LONG_POLLS_TOTAL=24,  # of the server's threads (48 by default): the rest for pages
    )
    if test_config is None:
        app.config.from_pyfile("hub.cfg", silent=True)
    else:
        app.config.from_mapping(test_config)

    from web import secrets

    secrets.use(app.config.get("SECRETS_FILE"))
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _web_secret()
    if app.config.get("BEHIND_PROXY", os.environ.get("FABLAB_PROXY") == "1"):
        # Exactly one proxy (Caddy, on this machine) stands in front: trust its headers for
        # the client's address and the scheme, and nobody else's.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]

    app.session_interface = _CurrentKeySessions()

    app.config.update(
        # Behind HTTPS (a reverse proxy), set FABLAB_HTTPS=1 so cookies only travel encrypted.
        SESSION_COOKIE_SECURE=os.environ.get("FABLAB_HTTPS") == "1",
        REMEMBER_COOKIE_SECURE=os.environ.get("FABLAB_HTTPS") == "1",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
    )
    app.extensions["connections"] = ConnectionPerThread(app.config["DATABASE"])
    app.extensions["access_list_cache"] = AccessListCache()
    from web.api.long_polls import LongPollBudget

    app.extensions["long_polls"] = LongPollBudget(
        app.config["LONG_POLLS_PER_STATION"], app.config["LONG_POLLS_TOTAL"]
    )
    watcher = RevisionWatcher(
        lambda: open_database(app.config["DATABASE"]), app.config["REVISION_POLL_SECONDS"]
    )
    app.extensions["revision_watcher"] = watcher
    after_commit(watcher.poke)
    app.teardown_appcontext(_close_db)

    from web.api import bp as api_bp
    from web.i18n import init_babel
    from web.pages import bp as pages_bp
    from web.pages.security import init_security

    app.register_blueprint(api_bp)
    app.register_blueprint(pages_bp)
    init_babel(app)
    init_security(app)
    return app


def _web_secret() -> str | None:
    """The cookie-signing key, from the secrets file (None before `init` made it: the pages
    then fail loudly; the station API still answers)."""
    from web import secrets

    try:
        return secrets.get().web
    except secrets.SecretsError:
        return None


class _CurrentKeySessions(SecureCookieSessionInterface):
    """Cookies signed with the `web` secret as it is now: rotating it (fablab-hub secrets
    rotate web) ends every login at the very next request, without restarting the hub."""

    def get_signing_serializer(self, app: Flask):  # type: ignore[no-untyped-def]
        key = _web_secret()
        if key:
            app.secret_key = key
        return super().get_signing_serializer(app)


class ConnectionPerThread:
    """One open connection per server thread, reused from request to request.

    Opening a connection and setting its pragmas costs about 0.7 ms, more than
    answering a 304 does; waitress serves from a fixed set of threads, so each
    keeps its own. Connections are in autocommit mode between requests, so a
    reused one always reads the latest committed data.
    """

    def __init__(self, path: str) -> None:
        self._path = path
        self._local = threading.local()

    def get(self) -> Database:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = open_database(self._path)
        return db


def get_db() -> Database:
    """This request's connection (its thread's), bound to `g` for the request."""
    if "db" not in g:
        from flask import current_app

        g.db = current_app.extensions["connections"].get()
    return g.db


def _close_db(_error: BaseException | None = None) -> None:
    """Leave the thread's connection clean for the next request: no open transaction."""
    db = g.pop("db", None)
    if db is not None and db.conn.in_transaction:
        db.rollback()
