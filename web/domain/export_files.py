"""The weekly export's files, made for the partner who opens them in a spreadsheet: CSV for
French Excel and LibreOffice (`;`, decimal comma, UTF-8 with BOM), one XLSX (dates as dates,
numbers as numbers), and "À lire" (the period, the time zone, the method, each column).
A partner's files carry its short name; the summary alone carries none."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

from web.domain.export import AFTERNOON, PARIS, ROUND_MINUTES, SMALL, Export

# (key, header, meaning): the header says what the column is; the meaning, how to read it.
SESSION_COLUMNS = [
    ("semaine", "Semaine", "La semaine ISO (du lundi 00 h au lundi suivant, heure de Paris)."),
    ("date", "Date", "Le jour où la séance a commencé (heure de Paris)."),
    ("demi_journee", "Demi-journée",
     f"matin (avant {AFTERNOON} h) ou après-midi : l'heure exacte n'est pas donnée."),
    ("personne", "Personne (pseudonyme)",
     "Le même pour cette personne chaque semaine, pour ce partenaire seulement ; seul le "
     "fablab peut retrouver la personne. Seules les personnes qui l'ont accepté sont ici."),
    ("machine", "Machine", "Le nom de la machine."),
    ("competence", "Compétence", "La compétence que demande la machine."),
    ("niveau", "Niveau (1 à 3)", "1 Découverte (avec un référent), 2 Autonome, 3 Référent."),
    ("accompagnee", "Accompagnée (oui ou non)",
     "oui si un référent ou l'animateur a badgé pour accompagner la séance."),
    ("duree_minutes", "Durée (minutes)",
     f"La durée de la séance, arrondie à {ROUND_MINUTES} minutes ; vide si elle n'est pas "
     "terminée."),
    ("minutes_en_marche", "Machine en marche (minutes)",
     "Les minutes où la machine a vraiment travaillé (laser, moteur, impression)."),
    ("fin_par", "Fin de la séance",
     "badge, relais, durée maximale, inactivité, impression terminée, arrêt…"),
]  # fmt: skip
VISIT_COLUMNS = [
    SESSION_COLUMNS[0], SESSION_COLUMNS[1], SESSION_COLUMNS[2], SESSION_COLUMNS[3],
    ("duree_minutes", "Durée (minutes)",
     f"De l'entrée à la sortie, arrondie à {ROUND_MINUTES} minutes."),
]  # fmt: skip
SUMMARY_COLUMNS = [
    ("semaine", "Semaine", SESSION_COLUMNS[0][2]),
    ("perimetre", "Périmètre", "fablab (tout le lieu), machine ou competence."),
    ("nom", "Nom", "Le nom de la machine ou de la compétence ; vide pour le fablab."),
    ("indicateur", "Indicateur", "Ce qui est compté (voir la liste des indicateurs)."),
    ("valeur", "Valeur",
     f"Un nombre ; vide quand le nombre de personnes est masqué (de 1 à {SMALL - 1})."),
    ("masque", "Masqué (1 à 4 personnes)",
     "oui quand la valeur est masquée pour qu'on ne reconnaisse personne."),
]  # fmt: skip
INDICATORS = {
    "seances": "Nombre de séances sur les machines commencées dans la semaine.",
    "personnes": "Nombre de personnes différentes venues sur les machines.",
    "heures": "Heures de séance (séances terminées).",
    "heures_en_marche": "Heures où les machines ont vraiment travaillé.",
    "formations_niveau_1": "Nouvelles formations de niveau 1 (Découverte) enregistrées.",
    "formations_niveau_2": "Nouvelles formations de niveau 2 (Autonome).",
    "formations_niveau_3": "Nouvelles formations de niveau 3 (Référent).",
    "formations_expirees": "Formations arrivées à expiration dans la semaine.",
    "formations_sans_pratique": "Formations arrêtées faute de pratique dans la semaine.",
    "nouvelles_inscriptions": "Personnes inscrites dans la semaine.",
    "venues": "Passages à l'accueil (badge à l'entrée puis à la sortie).",
    "personnes_venues": "Personnes différentes passées à l'accueil.",
    "heures_de_presence": "Heures passées au fablab, de l'entrée à la sortie.",
    "seances_detaillees": "Séances qui figurent ligne à ligne dans le fichier des séances "
    "(les autres : personnes qui ne l'ont pas accepté, ou trop peu de personnes).",
    "venues_detaillees": "Passages qui figurent ligne à ligne dans le fichier des venues.",
    "age_*": "Personnes venues, par tranche d'âge (seulement celles qui l'ont accepté).",
    "genre_*": "Personnes venues, par genre (seulement celles qui l'ont accepté).",
}


def names(export: Export) -> dict[str, str]:
    """The files' names: `fablab-<kind>-<week>[-<partner>].<ext>`."""
    tail = export.week.label + (f"-{export.partner['slug']}" if export.partner else "")
    found = {"synthese": f"fablab-synthese-{tail}.csv"}
    if export.partner:
        found |= {"seances": f"fablab-seances-{tail}.csv", "venues": f"fablab-venues-{tail}.csv"}
    return found | {"xlsx": f"fablab-export-{tail}.xlsx", "lire": f"fablab-a-lire-{tail}.txt"}


def write(export: Export, out_dir: Path) -> list[Path]:
    """Write the export's files into `out_dir`; return their paths, the XLSX last."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = names(export)
    paths = []
    for kind, rows, columns in _tables(export):
        path = out_dir / files[kind]
        with open(path, "w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, delimiter=";")
            writer.writerow([header for _, header, _ in columns])
            for row in rows:
                writer.writerow([_csv(row[key]) for key, _, _ in columns])
        paths.append(path)
    readme = out_dir / files["lire"]
    readme.write_text(read_me(export), encoding="utf-8")
    paths.append(readme)
    paths.append(_workbook(export, out_dir / files["xlsx"]))
    return paths


def _tables(export: Export) -> list[tuple[str, list[dict[str, Any]], list[tuple]]]:
    tables = [("synthese", export.summary, SUMMARY_COLUMNS)]
    if export.partner:
        tables += [("seances", export.sessions, SESSION_COLUMNS),
                   ("venues", export.visits, VISIT_COLUMNS)]  # fmt: skip
    return tables


def _csv(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return value


def read_me(export: Export) -> str:
    week = export.week
    lines = [
        f"Export du fablab — semaine {week.label}",
        f"Du lundi {week.start:%d/%m/%Y} 00 h au lundi {week.end:%d/%m/%Y} 00 h, heure de "
        f"Paris ({PARIS.key}).",
        f"Pour : {export.partner['name']}" if export.partner else
        "Pour : tous les partenaires (la synthèse seule, aucune ligne par personne).",
        "",
        "Méthode",
        f"- Un nombre de personnes de 1 à {SMALL - 1} est masqué : la valeur est vide et la "
        "colonne « Masqué » dit oui. Les heures et les séances ne sont pas masquées.",
        "- Le détail ligne à ligne ne contient que les personnes qui ont accepté que leurs "
        "séances soient partagées, sous un pseudonyme propre à ce partenaire, stable d'une "
        "semaine à l'autre ; et seulement là où au moins 5 personnes sont venues dans la "
        "semaine (le fablab, la machine, la compétence), pour qu'aucun fichier ni aucune "
        "différence de fichiers ne redonne un nombre masqué.",
        f"- Les heures sont données à la demi-journée ; les durées, arrondies à "
        f"{ROUND_MINUTES} minutes.",
        "- Les totaux se recoupent : séances = séances détaillées + séances non détaillées.",
        "- Les âges et les genres ne comptent que les personnes qui l'ont accepté.",
        "",
    ]  # fmt: skip
    for kind, _, columns in _tables(export):
        lines.append(f"Fichier {names(export)[kind]}")
        lines += [f"- {header} : {meaning}" for _, header, meaning in columns]
        lines.append("")
    lines.append("Indicateurs de la synthèse")
    lines += [f"- {key} : {meaning}" for key, meaning in INDICATORS.items()]
    return "\n".join(lines) + "\n"


def _workbook(export: Export, path: Path) -> Path:
    import xlsxwriter

    # XlsxWriter streams the file (openpyxl took a second for a week of sessions).
    options = {"constant_memory": True, "strings_to_urls": False, "strings_to_formulas": False}
    with xlsxwriter.Workbook(path, options) as book:
        day = book.add_format({"num_format": "dd/mm/yyyy"})
        bold = book.add_format({"bold": True, "text_wrap": True})
        titles = {"synthese": "Synthèse", "seances": "Séances", "venues": "Venues"}
        for kind, rows, columns in _tables(export):
            sheet = book.add_worksheet(titles[kind])
            sheet.write_row(0, 0, [header for _, header, _ in columns], bold)
            sheet.freeze_panes(1, 0)
            for number, row in enumerate(rows, start=1):
                for column, (key, _, _) in enumerate(columns):
                    value = row[key]
                    if isinstance(value, date):
                        sheet.write_datetime(number, column, value, day)
                    elif value is not None:
                        sheet.write(number, column, value)
        explained = book.add_worksheet("Colonnes")
        explained.write_row(0, 0, ["Feuille", "Colonne", "Ce qu'elle dit"], bold)
        number = 1
        for kind, _, columns in _tables(export):
            for _, header, meaning in columns:
                explained.write_row(number, 0, [titles[kind], header, meaning])
                number += 1
        for key, meaning in INDICATORS.items():
            explained.write_row(number, 0, ["Synthèse : indicateurs", key, meaning])
            number += 1
        readme = book.add_worksheet("À lire")
        for number, line in enumerate(read_me(export).splitlines()):
            readme.write(number, 0, line)
    return path
