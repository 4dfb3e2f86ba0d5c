"""Part 2: the guide's own blocks in two booted Debian 12 containers, a hub and a station.

Both run systemd 252 as PID 1 (systemd-nspawn --boot) and share this machine's network, so
the station reaches the hub container's Caddy on 127.0.0.1:443 (https://hub.local, checked
against the hub's own authority). The station's `hub.local` is an /etc/hosts line (mDNS
multicast is not sent from here). Sharing one network, the proof cannot tell a hub bound to
127.0.0.1 from one the LAN reaches; the station goes through Caddy as on real Pis. It has
no GPIO and no SPI: its pins
are gpiozero's simulated ones, and its reader a `serial` one (`lines`) on a pseudo-terminal
that the proof writes taps into, so taps go through the real unit. Then the watchdog, the
lock after a stop, backup and restore, the upgrade steps, and a restart of both containers.
"""

from __future__ import annotations

import json
import re
import shlex
import socket
import ssl
import time
from pathlib import Path

import guide
from report import Report
from rootfs import (
    PI_OS_BASE,
    PI_USER_HOOK,
    Booted,
    as_pi,
    free_port,
    host_ca_hooks,
    host_names,
    mmdebstrap,
)

PASSWORD = "proof-password-2026"
AMINA, LUCAS, UNKNOWN = "04A1B2C3D4E5F6", "8899AABB", "AABBCCDD"
HUB_CLI = "sudo -u fablab FABLAB_DB=/var/lib/fablab/hub.db /opt/fablab/venv/bin/fablab-hub"
KIOSK_LOG = "journalctl -b -u fablab-kiosk -o cat --no-pager"
TTY_FEEDER = """\
import grp, os, sys
master, slave = os.openpty()
name = os.ttyname(slave)
os.chown(name, 0, grp.getgrnam("dialout").gr_gid)  # the fablab user is in dialout
os.chmod(name, 0o660)
if os.path.lexists("/dev/ttyFABLAB"):
    os.unlink("/dev/ttyFABLAB")
os.symlink(name, "/dev/ttyFABLAB")
print("ready", name, flush=True)
for line in sys.stdin:
    os.write(master, line.encode())
"""


def wait(what: str, test, timeout: float, every: float = 1.0):
    """`test()` until it returns something true; its value, or an error naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = test()
        if value:
            return value
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not within {timeout:.0f} s")
        time.sleep(every)


def answers(ca: Path | None = None) -> bool:
    """The hub's API answers: on 127.0.0.1:5000 (the unit), or with `ca` through Caddy as
    https://hub.local, its certificate checked against the hub's authority and no other."""
    request = b"GET /api/v1/openapi.json HTTP/1.1\r\nHost: hub.local\r\nConnection: close\r\n\r\n"
    try:
        with socket.create_connection(("127.0.0.1", 443 if ca else 5000), timeout=5) as raw:
            if ca is None:
                raw.sendall(request)
                return raw.recv(64).startswith(b"HTTP/1.1 200")
            context = ssl.create_default_context(cafile=str(ca))
            with context.wrap_socket(raw, server_hostname="hub.local") as tls:
                tls.sendall(request)
                return tls.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


class Fablab:
    """The two containers and what the checks need to know about them."""

    def __init__(self, work: Path, source: Path, log: Path) -> None:
        self.found = guide.blocks()
        self.io = {role: work / f"{role}-io" for role in ("hub", "station")}
        self.roots = {role: work / f"{role}-root" for role in ("hub", "station")}
        self.machines = {
            role: Booted(
                f"fablab-proof-{role}",
                self.roots[role],
                {source: "/srv/fablab-src", self.io[role]: "/proof-io"},
                log,
            )
            for role in ("hub", "station")
        }
        self.ca = self.io["station"] / "hub-ca.crt"  # the hub's authority, once Caddy made it
        self.feeder = None
        self.token = ""
        self.last_tap = ("", 0.0)

    @property
    def hub(self) -> Booted:
        return self.machines["hub"]

    @property
    def station(self) -> Booted:
        return self.machines["station"]

    def build(self, log: Path) -> None:
        for role, root in self.roots.items():
            # The hub is named `hub` (guide, step 1); the station's `hub.local` is an /etc/hosts
            # line, mDNS's stand-in here: the hub container is on this machine's network.
            named = (
                host_names("hub") if role == "hub" else host_names("laser", "127.0.0.1 hub.local")
            )
            hooks = [*named, PI_USER_HOOK]
            mmdebstrap(
                root,
                log,
                arch="amd64",
                variant="minbase",
                include=PI_OS_BASE,
                hooks=hooks + host_ca_hooks(),
            )
            self.io[role].mkdir(parents=True, exist_ok=True)

    def blocks(self, role: str, names: list[str], timeout: float = 1800) -> str:
        script = guide.script(names, self.found, {"PROOF_PASSWORD": PASSWORD})
        (self.io[role] / "steps.sh").write_text(script)
        result = self.machines[role].sh(shlex.join(as_pi("/proof-io/steps.sh")), timeout=timeout)
        return result.stdout + result.stderr

    def kiosk_log(self) -> str:
        return self.station.sh(KIOSK_LOG, check=False).stdout

    def start_feeder(self) -> None:
        (self.io["station"] / "tty.py").write_text(TTY_FEEDER)
        self.feeder = self.station.helper(["python3", "/proof-io/tty.py"])
        line = self.feeder.stdout.readline()
        if not line.startswith("ready"):
            raise RuntimeError(f"pseudo-terminal helper: {line!r}")

    def tap(self, uid: str, expected: str, timeout: float = 60) -> str:
        """Write a tap into the reader's terminal; the journal's next decision line."""
        before = self.kiosk_log().count("decision ")
        if uid == self.last_tap[0]:  # the reader counts the same card again after 1 s away
            time.sleep(max(0.0, self.last_tap[1] + 1.5 - time.monotonic()))
        self.last_tap = (uid, time.monotonic())
        self.feeder.stdin.write(uid + "\n")
        self.feeder.stdin.flush()

        def decided() -> str | None:
            lines = [ln for ln in self.kiosk_log().splitlines() if "decision " in ln]
            return lines[before] if len(lines) > before else None

        line = wait(f"a decision for {uid}", decided, timeout)
        if not re.search(expected, line):
            raise RuntimeError(f"{uid}: {line}")
        return line.split("decision ", 1)[1]

    def sessions(self) -> list[dict]:
        return json.loads(self.hub.sh(f"{HUB_CLI} sessions --json").stdout)

    def synced(self, badges: int | None = None) -> str | None:
        """The journal's last access list received from the hub (not the one kept on disk)."""
        pattern = r"access list \S+: (\d+) badges$"
        found = [ln for ln in self.kiosk_log().splitlines() if re.search(pattern, ln)]
        if found and (badges is None or re.search(pattern, found[-1]).group(1) == str(badges)):
            return found[-1]
        return None

    def main_pid(self) -> int:
        out = self.station.sh("systemctl show -p MainPID --value fablab-kiosk").stdout
        return int(out.strip() or 0)


def run(report: Report, work: Path, source: Path) -> None:
    lab = Fablab(work, source, report.log)
    try:
        install(report, lab)
        drills(report, lab)
        restart(report, lab)
    finally:
        for machine in lab.machines.values():
            machine.kill()


def install(report: Report, lab: Fablab) -> None:
    with report.check(
        "containers: two Debian 12 amd64 root filesystems (mmdebstrap)", required=True
    ) as d:
        lab.build(report.log)
        taken = [port for port in (80, 443, 5000) if free_port(port) != port]
        if taken:  # the containers share this machine's network
            raise RuntimeError(f"port(s) {taken} in use here: the hub needs 80, 443 and 5000")
        d.append(f"minbase + {', '.join(PI_OS_BASE)}; ports 80, 443, 5000 free")
    with report.check("containers: both boot with systemd as PID 1", required=True) as d:
        for role, machine in lab.machines.items():
            state = machine.boot()
            if state not in ("running", "degraded"):
                raise RuntimeError(f"{role}: is-system-running says {state!r}")
            version = machine.sh("systemctl --version").stdout.splitlines()[0]
            d.append(f"{role}: {state}, {version}")
    with report.check(
        "hub: the guide's steps every-pi, hub, hub-tls, hub-admin, hub-register", required=True
    ) as d:
        out = lab.blocks("hub", ["every-pi", "hub", "hub-tls", "hub-admin", "hub-register"])
        match = re.search(r"Machine laser created\..*\n(fab_\S+)", out)
        if not match:
            raise RuntimeError("no token printed for the laser")
        lab.token = match.group(1)
        d.append("laser token printed")
        lab.ca.write_bytes((lab.roots["hub"] / "home/pi/hub-ca.crt").read_bytes())
    with report.check("hub: the unit runs, Caddy answers https://hub.local", required=True) as d:
        wait("the hub's API on 127.0.0.1:5000", answers, 60)
        wait(
            "https://hub.local through Caddy, with the hub's authority", lambda: answers(lab.ca), 60
        )
        state = lab.hub.sh("systemctl is-active fablab-hub", check=False).stdout.strip()
        serving = (
            lab.hub.sh(
                "journalctl -u fablab-hub -o cat --no-pager | grep 'Hub serving'", check=False
            )
            .stdout.strip()
            .splitlines()
        )
        if state != "active" or not serving:
            raise RuntimeError(f"is-active: {state}; journal: {serving}")
        d.append(f"{state}; {serving[-1]}; HTTPS with the hub's own authority")
    timers(report, lab, "hub")
    with report.check("hub: the timers' services run (each started once by hand)") as d:
        lab.hub.sh("systemctl start fablab-export.service fablab-purge.service", timeout=300)
        files = lab.hub.sh("ls /var/lib/fablab/exports").stdout.split()
        if not files:
            raise RuntimeError("no file in /var/lib/fablab/exports")
        d.append(f"both exited 0; exports: {', '.join(files)}")
    with report.check("hub: a trained person with a badge (the README's commands)") as d:
        out = lab.hub.sh(f'{HUB_CLI} person add "Amina B."').stdout
        person = out.strip().splitlines()[-1]
        lab.hub.sh(f"{HUB_CLI} badge assign {person} {AMINA}")
        lab.hub.sh(f"{HUB_CLI} grant {person} decoupe-laser --level 2 --by Claire")
        d.append(f"person {person[:8]}..., badge {AMINA}, decoupe-laser level 2")
    with report.check("station: the guide's steps every-pi, station", required=True) as d:
        out = lab.blocks("station", ["every-pi", "station"])
        built = sorted(
            set(re.findall(r"(?:Building wheel for|Running setup.py install for) ([^:\s]+)", out))
        )
        d.append(f"built from source: {', '.join(built)}")
    url = None
    reader = 'kind = "serial"\nport = "/dev/ttyFABLAB"\nprotocol = "lines"'
    toml = guide.station_toml(lab.found, token=lab.token, url=url, reader=reader)
    (lab.io["station"] / "station.toml").write_text(toml)
    with report.check("station: station-config, `kiosk check`, station-start", required=True) as d:
        lab.start_feeder()
        out = lab.blocks("station", ["station-config", "station-check", "station-start"])
        oks = [line for line in out.splitlines() if line.startswith("ok ")]
        d.append(f"check: {len(oks)} ok lines, {oks[-1].split(':', 1)[1].strip()}")
    with report.check(
        "station: the unit starts and syncs its access list from the hub", required=True
    ) as d:
        line = wait("an access list from the hub in the journal", lambda: lab.synced(), 90)
        d.append(f"{lab.station.sh('systemctl is-active fablab-kiosk').stdout.strip()}; {line}")


def timers(report: Report, lab: Fablab, when: str) -> None:
    with report.check(f"{when}: the export and purge timers are scheduled") as d:
        out = lab.hub.sh("systemctl list-timers --all --no-pager 'fablab-*'").stdout
        for unit in ("fablab-export.timer", "fablab-purge.timer"):
            line = next((ln for ln in out.splitlines() if unit in ln), "")
            if not line or line.startswith("n/a") or line.startswith("-"):
                raise RuntimeError(f"{unit} has no next run: {line!r}")
            d.append(f"{unit} next {' '.join(line.split()[:3])}")


def drills(report: Report, lab: Fablab) -> None:
    with report.check("station: taps through the unit (serial reader on a pseudo-terminal)") as d:
        d.append(lab.tap(AMINA, r"decision granted"))
        d.append(lab.tap(UNKNOWN, r"decision denied:unknown_badge"))
        d.append(lab.tap(AMINA, r"decision granted"))  # the same badge ends the session
    with report.check("hub: received the station's session") as d:
        done = wait(
            "an ended session at the hub",
            lambda: [s for s in lab.sessions() if s.get("ended_at")],
            60,
            every=2,
        )
        d.append(f"{done[0]['machine']}: {done[0]['started_at']} to {done[0]['ended_at']}")
    with report.check("station: the watchdog restarts a frozen agent, `lock` runs") as d:
        before = lab.kiosk_log()
        frozen = lab.main_pid()
        lab.station.sh(f"kill -STOP {frozen}")
        started = time.monotonic()
        wait("a new agent", lambda: lab.main_pid() not in (0, frozen), 120)
        took = time.monotonic() - started
        wait(
            "the new agent ready",
            lambda: lab.kiosk_log().count("station ready") > before.count("station ready"),
            120,
        )
        after = lab.kiosk_log()[len(before) :]
        journal = lab.station.sh(
            "journalctl -b -u fablab-kiosk --no-pager -o cat | grep -i watchdog", check=False
        ).stdout
        if "Watchdog timeout" not in journal or "driven off" not in after:
            raise RuntimeError(f"journal: {journal.strip()!r}; after: {after[-300:]!r}")
        lock = next(ln for ln in after.splitlines() if "driven off" in ln)
        d.append(
            f"pid {frozen} stopped; new agent after {took:.0f} s; "
            f"{journal.strip().splitlines()[0]}; {lock}"
        )
    with report.check("hub: the guide's backup and restore (newest backup)") as d:
        out = lab.blocks("hub", ["hub-backup", "hub-restore"])
        wait("the hub after the restore", lambda: answers(lab.ca), 60)
        if not [s for s in lab.sessions() if s.get("ended_at")]:
            raise RuntimeError("the session is gone after the restore")
        restored = re.findall(r"^(/var/lib/fablab/backups/\S+)$", out, re.M)
        d.append(f"restored {restored[-1] if restored else '?'}; the session is there")
    with report.check("upgrade: the guide's hub-upgrade and station-upgrade steps") as d:
        lab.blocks("hub", ["hub-upgrade"])
        wait("the hub after its upgrade", lambda: answers(lab.ca), 60)
        lab.blocks("station", ["station-upgrade"])
        wait(
            "the station after its upgrade",
            lambda: (
                lab.station.sh("systemctl is-active fablab-kiosk", check=False).stdout.strip()
                == "active"
            ),
            60,
        )
        units = lab.station.sh("ls /etc/systemd/system").stdout.split()
        if any(unit.startswith("fablab-hub") for unit in units):
            raise RuntimeError(f"hub units copied onto the station: {units}")
        d.append("hub answers, station active, no hub unit on the station")
    with report.check("station: `systemctl stop` runs `fablab-kiosk lock`") as d:
        before = lab.kiosk_log().count("driven off")
        lab.station.sh("systemctl stop fablab-kiosk", timeout=60)
        after = lab.kiosk_log()
        if after.count("driven off") <= before:
            raise RuntimeError(f"no 'driven off' after the stop: {after[-300:]!r}")
        d.append(next(ln for ln in reversed(after.splitlines()) if "driven off" in ln))


def restart(report: Report, lab: Fablab) -> None:
    with report.check("restart: both containers power off and boot again", required=True) as d:
        for role in ("station", "hub"):
            lab.machines[role].poweroff()
        states = [lab.machines[role].boot() for role in ("hub", "station")]
        if any(state not in ("running", "degraded") for state in states):
            raise RuntimeError(f"after the restart: {states}")
        d.append(f"hub {states[0]}, station {states[1]}")
    with report.check("restart: the hub serves again") as d:
        wait("the hub's API", lambda: answers(lab.ca), 90)
        kept = len(lab.sessions())
        if not kept:
            raise RuntimeError("the hub's sessions are gone")
        d.append(
            f"{lab.hub.sh('systemctl is-active fablab-hub').stdout.strip()}, {kept} session(s) kept"
        )
    timers(report, lab, "restart")
    with report.check("restart: the station starts by itself and follows the hub") as d:
        wait("the agent ready", lambda: "station ready" in lab.kiosk_log(), 120)
        out = lab.hub.sh(f'{HUB_CLI} person add "Lucas P."').stdout  # trained after the restart
        person = out.strip().splitlines()[-1]
        lab.hub.sh(f"{HUB_CLI} badge assign {person} {LUCAS}")
        lab.hub.sh(f"{HUB_CLI} grant {person} decoupe-laser --level 2 --by Claire")
        line = wait("the new access list at the station", lambda: lab.synced(2), 90)
        d.append(f"{lab.station.sh('systemctl is-active fablab-kiosk').stdout.strip()}; {line}")
    with report.check("restart: taps after the restart (a person trained since)") as d:
        lab.start_feeder()
        wait(
            "the reader back",
            lambda: "reader working again" in lab.kiosk_log() or "fault" not in lab.kiosk_log(),
            60,
        )
        d.append(lab.tap(LUCAS, r"decision granted"))
        d.append(lab.tap(LUCAS, r"decision granted"))  # badging out
