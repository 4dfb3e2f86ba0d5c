"""French first, English on request: Flask-Babel with the language kept in the session.

Messages are written in French in the code and templates (the default needs no
catalogue); `web/translations/en` holds the English, compiled by the build.
"""

from __future__ import annotations

import json

from flask import Flask, session
from flask_babel import Babel

LANGUAGES = ("fr", "en")


def select_locale() -> str:
    chosen = session.get("lang")
    return chosen if chosen in LANGUAGES else "fr"


def init_babel(app: Flask) -> Babel:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "fr")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/Paris")
    babel = Babel(app, locale_selector=select_locale)
    from flask_babel import format_datetime, get_locale

    from common.clock import parse_timestamp

    app.jinja_env.globals["get_locale"] = get_locale
    # Stored times are UTC; people read them in Paris time.
    app.jinja_env.filters["local"] = lambda stamp, fmt="short": (
        format_datetime(parse_timestamp(stamp), fmt) if stamp else ""
    )
    # Columns kept as JSON (a session's checklist) read in templates.
    app.jinja_env.filters["fromjson"] = lambda text: json.loads(text) if text else None
    return babel
