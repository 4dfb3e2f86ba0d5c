"""The fablab hub: people, badges, machines, trainings, sessions and the station API.

`create_app` is imported lazily so that light modules of this package (the
station protocol, the clock) can be used without loading Flask.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    from web.app import create_app as _create_app

    return _create_app(test_config)
