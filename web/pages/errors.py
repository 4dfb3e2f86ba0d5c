"""The pages' errors, in French (or the facilitator's language), inside the usual layout with
its menu: what happened and what to do next, never a bare "Bad Request".

A form sent with a token the hub no longer knows (left open across a new login, or sent
twice) is not an error to the facilitator: the page is drawn again with what they typed,
nothing changed, and a line asking them to check and send it again (web.pages.forms.Form).
"""

from __future__ import annotations

from flask import current_app, g, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

ERRORS = {
    400: (_l("Demande incomprise"), _l("La page n'a pas compris ce qui a été envoyé.")),
    403: (_l("Réservé aux administrateurs"),
          _l("Votre compte ne permet pas cette action. Demandez à un administrateur du fablab.")),
    404: (_l("Page introuvable"),
          _l("Cette page n'existe pas, ou plus : ce qu'elle montrait a peut-être été effacé.")),
    405: (_l("Action impossible ici"), _l("Cette adresse ne s'utilise pas de cette façon.")),
    413: (_l("Envoi trop gros"), _l("Ce qui a été envoyé dépasse 1 Mo.")),
    429: (_l("Trop d'essais"), _l("Attendez une minute avant de réessayer.")),
    500: (_l("Le serveur a eu un problème"),
          _l("Rien n'a été perdu de ce qui était déjà enregistré. Le problème est noté dans le "
             "journal du serveur ; réessayez dans un moment.")),
}  # fmt: skip


def page_error(error: HTTPException) -> Response | tuple[str, int]:
    status = error.code or 500
    if isinstance(error, CSRFError):
        stale = _stale_form()
        if stale is not None:
            return stale
    title, sentence = ERRORS.get(status, ERRORS[500 if status >= 500 else 400])
    response = render_template("error.html", status=status, title=title, sentence=sentence)
    return response, status


def _stale_form() -> Response | tuple[str, int] | None:
    """The view again, told that its form is stale: it shows what was typed, changes nothing
    (Form.validate_on_submit is False), and says so."""
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or request.blueprint != "pages":
        return None
    g.stale_form = True
    try:
        response = current_app.make_response(view(**(request.view_args or {})))
    except CSRFError:
        return None  # a view that checks the token itself: the plain error page
    except HTTPException as error:  # the view's own refusal (abort(400) for a bare button)
        return page_error(error)
    if 300 <= response.status_code < 400:
        return None  # no form to show again (a button): the plain error page
    response.status_code = 400  # the form again: it was not taken
    return response
