"""Logins (Flask-Login over sessions the hub keeps), CSRF on every form (Flask-WTF), a limit
on login attempts per client, two roles, and the headers every page carries."""

from __future__ import annotations

import functools
import secrets as random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, abort, g, request, session
from flask_limiter import Limiter
from flask_login import LoginManager, UserMixin, current_user
from flask_wtf import CSRFProtect
from werkzeug.wrappers import Response

from web.app import get_db
from web.domain import facilitators

login_manager = LoginManager()
csrf = CSRFProtect()


def client_ip() -> str:
    """The client's address: the real one behind the reverse proxy (ProxyFix trusts exactly
    one), so that the login limit counts each person, not the proxy."""
    return request.remote_addr or "?"


limiter = Limiter(client_ip, default_limits=[], storage_uri="memory://")


@dataclass
class Facilitator(UserMixin):
    id: int
    name: str
    role: str = "facilitator"

    def get_id(self) -> str:
        return str(self.id)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@login_manager.user_loader
def _load(user_id: str) -> Facilitator | None:
    """Only a login the hub still holds: a cookie kept after logout opens nothing."""
    row = facilitators.session_user(get_db(), session.get("sid"))
    if row is None or str(row["id"]) != user_id:
        return None
    return Facilitator(row["id"], row["name"], row["role"])


def admin_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Erasure, station tokens, accounts and machines: administrators only (403 otherwise)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None (no open redirect: //evil.example,
    /\\evil, tabs and newlines that browsers drop, a scheme...)."""
    if not target or any(ord(char) < 32 or char == "\\" for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


# What every page may load: its own files only. Inline scripts carry the request's nonce.
CSP = ("default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; "
       "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")  # fmt: skip


def init_security(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "pages.login"
    login_manager.login_message = None
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # as long as the login itself
    csrf.init_app(app)
    limiter.init_app(app)
    # The station API authenticates with bearer tokens, not cookies: no CSRF there.
    from web.api import bp as api_bp

    csrf.exempt(api_bp)

    @app.before_request
    def _nonce() -> None:
        g.csp_nonce = random.token_urlsafe(16)

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.path.startswith("/api/"):
            nonce = g.get("csp_nonce", "")
            response.headers.setdefault("Content-Security-Policy", CSP.format(nonce=nonce))
            response.headers.setdefault("X-Frame-Options", "DENY")
            if not request.path.startswith("/static/"):  # pages hold personal data
                response.headers["Cache-Control"] = "no-store"
        return response

    app.jinja_env.globals["csp_nonce"] = lambda: g.get("csp_nonce", "")


def actor() -> str:
    return f"facilitator:{current_user.name}" if current_user.is_authenticated else "anonymous"
