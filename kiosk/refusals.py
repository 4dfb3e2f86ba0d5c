"""A refusal at the machine, each reason with its own screen: its own pictogram, what went
wrong in one plain sentence, and whom to see or what to do."""

from __future__ import annotations

from typing import Any

from common.languages import known
from kiosk.screens import AS_GIVEN, HOLD_SECONDS, PERMITS, STOP, Place, Screen, _screen
from kiosk.texts import N_, text

REFUSALS: dict[str, tuple[str, str, str, str]] = {
    # code: (pictogram, title, sentence, next step)
    "unknown_badge": (
        "user-question",
        N_("Pas pour cette machine"),
        N_("Ce badge n'ouvre pas cette machine."),
        N_("Pour apprendre à l'utiliser, allez voir {who} à l'accueil."),
    ),
    "not_trained": (
        "school",
        N_("Formation nécessaire"),
        N_("Pour cette machine, il faut la formation « {skill} »."),
        N_("Demandez cette formation à {who}."),
    ),
    "expired": (
        "calendar-x",
        N_("Formation à refaire"),
        N_("Votre formation « {skill} » est trop ancienne."),
        N_("Demandez une nouvelle formation à {who}."),
    ),
    "lapsed": (
        "hourglass",
        N_("Pas utilisée depuis longtemps"),
        N_("Vous n'avez pas utilisé cette machine depuis longtemps."),
        N_("Demandez à {who} de vous la remontrer."),
    ),
    "checklist_timeout": (
        "checklist",
        N_("Vérifications pas finies"),
        N_("La machine reste fermée : les vérifications n'ont pas été faites à temps."),
        N_("Reposez votre badge pour recommencer."),
    ),
    "machine_busy": (
        "hand-stop",
        N_("Machine occupée"),
        N_("Quelqu'un utilise la machine."),
        N_("Attendez la fin, s'il vous plaît."),
    ),
    "out_of_service": (
        "tools-off",
        N_("Machine en panne"),
        N_("La machine ne marche pas."),
        N_("Revenez plus tard. {who} est au courant."),
    ),
    "supervisor_timeout": (
        "user-x",
        N_("Pas de référent"),
        N_("Personne n'est venu. La machine reste fermée."),
        N_("Demandez à un référent de venir avec vous."),
    ),
    "machine_fault": (
        "alert-triangle",
        N_("Machine bloquée"),
        N_("La machine est bloquée."),
        N_("Appelez {who}."),
    ),
    "cannot_record": (
        "device-floppy",
        N_("Station pleine"),
        N_("La station ne peut plus rien enregistrer."),
        N_("Appelez {who}."),
    ),
    "no_access_list": (
        "clock",
        N_("Pas encore prête"),
        N_("La machine n'est pas encore prête."),
        N_("Appelez {who}."),
    ),
    "refused_by_machine": (
        "plug-connected-x",
        N_("Démarrage impossible"),
        N_("La machine ne peut pas démarrer."),
        N_("Vérifiez : {what}. Sinon, appelez {who}."),
    ),
}


def refused(
    place: Place, code: str, person: Any = None, detail: str = "", holder: Any = None,
    until: str = "",
) -> Screen:  # fmt: skip
    """The screen of one refusal; `detail` is the out-of-service reason or what the machine
    misses (permit names); `holder` (and `until`, the time their session may last to) who
    has the machine when it is busy."""
    language = known(person.language if person is not None else None)
    icon, title, sentence, next_step = REFUSALS.get(code, REFUSALS["machine_fault"])
    if code == "out_of_service" and (detail or place.out_of_service_reason):
        sentence = AS_GIVEN
    if code == "machine_busy" and holder is not None:
        sentence = N_("{holder} utilise la machine, au plus tard jusqu'à {until}.")
    what = ", ".join(
        text(language, PERMITS.get(name.strip(), name.strip()))
        for name in detail.split(",")
        if name.strip()
    )
    params = {
        "who": place.who(language),
        "skill": place.skill(language),
        "reason": detail or place.out_of_service_reason,
        "what": what,
        "holder": holder.first_name if holder is not None else "",
        "until": until,
    }
    return _screen(
        place,
        code,
        STOP,
        icon,
        title,
        sentence,
        next_step,
        params=params,
        language=language,
        hold=HOLD_SECONDS,
    )
