"""Logins (Flask-Login), CSRF on every form (Flask-WTF), a rate limit on login attempts."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, UserMixin
from flask_wtf import CSRFProtect

from web.app import get_db
from web.domain.facilitators import get_facilitator

login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(get_remote_address, default_limits=[], storage_uri="memory://")


@dataclass
class Facilitator(UserMixin):
    id: int
    name: str

    def get_id(self) -> str:
        return str(self.id)


@login_manager.user_loader
def _load(user_id: str) -> Facilitator | None:
    row = get_facilitator(get_db(), int(user_id)) if user_id.isdigit() else None
    return Facilitator(row["id"], row["name"]) if row else None


def init_security(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "pages.login"
    login_manager.login_message = None
    csrf.init_app(app)
    limiter.init_app(app)
    # The station API authenticates with bearer tokens, not cookies: no CSRF there.
    from web.api import bp as api_bp

    csrf.exempt(api_bp)


def actor() -> str:
    from flask_login import current_user

    return f"facilitator:{current_user.name}" if current_user.is_authenticated else "anonymous"


def client_ip() -> str:
    return request.remote_addr or "?"
