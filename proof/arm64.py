"""Part 1: a station installed as the guide says, on Debian Bookworm arm64 under qemu-user.

The root filesystem is made from Debian's arm64 packages; the guide's blocks `every-pi`,
`station` and `station-config` run in it (apt, the virtualenv, pip with aarch64 wheels and
spidev/evdev built by gcc inside the emulated system). Then `fablab-kiosk check` and a run
with taps written to its standard input, against a hub served on this machine. A `stdin`
reader and gpiozero's simulated pins stand in for the MFRC522 and the relay, which need a
Pi's SPI and GPIO. The guide's commands run as root here: qemu-user, registered as Debian
registers it (binfmt flags OPF, no C), does not honour setuid, so `sudo` cannot work for the
Pi's user; the containers of part 2 run them as that user.
"""

from __future__ import annotations

import json
import queue
import re
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import guide
from report import Report
from rootfs import (
    PI_OS_BASE,
    Chroot,
    host_ca_hooks,
    host_names,
    log_run,
    mmdebstrap,
)

PYTHON = Path(__file__).resolve().parent.parent / ".venv" / "bin" / "python"
UNKNOWN_UID = "AABBCCDD"
AGENT_SCRIPT = """\
sudo -u fablab /opt/fablab/venv/bin/fablab-kiosk --config /etc/fablab/station.toml run 0<&0 &
agent=$!
until [ -e /proof-io/stop-agent ]; do sleep 0.5; done
kill -TERM "$agent"
wait "$agent"
"""
CHECK_PYTHON = (
    "import platform, spidev, evdev, lgpio, gpiozero, serial, requests;"
    "print(platform.machine(), 'spidev', spidev.__file__.rsplit('/', 1)[-1],"
    " 'evdev', evdev.__version__ if hasattr(evdev, '__version__') else 'ok')"
)


class HostHub:
    """A hub with the demo data, served on this machine for the emulated station: the
    project's virtualenv for the libraries, the source snapshot (the station's) for the code."""

    def __init__(self, work: Path, port: int, log: Path, source: Path) -> None:
        self.db, self.port, self.log, self.source = work / "hub.db", port, log, source
        self.process: subprocess.Popen[bytes] | None = None

    def command(self, *args: str) -> list[str]:
        return [str(PYTHON), "-c", "from web.cli import main; main()", "--db", str(self.db), *args]

    def cli(self, *args: str) -> str:
        return log_run(self.command(*args), self.log, timeout=120, cwd=self.source).stdout

    def start(self) -> dict:
        self.db.unlink(missing_ok=True)
        where = log_run(
            [str(PYTHON), "-c", "import web; print(web.__file__)"],
            self.log,
            timeout=60,
            cwd=self.source,
        ).stdout.strip()
        if not where.startswith(str(self.source)):
            raise RuntimeError(f"the hub's code comes from {where}, not the snapshot")
        self.cli("init", "--demo")  # demo data goes only into a hub made for it
        demo = json.loads(self.cli("demo-data", "--json"))
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    *self.command(),
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.source,
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                url = f"http://127.0.0.1:{self.port}/api/v1/openapi.json"
                with urllib.request.urlopen(url, timeout=5) as answer:
                    if answer.status == 200:
                        return demo
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("the hub did not answer within 60 s") from None
                time.sleep(0.5)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Lines:
    """A process's output lines, read in a thread, waited for by pattern."""

    def __init__(self, process: subprocess.Popen[str], log: Path) -> None:
        self.queue: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []

        def pump() -> None:
            with log.open("a") as out:
                for line in process.stdout:
                    out.write(line)
                    out.flush()
                    self.queue.put(line.rstrip("\n"))
            self.queue.put(None)

        threading.Thread(target=pump, daemon=True).start()

    def wait_for(self, pattern: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.queue.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                line = ""
            if line is None:
                raise RuntimeError(f"the agent exited before logging {pattern!r}")
            if line:
                self.seen.append(line)
                if re.search(pattern, line):
                    return line
            if time.monotonic() > deadline:
                raise RuntimeError(f"no {pattern!r} within {timeout:.0f} s")


def run(report: Report, work: Path, source: Path, binfmt: bool, port: int) -> None:
    """Every check of part 1, in order; a required one failing ends the phase."""
    found = guide.blocks()
    root, io = work / "arm64-root", work / "arm64-io"
    io.mkdir(parents=True, exist_ok=True)
    (io / "stop-agent").unlink(missing_ok=True)
    log = report.log
    binds = {source: "/srv/fablab-src", io: "/proof-io"}
    chroot = Chroot(root, binds, binfmt=binfmt, hostname="laser")
    hub = HostHub(io, port, log, source)
    how = "qemu-aarch64 in binfmt_misc" if binfmt else "proot -q qemu-aarch64-static"
    try:
        with report.check(
            "arm64: Debian Bookworm root filesystem (mmdebstrap)", required=True
        ) as d:
            if binfmt:
                hooks = host_names("laser") + host_ca_hooks()
                mmdebstrap(
                    root, log, arch="arm64", variant="minbase", include=PI_OS_BASE, hooks=hooks
                )
            else:
                from fallback import proot_rootfs

                proot_rootfs(root, log, PI_OS_BASE, "laser")
            machine = chroot.run(["uname", "-m"], log, timeout=120).stdout.strip()
            if machine != "aarch64":
                raise RuntimeError(f"uname -m says {machine!r}, not aarch64")
            d.append(f"uname -m: {machine}, run through {how}")

        with report.check("arm64: hub with demo data served on this machine", required=True) as d:
            demo = hub.start()
            token = demo["tokens"]["laser"]
            d.append(f"http://127.0.0.1:{port}/ (the snapshot's code), token of 'laser'")
        url = f"http://127.0.0.1:{port}"
        # The guide's station takes the hub's authority (Caddy's, part 2); this hub is plain
        # HTTP on this machine, so any certificate file stands in for it (ca_file unused).
        (io / "hub-ca.crt").write_bytes(Path("/etc/ssl/certs/ca-certificates.crt").read_bytes())
        reader = 'kind = "stdin"                        # the proof: taps on standard input'
        (io / "station.toml").write_text(
            guide.station_toml(found, token=token, url=url, reader=reader)
        )
        (io / "guide-reader.toml").write_text(
            guide.guide_toml_with_token(found, token=token, url=url)
        )

        with report.check(
            "arm64: the guide's steps every-pi, station, station-config", required=True
        ) as d:
            script = guide.script(["every-pi", "station", "station-config"], found)
            (io / "install.sh").write_text(script)
            result = chroot.run(["bash", "/proof-io/install.sh"], log, timeout=3600)
            built = re.findall(
                r"(?:Building wheel for|Running setup.py install for) ([^:\s]+)",
                result.stdout + result.stderr,
            )
            wheels = re.findall(r"Downloading (\S+?)-[\d.]+-\S+aarch64\.whl", result.stdout)
            d.append(f"built from source: {', '.join(sorted(set(built)))}")
            d.append(f"aarch64 wheels: {', '.join(sorted(set(wheels))) or 'none'}")

        with report.check("arm64: station libraries load in the venv (spidev, evdev, lgpio)") as d:
            venv = "/opt/fablab/venv/bin/python"
            out = chroot.run([venv, "-c", CHECK_PYTHON], log, timeout=300).stdout.strip()
            if not out.startswith("aarch64"):
                raise RuntimeError(out)
            if not {"spidev", "evdev"} <= set(built):
                raise RuntimeError(f"spidev or evdev not built from source here ({built})")
            d.append(out)

        with report.check("arm64: `kiosk check` (stdin reader, simulated pins)") as d:
            script = guide.script(["station-check"], found)
            (io / "check.sh").write_text(script)
            out = chroot.run(["bash", "/proof-io/check.sh"], log, timeout=600).stdout
            hub_line = next((line for line in out.splitlines() if "hub:" in line), "")
            if "knows this station as 'laser'" not in hub_line:
                raise RuntimeError(f"hub line: {hub_line!r}")
            d.append(f"{out.count('ok ')} ok lines; {hub_line.strip()}")

        with report.check("arm64: `check` with the guide's MFRC522 reader names the reader") as d:
            argv = [
                "/opt/fablab/venv/bin/fablab-kiosk",
                "--config",
                "/proof-io/guide-reader.toml",
                "check",
            ]
            result = chroot.run(argv, log, timeout=600, check=False)
            problems = [line for line in result.stdout.splitlines() if line.startswith("PROBLEM")]
            if result.returncode != 1 or [p.split(":")[0] for p in problems] != [
                "PROBLEM  badge reader"
            ]:
                raise RuntimeError(f"exit {result.returncode}, {problems}")
            d.append(f"exit 1, only: {problems[0][:160]}")

        taps(report, chroot, io, hub, demo)
    finally:
        (io / "stop-agent").touch()
        chroot.stop()
        hub.stop()


def taps(report: Report, chroot: Chroot, io: Path, hub: HostHub, demo: dict) -> None:
    """`fablab-kiosk run` in arm64 as the fablab user, taps on its standard input."""
    uids = {person["name"]: person["uid"] for person in demo["people"]}
    amina, jean, lucas = uids["Amina Benali"], uids["Jean Dupont"], uids["Lucas Petit"]
    (io / "agent.sh").write_text(AGENT_SCRIPT)
    with report.check("arm64: `fablab-kiosk run`: decisions on taps", required=True) as d:
        started = time.monotonic()
        process = chroot.start(["bash", "/proof-io/agent.sh"], report.log)
        lines = Lines(process, report.log)
        lines.wait_for(r"station ready", 300)
        lines.wait_for(r"access list \S+: \d+ badges$", 120)  # from the hub, not disk
        d.append(f"ready and synced in {time.monotonic() - started:.0f} s")
        for uid, expected in (
            (amina, r"decision granted"),
            (jean, r"decision denied:expired"),
            # Untrained: not_trained, or unknown_badge where the hub sends only the badges
            # that matter to the machine.
            (lucas, r"decision denied:(not_trained|unknown_badge)"),
            (UNKNOWN_UID, r"decision denied:unknown_badge"),
            (amina, r"decision granted"),  # the same badge again ends the session
        ):
            process.stdin.write(uid + "\n")
            process.stdin.flush()
            line = lines.wait_for(r"decision ", 60)
            if not re.search(expected, line):
                raise RuntimeError(f"{uid}: {line}")
            d.append(f"{uid}: {line.split('decision ', 1)[1]}")
    with report.check("arm64: the hub received the session") as d:
        deadline = time.monotonic() + 90
        while True:
            sessions = json.loads(hub.cli("sessions", "--json"))
            done = [s for s in sessions if s.get("ended_at") or s.get("end")]
            if done:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"no ended session at the hub after 90 s: {sessions}")
            time.sleep(2)
        first = done[0]
        d.append(
            f"{first['machine']}, person {first['person']}: {first['started_at']} to "
            f"{first.get('ended_at')}"
        )
    with report.check("arm64: the agent stops on SIGTERM, relay off") as d:
        (io / "stop-agent").touch()
        lines.wait_for(r"machine locked", 60)
        code = process.wait(timeout=60)
        if code != 0:
            raise RuntimeError(f"the agent exited {code}")
        d.append("machine locked, exit 0")
