"""Irreversible actions (erasing a person, revoking a training, blocking a badge, a new
station token, disabling an account) are confirmed on a page of their own that says what
will happen and what cannot be undone. The first post only shows that page; the action is
done only when its form comes back with `confirmed`. No JavaScript involved.
"""

from __future__ import annotations

from flask import render_template, request


def asked() -> bool:
    """True when this post is the confirmation itself."""
    return request.form.get("confirmed") == "yes"


def page(
    title: str,
    happens: list[str],
    *,
    button: str,
    back: str,
    undone: str | None = None,
    then: list[str] | None = None,
    keep: dict[str, str] | None = None,
) -> tuple[str, int]:
    """The confirmation page: `happens`, what the action does; `undone`, what cannot be
    undone (None when it can); `then`, what to do next; `keep`, the fields of the first
    form, sent again with the confirmation."""
    return render_template(
        "confirm.html", title=title, happens=happens, undone=undone, then=then or [],
        button=button, back=back, keep=keep or {},
    ), 200  # fmt: skip
