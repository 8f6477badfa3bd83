"""The UI's third-party files, installed from the npm registry by the project's own set-up.

``package-lock.json`` (beside this module, made once with npm and committed) pins each
package's tarball (``resolved``) and its digest (``integrity``, Subresource Integrity
``sha512-…``). This module needs no node: it downloads each tarball the UI uses, refuses
it unless the digest matches, and extracts only the files the page loads into
``static/vendor/`` (gitignored, served same-origin under ``/ui/vendor/``). A stamp of the
installed digests makes a second run a no-op. ``python -m fleet.gateway.web.vendor`` prints
one line of what it did; a missing or corrupt download is one line and exit code 2.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import sys
import tarfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import httpx

from fleet.events.errors import FleetError

HERE = Path(__file__).parent
LOCKFILE = HERE / "package-lock.json"
VENDOR_DIR = HERE / "static" / "vendor"
STAMP = ".installed.json"
DOWNLOAD_TIMEOUT_S = 60.0
# package -> the files of its tarball the page loads (a dependency bundled into them, such
# as lightweight-charts' fancy-canvas, is not installed on its own)
FILES: dict[str, tuple[str, ...]] = {
    "lightweight-charts": ("dist/lightweight-charts.standalone.production.mjs",),
    "axe-core": ("axe.min.js",),
}

Download = Callable[[str], bytes]


class VendorError(FleetError, RuntimeError):
    """A package could not be installed (download failed, digest mismatch, file missing)."""

    error_code = "vendor_install_failed"


@dataclass(frozen=True)
class LockedPackage:
    """One package as the lockfile pins it."""

    name: str
    version: str
    resolved: str
    integrity: str
    files: tuple[str, ...]


def read_lock(lockfile: Path = LOCKFILE) -> list[LockedPackage]:
    """The packages of ``FILES`` as ``lockfile`` (npm lockfileVersion 3) pins them."""
    try:
        packages = json.loads(lockfile.read_text())["packages"]
    except (OSError, ValueError, KeyError) as exc:
        raise VendorError(f"cannot read {lockfile}: {exc}") from exc
    locked = []
    for name, files in FILES.items():
        entry = packages.get(f"node_modules/{name}")
        if not entry or "resolved" not in entry or "integrity" not in entry:
            raise VendorError(f"{lockfile} pins no resolved tarball and integrity for {name}")
        locked.append(
            LockedPackage(name, entry["version"], entry["resolved"], entry["integrity"], files)
        )
    return locked


def verify_integrity(tarball: bytes, integrity: str) -> None:
    """Raise unless ``tarball`` matches one of the SRI digests (sha512/384/256) given."""
    for token in integrity.split():
        algorithm, _, expected = token.partition("-")
        if algorithm not in ("sha512", "sha384", "sha256"):
            continue
        actual = base64.b64encode(hashlib.new(algorithm, tarball).digest()).decode()
        if actual == expected:
            return
    raise VendorError("integrity check failed (the tarball is not the one the lockfile pins)")


def extract(tarball: bytes, files: Sequence[str], dest: Path) -> list[Path]:
    """Write ``files`` (paths inside the npm tarball's ``package/``) flat into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    try:
        with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
            for name in files:
                member = archive.extractfile(f"package/{name}")
                if member is None:
                    raise VendorError(f"package/{name} is not a file in the tarball")
                target = dest / PurePosixPath(name).name
                target.write_bytes(member.read())
                written.append(target)
    except (tarfile.TarError, KeyError, OSError) as exc:
        raise VendorError(f"cannot extract {', '.join(files)}: {exc}") from exc
    return written


def _http_download(url: str) -> bytes:
    try:
        answer = httpx.get(url, timeout=DOWNLOAD_TIMEOUT_S, follow_redirects=True)
        answer.raise_for_status()
    except httpx.HTTPError as exc:
        raise VendorError(f"cannot download {url}: {exc}") from exc
    return answer.content


def _installed(dest: Path) -> dict[str, str]:
    try:
        stamp = json.loads((dest / STAMP).read_text())
    except (OSError, ValueError):
        return {}
    return stamp if isinstance(stamp, dict) else {}


def _is_current(package: LockedPackage, dest: Path, stamp: dict[str, str]) -> bool:
    files_there = all((dest / PurePosixPath(f).name).is_file() for f in package.files)
    return stamp.get(package.name) == package.integrity and files_there


def install(
    packages: Sequence[LockedPackage], dest: Path = VENDOR_DIR, download: Download | None = None
) -> list[str]:
    """Install each package not yet current in ``dest``; the names installed (may be none)."""
    fetch = download or _http_download
    stamp = _installed(dest)
    done = []
    for package in packages:
        if _is_current(package, dest, stamp):
            continue
        tarball = fetch(package.resolved)
        try:
            verify_integrity(tarball, package.integrity)
        except VendorError as exc:
            raise VendorError(f"{package.name}@{package.version}: {exc}") from None
        extract(tarball, package.files, dest)
        stamp[package.name] = package.integrity
        (dest / STAMP).write_text(json.dumps(stamp, indent=1, sort_keys=True))
        done.append(f"{package.name}@{package.version}")
    return done


def main(dest: Path = VENDOR_DIR, download: Download | None = None) -> int:
    """Install the UI's packages; one line of what was done; exit 2 on failure."""
    try:
        done = install(read_lock(), dest, download)
    except VendorError as exc:
        print(f"fleet: web UI packages: {exc}", file=sys.stderr)
        return 2
    if done:
        print(f"fleet: web UI packages installed into {dest}: {', '.join(done)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
