"""Without binfmt_misc: an arm64 root filesystem made with `mmdebstrap --variant=extract`, then
configured by dpkg under `proot -q qemu-aarch64-static` (its second stage), as mmdebstrap's
manual suggests when qemu-user cannot be registered with the kernel.

Tried here with `--proot`: Debian 12's proot (5.1) aborts in systemd-sysusers (an assertion
in its path handling) while dpkg configures systemd, so the guide's own `systemd-sysusers`
step cannot run this way; the check then fails with that reason. binfmt_misc is the way.
"""

from __future__ import annotations

from pathlib import Path

from rootfs import MIRRORS, host_ca_hooks, log_run, remove_tree

PROOT = ["proot", "-0", "-q", "qemu-aarch64-static", "-b", "/dev", "-b", "/proc", "-b", "/sys"]


def proot_rootfs(root: Path, log: Path, base: list[str], hostname: str) -> None:
    """mmdebstrap's own recipe (its manual, "OPERATION"): the packages extracted, the .deb files
    kept, then `dpkg --install --force-depends` of them all, here under proot and qemu."""
    remove_tree(root)
    cmd = [
        "mmdebstrap",
        "--variant=extract",
        "--arch=arm64",
        "--skip=cleanup/apt/cache",
        "--include=?essential",
        f"--include=apt,{','.join(base)}",
        "bookworm",
        str(root),
        *MIRRORS,
    ]
    log_run(cmd, log, timeout=1800)
    certs = root / "usr/local/share/ca-certificates"
    certs.mkdir(parents=True, exist_ok=True)
    for cert in Path("/usr/local/share/ca-certificates").glob("*.crt"):
        (certs / cert.name).write_bytes(cert.read_bytes())
    (root / "etc/hostname").write_text(f"{hostname}\n")
    (root / "etc/hosts").write_text(f"127.0.0.1 localhost\n127.0.1.1 {hostname}\n")
    if host_ca_hooks():
        (root / "etc/pip.conf").write_text("[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n")
    script = (
        "export PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive; "
        "dpkg --install --force-depends /var/cache/apt/archives/*.deb >/dev/null; "
        "dpkg --configure -a && update-ca-certificates && rm -f /var/cache/apt/archives/*.deb"
    )
    try:
        log_run([*PROOT, "-r", str(root), "/bin/sh", "-c", script], log, timeout=3600)
    except RuntimeError as problem:
        if "compare_paths2" in str(problem):  # seen with Debian 12's proot 5.1
            raise RuntimeError(
                "proot aborts in systemd's own tools (systemd-sysusers, run by systemd's "
                "postinst and by the guide): the guide cannot run under proot here; register "
                "qemu-aarch64 in binfmt_misc instead"
            ) from None
        raise
