"""`fablab-hub`: every command documented, thin, and usable from scripts."""

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from kiosk.cli import main as kiosk_main
from tests.conftest import event
from web.app import create_app
from web.cli import main


def walk(group, path=()):
    yield path, group
    if isinstance(group, click.Group):
        for name, command in group.commands.items():
            yield from walk(command, (*path, name))


@pytest.mark.parametrize("tool", [main, kiosk_main], ids=["fablab-hub", "fablab-kiosk"])
def test_every_command_has_help(tool):
    runner = CliRunner()
    commands = list(walk(tool))
    assert len(commands) > 1
    for path, command in commands:
        assert (command.help or "").strip(), f"{' '.join(path)} has no help text"
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden and param.name != "help":
                assert param.help, f"{' '.join(path)} {param.opts[0]} has no help text"
        result = runner.invoke(tool, [*path, "--help"])
        assert result.exit_code == 0, result.output
        assert "Usage:" in result.output


@pytest.fixture
def hub(tmp_path, monkeypatch):
    """Run `fablab-hub --db PATH ...` in-process; return (exit code, output lines)."""
    path = str(tmp_path / "hub.db")
    monkeypatch.delenv("FABLAB_DB", raising=False)
    runner = CliRunner()

    def run(*args, expect=0):
        result = runner.invoke(main, ["--db", path, *args])
        assert result.exit_code == expect, result.output
        return result.output.strip().splitlines()

    run.path = path
    return run


def test_commands_before_init_say_to_run_init(hub):
    assert "fablab-hub init" in hub("person", "add", "Amina", expect=1)[-1]


def test_a_fablab_set_up_from_the_command_line(hub):
    assert "applied" in hub("init")[0]
    assert "up to date" in hub("init")[0]
    hub("skill", "add", "decoupe-laser", "--name-fr", "Découpe laser", "--rome", "H2905")
    token = hub("machine", "add", "laser", "--kind", "laser", "--skill", "decoupe-laser")[-1]
    person = hub("person", "add", "Amina Benali", "--age-band", "26_44")[-1]
    assert len(person) == 8
    hub("badge", "assign", person, "04:a1:b2:c3:d4:e5:f6")
    hub("grant", person, "decoupe-laser", "--level", "3", "--by", "Claire")

    client = create_app({"DATABASE": hub.path}).test_client()
    auth = {"Authorization": f"Bearer {token}"}
    listed = client.get("/api/v1/access-list", headers=auth).get_json()
    assert [(entry["first_name"], entry["level"]) for entry in listed["badges"]] == [("Amina", 3)]
    assert listed["badges"][0]["person"] != person  # the station's own id for her

    hub("revoke", person, "decoupe-laser", "--reason", "unsafe")
    listed = client.get("/api/v1/access-list", headers=auth).get_json()
    assert listed["badges"] == []  # no training here: her badge is unknown to the laser

    new_token = hub("machine", "token", "laser")[-1]
    assert new_token != token
    assert client.get("/api/v1/access-list", headers=auth).status_code == 401
    hub("machine", "out-of-service", "laser", "--reason", "Lentille cassée")
    assert "out of service" in hub("machine", "list")[0]


def test_mistakes_get_a_clear_message_and_a_failing_exit_code(hub):
    hub("init")
    hub("skill", "add", "couture", "--name-fr", "Couture")
    person = hub("person", "add", "Amina")[-1]
    other = hub("person", "add", "Karim")[-1]
    hub("badge", "assign", person, "DEADBEEF")
    assert "already belongs" in hub("badge", "assign", other, "deadbeef", expect=1)[-1]
    assert "4, 5, 7 or 10 bytes" in hub("badge", "assign", other, "ABC", expect=1)[-1]
    assert "no skill named laser" in hub("grant", person, "laser", "--level", "2", expect=1)[-1]
    assert "no person" in hub("grant", "ZZZZ0000", "couture", "--level", "2", expect=1)[-1]
    assert "no current training" in hub("revoke", person, "couture", expect=1)[-1]
    hub("grant", person, "couture", "--level", "4", expect=2)
    hub("machine", "add", "x", "--kind", "toaster", "--skill", "couture", expect=2)
    assert "no machine named" in hub("machine", "token", "nope", expect=1)[-1]


def test_sessions_as_json(hub):
    hub("init")
    hub("skill", "add", "couture", "--name-fr", "Couture")
    token = hub("machine", "add", "couture", "--kind", "sewing", "--skill", "couture")[-1]
    person = hub("person", "add", "Amina")[-1]
    client = create_app({"DATABASE": hub.path}).test_client()
    batch = []
    for day in ("2026-11-02", "2026-11-20"):
        session = event("session_started", at=f"{day}T09:00:00Z", session=None, person=person)
        session["session"] = session["id"]
        batch += [
            session,
            event("session_ended", at=f"{day}T10:00:00Z", session=session["id"], reason="idle"),
        ]
    response = client.post(
        "/api/v1/events", headers={"Authorization": f"Bearer {token}"}, json={"events": batch}
    )
    assert not response.get_json()["rejected"]

    everything = json.loads("\n".join(hub("sessions", "--json")))
    assert len(everything) == 2
    first = everything[0]
    assert {key: first[key] for key in ("machine", "person", "end_reason")} == {
        "machine": "couture",
        "person": person,
        "end_reason": "idle",
    }
    assert first["started_at"] == "2026-11-02T09:00:00.000Z"
    assert first["ended_at"] == "2026-11-02T10:00:00.000Z"
    assert first["id"] == batch[0]["session"]
    recent = json.loads("\n".join(hub("sessions", "--json", "--since", "2026-11-10T00:00:00Z")))
    assert [row["id"] for row in recent] == [batch[2]["session"]]
    assert json.loads("\n".join(hub("sessions", "--json", "--since", "2027-01-01"))) == []
    hub("sessions", "--since", "yesterday", expect=2)


def test_demo_data_fills_an_empty_hub_made_for_the_demo_only(hub):
    hub("init")
    refused = hub("demo-data", expect=1)[-1]  # a real hub: its published logins never go in
    assert "only into a hub made for the demo" in refused and "init --demo" in refused
    assert "exists already" in hub("init", "--demo", expect=1)[-1]
    for leftover in Path(hub.path).parent.glob("hub.db*"):
        leftover.unlink()
    hub("init", "--demo")
    lines = hub("demo-data")
    assert any("DEADBEEF" in line for line in lines)
    tokens = [line.split()[-1] for line in lines if line.strip().startswith(("laser ", "couture "))]
    assert len(tokens) == 2 and all(token.startswith("fab_") for token in tokens)
    assert "empty hub" in hub("demo-data", expect=1)[-1]


def test_the_database_defaults_to_fablab_db(tmp_path, monkeypatch):
    monkeypatch.setenv("FABLAB_DB", str(tmp_path / "from-env.db"))
    result = CliRunner().invoke(main, ["init"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "from-env.db").exists()


def test_an_online_backup_is_a_working_hub(hub, tmp_path):
    hub("init")
    hub("skill", "add", "couture", "--name-fr", "Couture")
    person = hub("person", "add", "Amina")[-1]
    copy = tmp_path / "copy.db"
    assert "Backed up" in hub("backup", str(copy))[-1]
    assert "exists already" in hub("backup", str(copy), expect=1)[-1]
    restored = CliRunner().invoke(
        main, ["--db", str(copy), "grant", person, "couture", "--level", "2"]
    )
    assert restored.exit_code == 0, restored.output
