"""`make pi-proof`: docs/install.md proven on Debian 12, arm64 under emulation and real systemd.

1. A station installed as the guide says on Debian Bookworm arm64 (qemu-user), checked and
   tapped against a hub on this machine (arm64.py).
2. The guide's own blocks in two booted Debian 12 containers, a hub and a station, with
   the watchdog, the lock, backup and restore, upgrades and a restart (booted.py).

Needs root, mmdebstrap, systemd-nspawn, nsenter, qemu-user-static (or proot), and Debian's
mirrors and PyPI. Its work directory (/var/tmp/fablab-pi-proof) is emptied at each start;
nothing is left running at the end, whatever happens. Prints a summary; exit 1 on a failure.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import arm64
import booted
import guide
from report import Report
from rootfs import binfmt_aarch64, free_port, have, remove_tree

REPO = Path(__file__).resolve().parent.parent
WORK = Path("/var/tmp/fablab-pi-proof")


def snapshot(work: Path, log: Path, head: bool) -> Path:
    """A git repository holding the working tree's current files (tracked and untracked, not
    ignored), committed, for the guide's `git clone URL /opt/fablab/src`."""
    target = work / "fablab-src"
    remove_tree(target)
    target.mkdir(parents=True)
    if head:  # the last commit only (for trying the proof while the tree is being edited)
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", "HEAD"], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    else:
        listed = subprocess.run(
            ["git", "-C", str(REPO), "ls-files", "-co", "--exclude-standard", "-z"],
            check=True,
            capture_output=True,
        ).stdout
        for name in filter(None, listed.decode().split("\0")):
            source = REPO / name
            if source.is_file():  # a file deleted but not yet committed is listed, not there
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target / name)
    git = ["git", "-C", str(target), "-c", "user.name=pi-proof", "-c", "user.email=proof@localhost"]
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "snapshot"]):
        subprocess.run([*git, *args], check=True, capture_output=True)
    return target


def describe_source(head: bool) -> str:
    """Which code the proof installed: the commit, and the uncommitted changes taken along."""

    def git(*args: str) -> str:
        result = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True)
        return result.stdout.strip()

    commit = git("log", "-1", "--format=%h %s")[:70]
    if head:
        return f"source: commit {commit}"
    changed = len(git("--no-optional-locks", "status", "--porcelain").splitlines())
    return f"source: working tree at commit {commit}, with {changed} uncommitted change(s)"


def interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=WORK, help=f"work directory ({WORK})")
    parser.add_argument("--only", choices=("arm64", "containers"), help="run one part only")
    parser.add_argument("--proot", action="store_true", help="arm64 through proot, not binfmt")
    parser.add_argument("--head", action="store_true", help="clone the last commit, not the tree")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("make pi-proof needs root (mmdebstrap, systemd-nspawn)", file=sys.stderr)
        return 2
    missing = have("mmdebstrap", "systemd-nspawn", "nsenter", "git")
    if missing:
        print(
            f"missing: {', '.join(missing)} (apt-get install mmdebstrap systemd-container "
            "qemu-user-static proot)",
            file=sys.stderr,
        )
        return 2
    args.work.mkdir(parents=True, exist_ok=True)
    lock = (args.work / ".lock").open("w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        print(f"another pi-proof is running in {args.work}", file=sys.stderr)
        return 2
    for old in args.work.iterdir():  # a fresh start: the last run's trees and logs go
        if old.name != ".lock":
            remove_tree(old)
    report = Report(args.work / "proof.log")
    # Ctrl-C and SIGTERM unwind through every `finally`: containers and processes are stopped.
    signal.signal(signal.SIGTERM, interrupt)
    started = time.monotonic()
    try:
        found = guide.blocks()
        report.say(f"guide blocks: {', '.join(found)}; log: {report.log}")
        source = snapshot(args.work, report.log, args.head)
        report.notes.append(describe_source(args.head))
        report.say(report.notes[-1])
        if args.only in (None, "arm64"):
            with report.phase("part 1: arm64 station under emulation"):
                binfmt = not args.proot and binfmt_aarch64()
                if not binfmt and have("proot", "qemu-aarch64-static"):
                    report.record("arm64: emulation", False, "no binfmt_misc, no proot")
                else:
                    arm64.run(report, args.work, source, binfmt, free_port())
        if args.only in (None, "containers"):
            with report.phase("part 2: booted Debian 12 containers, hub and station"):
                booted.run(report, args.work, source)
    except KeyboardInterrupt:
        report.record("interrupted", False, f"stopped after {time.monotonic() - started:.0f} s")
    except guide.GuideError as problem:
        report.record("docs/install.md", False, str(problem))
    finally:
        leftovers = subprocess.run(
            ["pgrep", "-f", f"systemd-nspawn .*-D {args.work}/"], capture_output=True, text=True
        ).stdout.split()
        if leftovers:
            report.record("cleanup", False, f"nspawn still running: {leftovers}")
    print(report.summary(), flush=True)
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
