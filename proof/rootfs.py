"""Debian root filesystems (mmdebstrap) and the two ways the proof runs things in them.

- `Chroot`: one command in an arm64 root filesystem, through qemu-user: systemd-nspawn when
  qemu-aarch64 is registered in binfmt_misc, else `proot -q qemu-aarch64-static`.
- `Booted`: a Debian container booted with systemd as its PID 1 (`systemd-nspawn --boot`).
  This machine has no systemd as PID 1 and no systemd-machined, hence `--register=no
  --keep-unit`; commands run in the container through `nsenter` into its PID 1's namespaces,
  as an administrator's SSH session would. The containers share the host's network.

Every process started here is killed by `stop()`/`kill()`, which pi_proof.py calls on any
way out, Ctrl-C included.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

MIRRORS = (
    "deb http://deb.debian.org/debian bookworm main",
    "deb http://deb.debian.org/debian bookworm-updates main",
    "deb http://deb.debian.org/debian-security bookworm-security main",
)
# What a fresh Raspberry Pi OS has that the guide relies on (mmdebstrap's minbase has not).
PI_OS_BASE = ["systemd", "systemd-sysv", "dbus", "sudo", "ca-certificates"]
BINFMT = Path("/proc/sys/fs/binfmt_misc")
QEMU_CONF = Path("/usr/lib/binfmt.d/qemu-aarch64.conf")
# Commands in a machine get a clean environment, not the proof's.
CLEAN_ENV = ["env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LANG=C.UTF-8"]


def log_run(
    cmd: list[str],
    log: Path,
    *,
    timeout: float,
    check: bool = True,
    input_text: str | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `cmd`, its output appended to `log` and returned. On a timeout or an interruption
    the process is killed, and with it a container it started (see kill_container)."""
    with log.open("a") as out:
        out.write(f"\n$ {' '.join(cmd)}\n")
    stdin = subprocess.PIPE if input_text is not None else subprocess.DEVNULL
    with subprocess.Popen(
        cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd
    ) as process:
        try:
            stdout, stderr = process.communicate(input_text, timeout=timeout)
        except BaseException:
            kill_container(process.pid)
            process.kill()
            raise
    result = subprocess.CompletedProcess(cmd, process.returncode, stdout, stderr)
    with log.open("a") as out:
        out.write(result.stdout + result.stderr + f"[exit {result.returncode}]\n")
    if check and result.returncode != 0:
        tail = (result.stdout + result.stderr).strip().splitlines()[-8:]
        raise RuntimeError(f"exit {result.returncode}: {' | '.join(tail)}")
    return result


def kill_container(nspawn_pid: int) -> None:
    """SIGKILL the PID 1 of the container that systemd-nspawn `nspawn_pid` started: its whole
    PID namespace goes with it (killing nspawn alone would leave the container running)."""
    for child in _children(nspawn_pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{child}/status").read_text().splitlines():
                if line.startswith("NSpid:") and len(line.split()) > 2 and line.split()[-1] == "1":
                    os.kill(child, signal.SIGKILL)


def binfmt_aarch64() -> bool:
    """Register qemu-aarch64 in binfmt_misc (flag F: works in any root) if it is not yet."""
    entry = BINFMT / "qemu-aarch64"
    with contextlib.suppress(OSError):
        if not (BINFMT / "register").exists():
            subprocess.run(["mount", "-t", "binfmt_misc", "binfmt_misc", str(BINFMT)], check=False)
        if not entry.exists() and QEMU_CONF.exists():
            (BINFMT / "register").write_text(QEMU_CONF.read_text().strip() + "\n")
        return entry.exists() and "enabled" in entry.read_text()
    return False


def unmount_under(directory: Path) -> None:
    """Lazily unmount whatever a killed run left mounted below `directory` (deepest first)."""
    prefix = str(directory.resolve()) + "/"
    points = [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()]
    for point in sorted((p for p in points if p.startswith(prefix)), key=len, reverse=True):
        subprocess.run(["umount", "-l", point], check=False)


def remove_tree(directory: Path) -> None:
    if directory.exists():
        unmount_under(directory)
        subprocess.run(["rm", "-rf", "--one-file-system", str(directory)], check=True)


def host_ca_hooks() -> list[str]:
    """This machine reaches PyPI through a TLS proxy whose CA is in the host's trust store: the
    machines get the host's extra CA certificates, and pip is told to use the system store.
    (A Pi on an ordinary network needs neither; without extra CAs nothing is added.)"""
    hooks = []
    for cert in sorted(Path("/usr/local/share/ca-certificates").glob("*.crt")):
        hooks.append(f"--customize-hook=upload {cert} /usr/local/share/ca-certificates/{cert.name}")
    if hooks:
        hooks += [
            '--customize-hook=chroot "$1" update-ca-certificates',
            "--customize-hook=printf '[global]\\ncert = /etc/ssl/certs/ca-certificates.crt\\n'"
            ' > "$1/etc/pip.conf"',
        ]
    return hooks


def host_names(hostname: str, *extra: str) -> list[str]:
    """/etc/hostname and /etc/hosts as a Pi OS has them (mmdebstrap writes no /etc/hosts), so
    that sudo can resolve the machine's own name; `extra` lines are added to /etc/hosts."""
    hosts = "\\n".join(
        [
            "127.0.0.1 localhost",
            "::1 localhost ip6-localhost ip6-loopback",
            f"127.0.1.1 {hostname}",
            *extra,
        ]
    )
    return [
        f'--customize-hook=echo {hostname} > "$1/etc/hostname"',
        f"--customize-hook=printf '{hosts}\\n' > \"$1/etc/hosts\"",
    ]


# The Pi's own user, as Raspberry Pi Imager makes it (passwordless sudo, a private home): the
# guide's commands are typed by it, so they run as it, from its home, with their `sudo`.
PI_USER_SETUP = (
    "useradd --create-home --shell /bin/bash --groups sudo pi && chmod 0700 /home/pi && "
    "echo 'pi ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/010_pi-nopasswd && "
    "chmod 0440 /etc/sudoers.d/010_pi-nopasswd"
)
PI_USER_HOOK = f'--customize-hook=chroot "$1" sh -c "{PI_USER_SETUP}"'


def as_pi(script: str) -> list[str]:
    """The command that runs `script` (a path in the machine) as the Pi's user, from its home."""
    return [
        "bash",
        "-c",
        f"cd /home/pi && exec runuser -u pi -- env HOME=/home/pi USER=pi LOGNAME=pi bash {script}",
    ]


def mmdebstrap(
    target: Path, log: Path, *, arch: str, variant: str, include: list[str], hooks: list[str] = ()
) -> None:
    """A Debian Bookworm root filesystem made from Debian's packages, in `target`."""
    remove_tree(target)
    cmd = ["mmdebstrap", f"--variant={variant}", f"--arch={arch}", f"--include={','.join(include)}"]
    cmd += [*hooks, "bookworm", str(target), *MIRRORS]
    log_run(cmd, log, timeout=1800)


class Chroot:
    """Commands in a foreign-architecture root filesystem, one at a time."""

    def __init__(self, root: Path, binds: dict[Path, str], *, binfmt: bool, hostname: str) -> None:
        self.root, self.binds, self.binfmt, self.hostname = root, binds, binfmt, hostname
        self.process: subprocess.Popen[str] | None = None

    def command(self, argv: list[str]) -> list[str]:
        if self.binfmt:
            cmd = [
                "systemd-nspawn",
                "--register=no",
                "--keep-unit",
                "--as-pid2",
                f"--hostname={self.hostname}",
                "--quiet",
                "--console=pipe",
                "-D",
                str(self.root),
            ]
            cmd += [f"--bind={host}:{inside}" for host, inside in self.binds.items()]
            return [*cmd, *CLEAN_ENV, *argv]
        cmd = ["proot", "-0", "-q", "qemu-aarch64-static", "-r", str(self.root), "-w", "/root"]
        for bind in ("/dev", "/proc", "/sys", "/etc/resolv.conf"):
            cmd += ["-b", bind]
        cmd += [f"-b{host}:{inside}" for host, inside in self.binds.items()]
        return [*cmd, *CLEAN_ENV, *argv]

    def run(
        self,
        argv: list[str],
        log: Path,
        *,
        timeout: float,
        check: bool = True,
        input_text: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        return log_run(self.command(argv), log, timeout=timeout, check=check, input_text=input_text)

    def start(self, argv: list[str], log: Path) -> subprocess.Popen[str]:
        """A long-running command, its standard input a pipe, its output merged and piped."""
        with log.open("a") as out:
            out.write(f"\n$ {' '.join(argv)}  (in the background)\n")
        self.process = subprocess.Popen(
            self.command(argv),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            start_new_session=True,
        )
        return self.process

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            kill_container(self.process.pid)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                status = (entry / "status").read_text()
                if f"\nPPid:\t{pid}\n" in status:
                    found.append(int(entry.name))
    return found


class Booted:
    """A Debian container booted with systemd; `sh()` runs a script in it as root."""

    def __init__(self, name: str, root: Path, binds: dict[Path, str], log: Path) -> None:
        self.name, self.root, self.binds, self.log = name, root, binds, log
        self.nspawn: subprocess.Popen[bytes] | None = None
        self.pid1: int | None = None
        self.helpers: list[subprocess.Popen[str]] = []

    def boot(self, timeout: float = 120) -> str:
        """Boot; return `systemctl is-system-running` once the boot is over."""
        cmd = [
            "systemd-nspawn",
            "--register=no",
            "--keep-unit",
            "--boot",
            "-D",
            str(self.root),
            f"--machine={self.name}",
            "--console=read-only",
        ]
        cmd += [f"--bind={host}:{inside}" for host, inside in self.binds.items()]
        with self.log.open("a") as out:
            out.write(f"\n$ {' '.join(cmd)}\n")
        console = (self.log.parent / f"{self.name}-console.log").open("ab")
        self.nspawn = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=console,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while self.pid1 is None:
            if self.nspawn.poll() is not None:
                raise RuntimeError(
                    f"systemd-nspawn exited {self.nspawn.returncode} (see console log)"
                )
            if time.monotonic() > deadline:
                raise RuntimeError("the container's systemd did not start")
            for child in _children(self.nspawn.pid):
                status = Path(f"/proc/{child}/status").read_text()
                if any(
                    line.split()[-1] == "1"
                    for line in status.splitlines()
                    if line.startswith("NSpid:") and len(line.split()) > 2
                ):
                    self.pid1 = child
            time.sleep(0.2)
        left = max(5.0, deadline - time.monotonic())
        state = self.sh("systemctl is-system-running --wait", timeout=left, check=False)
        return state.stdout.strip()

    def enter(self, argv: list[str]) -> list[str]:
        return ["nsenter", "-t", str(self.pid1), "-a", *CLEAN_ENV, *argv]

    def sh(
        self, script: str, *, timeout: float = 60, check: bool = True, input_text: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        if self.pid1 is None:
            raise RuntimeError(f"{self.name} is not running")
        return log_run(
            self.enter(["bash", "-c", script]),
            self.log,
            timeout=timeout,
            check=check,
            input_text=input_text,
        )

    def helper(self, argv: list[str]) -> subprocess.Popen[str]:
        """A process of ours in the container, fed on its standard input (dies with it)."""
        process = subprocess.Popen(
            self.enter(argv),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        self.helpers.append(process)
        return process

    def poweroff(self, timeout: float = 90) -> None:
        """`systemctl poweroff` in the container; the units stop as on a real shutdown."""
        if self.nspawn is None or self.nspawn.poll() is not None:
            return
        # Our helpers go first, as an SSH session would: systemd's final kill stops every
        # process (SIGSTOP) before SIGTERM, and a stopped child makes nsenter stop itself and
        # never reap it, so the shutdown would wait 90 s for that zombie.
        self.kill_helpers()
        self.sh("systemctl poweroff", timeout=30, check=False)
        try:
            self.nspawn.wait(timeout=timeout)
        finally:
            self.kill()

    def kill_helpers(self) -> None:
        for process in self.helpers:  # end of input ends a helper; else it is killed
            with contextlib.suppress(OSError):
                process.stdin.close()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        self.helpers = []

    def kill(self) -> None:
        """Whatever is still running, killed: the container's PID 1 takes its namespace along."""
        self.kill_helpers()
        if self.nspawn is not None and self.nspawn.poll() is None:
            if self.pid1:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid1, signal.SIGKILL)
            try:
                self.nspawn.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.nspawn.kill()
                self.nspawn.wait(timeout=10)
        self.nspawn, self.pid1 = None, None


def free_port(preferred: int | None = None) -> int:
    import socket

    for port in ([preferred] if preferred else []) + [0]:
        with socket.socket() as sock:
            try:
                sock.bind(("0.0.0.0", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise RuntimeError("no free port")


def have(*tools: str) -> list[str]:
    return [tool for tool in tools if shutil.which(tool) is None]
