"""One root error for the domain; each also subclasses the builtin that fits."""

from __future__ import annotations


class HubError(Exception):
    """Something the caller asked for cannot be done; the message says why."""


class NotFound(HubError, LookupError):
    """The person, badge, machine or skill named does not exist."""


class Conflict(HubError, ValueError):
    """The request contradicts what is stored (a badge owned by someone else...)."""


class Invalid(HubError, ValueError):
    """A value is malformed or out of range."""
