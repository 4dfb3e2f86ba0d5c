"""A facilitator's week from the pages: errors in French inside the layout, a stale form
given back, trainings shown as they truly are, people corrected, badges blocked, machines
and accounts managed, trainings from paper records, history and statistics, the wall."""

from __future__ import annotations

import re
from datetime import date, timedelta

from tests.conftest import PASSWORD, csrf, event
from tests.test_events import post
from web.db import writing
from web.domain import access_list, audit, badges, facilitators, grants, machines, people

ACTOR = "test"


def html(response) -> str:
    return response.get_data(as_text=True)


# --- errors and stale forms -----------------------------------------------------------------


def test_errors_are_french_pages_with_the_menu(logged_in, client, db):
    missing = logged_in.get("/personnes/INCONNU0")
    assert missing.status_code == 404
    assert "Page introuvable" in html(missing) and "Se déconnecter" in html(missing)
    assert logged_in.get("/deconnexion").status_code == 405
    assert "Action impossible ici" in html(logged_in.get("/deconnexion"))
    facilitators.add_facilitator(db, "noor", PASSWORD, actor=ACTOR)  # not an administrator
    other = client.application.test_client()
    other.post("/connexion", data={"name": "noor", "password": PASSWORD,
                                   "csrf_token": csrf(other.get("/connexion"))})  # fmt: skip
    refused = other.get("/comptes")
    assert refused.status_code == 403 and "Réservé aux administrateurs" in html(refused)
    logged_in.get("/langue/en")
    assert "Page not found" in html(logged_in.get("/personnes/INCONNU0"))
    assert "Not Found" not in html(logged_in.get("/personnes/INCONNU0"))


def test_a_stale_form_comes_back_with_what_was_typed(logged_in, db):
    before = db["people"].count
    typed = {"display_name": "Fatou Ndiaye", "age_band": "26_44", "gender": "", "language": "fr"}
    stale = logged_in.post("/personnes/nouvelle", data={**typed, "csrf_token": "from-yesterday"})
    page = html(stale)
    assert stale.status_code == 400 and db["people"].count == before
    assert "resté ouvert trop longtemps" in page
    assert 'value="Fatou Ndiaye"' in page and re.search(r'selected value="26_44"', page)
    again = logged_in.post("/personnes/nouvelle", data={**typed, "csrf_token": csrf(stale)})
    assert again.status_code == 302 and db["people"].count == before + 1


def test_the_form_token_lives_as_long_as_the_login(app):
    assert app.config["WTF_CSRF_TIME_LIMIT"] is None  # a page left open all day still works


# --- trainings as they are --------------------------------------------------------------------


def test_expired_and_lapsed_trainings_say_so_and_offer_no_credential(logged_in, fablab, db):
    jean = people.add_person(db, "Jean Dupont", actor=ACTOR)
    grants.grant(db, jean, "decoupe-laser", level=2, valid_months=1,
                 on=date.today() - timedelta(days=45), actor=ACTOR)  # fmt: skip
    grants.grant(db, jean, "couture", level=2, on=date.today() - timedelta(days=200),
                 actor=ACTOR)  # 6 months without practice  # fmt: skip
    page = html(logged_in.get(f"/personnes/{jean}"))
    assert re.search(r'class="state-expired">expirée \(valable jusqu.au \d+ \w+ \d{4}\)', page)
    assert 'class="state-lapsed">arrêtée faute de pratique' in page
    assert "Badge numérique" not in page
    laser = grants.history(db, jean)[0]
    offered = logged_in.get(f"/personnes/{jean}/badges/{laser['id']}")
    assert "pas valable aujourd'hui : pas de badge" in html(offered)
    refused = logged_in.post(f"/personnes/{jean}/badges/{laser['id']}",
                             data={"csrf_token": csrf(offered), "format": "jwt"})  # fmt: skip
    assert refused.status_code == 400 and not refused.mimetype.endswith("jwt")
    parcours = html(logged_in.get(f"/personnes/{jean}/parcours"))
    assert "expirée" in parcours and "arrêtée faute de pratique" in parcours
    today = html(logged_in.get("/aujourdhui"))
    assert "Jean Dupont" in today.split("Formations à revoir")[1]  # expired 15 days ago


def test_today_shows_who_was_refused_and_why(logged_in, fablab, client, db):
    karim = fablab.person("Karim Diallo", "DEADBEEF")  # not trained
    post(client, fablab, [event("denied", reason="not_trained", person=karim),
                          event("denied", reason="not_trained", person=karim)])  # fmt: skip
    section = html(logged_in.get("/aujourdhui")).split("Refusés aux machines")[1]
    assert "Karim Diallo" in section and "pas formé·e" in section and "2 fois" in section


# --- people and badges -------------------------------------------------------------------------


def test_a_person_is_corrected_at_their_request(logged_in, fablab, db):
    amina = fablab.person("Amina B.", "DEADBEEF", decoupe_laser=2)
    token = csrf(logged_in.get(f"/personnes/{amina}/modifier"))
    empty = logged_in.post(f"/personnes/{amina}/modifier",
                           data={"display_name": "", "csrf_token": token})  # fmt: skip
    assert empty.status_code == 400 and "Ce champ est obligatoire." in html(empty)
    done = logged_in.post(f"/personnes/{amina}/modifier", data={
        "display_name": "Amina Benali", "age_band": "26_44", "gender": "female",
        "consent_statistics": "y", "language": "ar", "csrf_token": token})  # fmt: skip
    assert done.status_code == 302
    row = people.get_person(db, amina)
    assert (row["display_name"], row["age_band"], row["consent_statistics"], row["language"]) == (
        "Amina Benali", "26_44", 1, "ar")  # fmt: skip
    entry = audit.entries(db, 1)[0]
    assert entry["action"] == "person.update" and "display_name" in entry["details"]


def test_a_lost_badge_is_blocked_only_once_confirmed(logged_in, fablab, db):
    amina = fablab.person("Amina", "DEADBEEF", decoupe_laser=2)
    badge_id = badges.owner_of(db, "DEADBEEF")["id"]
    token = csrf(logged_in.get(f"/personnes/{amina}"))
    path = f"/personnes/{amina}/badges/{badge_id}/bloquer"
    asked = logged_in.post(path, data={"reason": "lost", "csrf_token": token})
    assert asked.status_code == 200 and "ne peut pas être débloqué" in html(asked)
    assert badges.owner_of(db, "DEADBEEF") is not None
    logged_in.post(path, data={"reason": "lost", "confirmed": "yes", "csrf_token": token})
    assert badges.owner_of(db, "DEADBEEF") is None
    laser = machines.get_machine(db, "laser")["id"]
    assert access_list.build(db, laser)["badges"] == []
    assert "bloqué le" in html(logged_in.get(f"/personnes/{amina}"))


def test_people_are_found_without_accents_or_capitals(logged_in, db):
    koné = people.add_person(db, "Aïssata Koné", actor=ACTOR)
    for query in ("kone", "KONE", "aissata", "Koné"):
        found = logged_in.get(f"/personnes?q={query}")
        assert f"/personnes/{koné}" in html(found), query


# --- trainings from paper, machines, accounts -------------------------------------------------


def test_a_training_from_paper_records_is_dated_as_it_was(logged_in, fablab, db):
    fatou = people.add_person(db, "Fatou", actor=ACTOR)
    token = csrf(logged_in.get(f"/personnes/{fatou}"))
    form = {"skill": "decoupe-laser", "level": "2", "by": "Claire", "csrf_token": token}
    later = (date.today() + timedelta(days=3)).isoformat()
    future = logged_in.post(f"/personnes/{fatou}/formations", data={**form, "on": later})
    assert future.status_code == 400 and "dans le futur" in html(future)
    logged_in.post(f"/personnes/{fatou}/formations", data={**form, "on": "2026-03-14"})
    training = grants.history(db, fatou)[0]
    assert training["granted_at"].startswith("2026-03-14")
    assert training["valid_until"] == "2028-03-14"  # the skill's 24 months, from that day


def test_the_command_records_a_training_on_an_earlier_day(db, db_path):
    from click.testing import CliRunner

    from web.cli import main

    person = people.add_person(db, "Fatou", actor=ACTOR)
    from web.domain import skills

    skills.add_skill(db, "couture", name_fr="Couture", validity_months=12, actor=ACTOR)
    result = CliRunner().invoke(main, ["--db", str(db_path), "grant", person, "couture",
                                       "--level", "2", "--on", "2026-03-14"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert grants.history(db, person)[0]["valid_until"] == "2027-03-14"
    bad = CliRunner().invoke(main, ["--db", str(db_path), "grant", person, "couture",
                                    "--level", "2", "--on", "14/03/2026"])  # fmt: skip
    assert bad.exit_code != 0 and "14/03/2026" in bad.output


def test_machines_are_added_and_renamed_from_the_pages(logged_in, fablab, db):
    token = csrf(logged_in.get("/machines/nouvelle"))
    made = logged_in.post("/machines/nouvelle", data={
        "name": "laser-2", "display_name": "Laser Epilog", "kind": "laser",
        "skill": "decoupe-laser", "presence_minutes": "5", "csrf_token": token})  # fmt: skip
    assert made.status_code == 200 and re.search(r"<code>fab_[^<]+</code>", html(made))
    machine = machines.get_machine(db, "laser-2")
    assert machine["display_name"] == "Laser Epilog" and machines.presence_minutes(machine) == 5
    no_skill = logged_in.post("/machines/nouvelle", data={
        "name": "laser-3", "kind": "laser", "skill": "", "csrf_token": token})  # fmt: skip
    assert no_skill.status_code == 400 and "Choisissez la compétence" in html(no_skill)
    logged_in.post("/machines/laser-2/modifier", data={
        "display_name": "Laser Epilog 2", "skill": "decoupe-laser", "presence_minutes": "",
        "csrf_token": token})  # fmt: skip
    machine = machines.get_machine(db, "laser-2")
    assert machine["display_name"] == "Laser Epilog 2"
    assert machines.presence_minutes(machine) == 10  # back to the laser's own
    assert "Laser Epilog 2" in html(logged_in.get("/tableau"))


def test_accounts_are_managed_by_an_administrator(logged_in, client, db):
    token = csrf(logged_in.get("/comptes"))
    short = logged_in.post("/comptes", data={"name": "yasmine", "password": "court",
                                             "csrf_token": token})  # fmt: skip
    assert short.status_code == 400 and "10 caractères au moins." in html(short)
    logged_in.post("/comptes", data={"name": "yasmine", "password": PASSWORD,
                                     "csrf_token": token})  # fmt: skip
    other = client.application.test_client()

    def login(password: str) -> int:
        return other.post("/connexion", data={"name": "yasmine", "password": password,
                                              "csrf_token": csrf(other.get("/connexion"))}
                          ).status_code  # fmt: skip

    assert login(PASSWORD) == 302
    asked = logged_in.post("/comptes/yasmine/desactiver", data={"csrf_token": token})
    assert asked.status_code == 200 and "Désactiver le compte yasmine ?" in html(asked)
    assert other.get("/aujourdhui").status_code == 200  # not yet
    logged_in.post("/comptes/yasmine/desactiver", data={"csrf_token": token,
                                                        "confirmed": "yes"})  # fmt: skip
    assert other.get("/aujourdhui").status_code == 302  # logged out at once
    assert login(PASSWORD) == 200  # refused: the login page again
    logged_in.post("/comptes/yasmine/activer", data={"csrf_token": token})
    logged_in.post("/comptes/yasmine/mot-de-passe", data={"password": "un-autre-mot-de-passe",
                                                         "csrf_token": token})  # fmt: skip
    assert login(PASSWORD) == 200 and login("un-autre-mot-de-passe") == 302


# --- history, statistics, the wall, the export -------------------------------------------------


def test_history_and_statistics_follow_the_sessions(logged_in, fablab, client, db):
    from tests.test_events import session_pair

    amina = fablab.person("Amina Benali", "DEADBEEF", decoupe_laser=2)
    karim = fablab.person("Karim Diallo", "CAFEF00D", decoupe_laser=2)
    from datetime import UTC, datetime

    yesterday = datetime.now(UTC) - timedelta(days=1)
    post(client, fablab, [*session_pair(amina, minutes=90, start=yesterday),
                          *session_pair(karim, minutes=30, start=yesterday),
                          *session_pair(amina, minutes=30, start=yesterday)])  # fmt: skip
    day = (yesterday.date()).isoformat()
    page = html(logged_in.get(f"/historique?periode=jour&date={day}"))
    assert "3 séances." in page and "Amina Benali" in page and "1 h 30" in page
    only_karim = html(logged_in.get(f"/historique?periode=jour&date={day}&personne={karim}"))
    assert "1 séance." in only_karim and "Amina" not in only_karim
    weeks = html(logged_in.get("/historique")).split('id="weeks"')[1].split("</table>")[0]
    assert re.search(r"<td>3</td><td>2,5 h</td><td>2</td>", weeks)  # sessions, hours, people
    chart = logged_in.get("/historique/graphique.svg?unite=semaine&mesure=personnes")
    assert chart.mimetype == "image/svg+xml" and b"<svg" in chart.data
    assert "script-src" not in chart.headers["Content-Security-Policy"]
    assert logged_in.get("/historique?date=1800-01-01").status_code == 400


def test_the_wall_names_machines_and_first_names_only(client, fablab, db):
    from datetime import UTC, datetime

    from tests.test_events import session_pair

    machines.update_machine(db, "laser", display_name="Laser Trotec", skill="decoupe-laser",
                            actor=ACTOR)  # fmt: skip
    amina = fablab.person("Amina Benali", "DEADBEEF", decoupe_laser=2)
    started, _ = session_pair(amina, start=datetime.now(UTC) - timedelta(minutes=20))
    post(client, fablab, [started])
    from common.clock import now_iso

    with writing(db):  # the station says it is in use, just now
        machines.record_heartbeat(db, machines.get_machine(db, "laser")["id"], now_iso(),
                                  {"state": "in_use"}, now_iso())  # fmt: skip
    wall = html(client.get("/tableau"))
    assert "Laser Trotec" in wall and "Amina, depuis" in wall and "Benali" not in wall


def test_the_export_week_is_picked_from_a_list(logged_in):
    page = html(logged_in.get("/export"))
    assert len(re.findall(r'<option value="\d{4}-W\d\d"', page)) == 26
    assert re.search(r"du \d+ \w+ \d{4} au \d+ \w+ \d{4} \(semaine \d+\)", page)
    bad = logged_in.get("/export?semaine=hier")
    assert (
        bad.status_code == 400
        and "Choisissez une semaine et un partenaire dans les listes." in html(bad)
    )


def test_too_big_too_many_and_a_failure_are_pages_too(logged_in, client, app, monkeypatch):
    big = logged_in.post("/personnes/nouvelle", data={"display_name": "x" * (1024 * 1024 + 1)})
    assert big.status_code == 413 and "Envoi trop gros" in html(big)
    token = csrf(client.get("/connexion"))
    for _ in range(11):
        tried = client.post("/connexion", data={"name": "x", "password": "y", "csrf_token": token})
    assert tried.status_code == 429 and "Trop d'essais" in html(tried)

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr("web.pages.today.overview.machine_states", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as served, not as tested
    failed = logged_in.get("/aujourdhui")
    assert failed.status_code == 500 and "Le serveur a eu un problème" in html(failed)
    assert "disk is on fire" not in html(failed)
