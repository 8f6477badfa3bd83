"""The web UI's npm packages: installed only when the tarball matches the lockfile (no network)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest

from fleet.gateway.web import vendor
from fleet.gateway.web.vendor import LockedPackage, VendorError, install, read_lock

URL = "https://registry.example/lightweight-charts/-/lightweight-charts-5.2.1.tgz"


def _tarball(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in files.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def _sri(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


GOOD = _tarball({"dist/chart.mjs": b"export const chart = 1;\n", "README.md": b"not needed"})
PACKAGE = LockedPackage("lightweight-charts", "5.2.1", URL, _sri(GOOD), ("dist/chart.mjs",))


class _Registry:
    def __init__(self, tarball: bytes) -> None:
        self.tarball = tarball
        self.asked: list[str] = []

    def __call__(self, url: str) -> bytes:
        self.asked.append(url)
        return self.tarball


def test_a_matching_tarball_is_installed_once(tmp_path: Path) -> None:
    registry = _Registry(GOOD)
    assert install([PACKAGE], tmp_path, registry) == ["lightweight-charts@5.2.1"]
    assert (tmp_path / "chart.mjs").read_bytes() == b"export const chart = 1;\n"
    assert not (tmp_path / "README.md").exists()
    assert install([PACKAGE], tmp_path, registry) == []
    assert registry.asked == [URL]


def test_a_tampered_tarball_is_refused_and_nothing_written(tmp_path: Path) -> None:
    tampered = _tarball({"dist/chart.mjs": b"steal(document.cookie);\n"})
    with pytest.raises(VendorError, match="integrity check failed"):
        install([PACKAGE], tmp_path, _Registry(tampered))
    assert not (tmp_path / "chart.mjs").exists()


def test_a_changed_pin_or_a_deleted_file_installs_again(tmp_path: Path) -> None:
    registry = _Registry(GOOD)
    install([PACKAGE], tmp_path, registry)
    (tmp_path / "chart.mjs").unlink()
    assert install([PACKAGE], tmp_path, registry) == ["lightweight-charts@5.2.1"]
    assert len(registry.asked) == 2


def test_a_pinned_file_missing_from_the_tarball_is_an_error(tmp_path: Path) -> None:
    other = _tarball({"dist/other.mjs": b"x"})
    package = LockedPackage("x", "1.0.0", URL, _sri(other), ("dist/chart.mjs",))
    with pytest.raises(VendorError, match="cannot extract"):
        install([package], tmp_path, _Registry(other))


def test_the_committed_lockfile_pins_every_vendored_package() -> None:
    names = {package.name for package in read_lock()}
    assert names == set(vendor.FILES)
    assert all(p.integrity.startswith("sha512-") and p.resolved for p in read_lock())


def test_a_lockfile_without_resolved_urls_is_one_clear_error(tmp_path: Path) -> None:
    lockfile = tmp_path / "package-lock.json"
    pinned = {"version": "5.2.1", "integrity": PACKAGE.integrity}
    lockfile.write_text(json.dumps({"packages": {"node_modules/lightweight-charts": pinned}}))
    with pytest.raises(VendorError, match="no resolved tarball"):
        read_lock(lockfile)


def test_main_exits_2_with_one_line_when_the_download_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def refused(url: str) -> bytes:
        raise VendorError(f"cannot download {url}: connection refused")

    assert vendor.main(tmp_path, refused) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot download" in err
