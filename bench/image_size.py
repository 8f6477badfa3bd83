"""Size of the service image's Python environment, without a container engine.

Installs the set the Dockerfile installs (``uv export --frozen --no-dev``: runtime
dependencies only) into a temporary venv, byte-compiled, and prints its size before and
after stripping the shared libraries (the Dockerfile strips them) and its largest
packages; beside it, the baseline: the same set with polars (the strategy's ``backtest``
extra), as the image was before polars left it. The base image
(python:3.11.14-slim-bookworm, ~125 MB) comes on top.

Usage: ``.venv/bin/python bench/image_size.py``
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UV = shutil.which("uv", path=str(ROOT / ".tools" / "bin")) or "uv"
SITE = Path("lib") / "python3.11" / "site-packages"


def size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def exported(*options: str) -> list[str]:
    command = [UV, "export", "--frozen", "--no-dev", "--no-hashes", "--no-header"]
    answer = subprocess.run(
        [*command, "--no-emit-workspace", *options],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return [line for line in answer.stdout.splitlines() if line and line[0].isalnum()]


def install(where: Path, requirements: list[str]) -> Path:
    listed = where / "requirements.txt"
    listed.write_text("\n".join(requirements) + "\n")
    venv = where / "venv"
    subprocess.run([UV, "venv", "-q", "-p", "3.11", str(venv)], check=True)
    command = [UV, "pip", "install", "-q", "--compile-bytecode", "-r", str(listed)]
    subprocess.run(command, check=True, env=os.environ | {"VIRTUAL_ENV": str(venv)})
    return venv


def main() -> None:
    runtime = exported()
    backtest = exported("--package", "fleet-strategy", "--extra", "backtest")
    polars = [r for r in backtest if r.startswith("polars")]
    with tempfile.TemporaryDirectory() as tmp:
        venv = install(Path(tmp), runtime)
        compiled = size_mb(venv)
        libraries = [str(p) for p in venv.rglob("*.so*") if p.is_file()]
        subprocess.run(["strip", "--strip-unneeded", *libraries], check=False)
        stripped = size_mb(venv)
        packages = sorted(((size_mb(p), p.name) for p in (venv / SITE).iterdir()), reverse=True)
    with tempfile.TemporaryDirectory() as tmp:
        baseline = size_mb(install(Path(tmp), runtime + polars))
    print(f"{len(runtime)} runtime packages, installed and byte-compiled:")
    print(f"  baseline, with polars (before):     {baseline:6.0f} MB")
    print(f"  without polars:                     {compiled:6.0f} MB")
    print(f"  without polars, libraries stripped: {stripped:6.0f} MB  (the image's)")
    print("largest packages (stripped):")
    for megabytes, name in packages[:10]:
        print(f"  {megabytes:6.1f} MB  {name}")


if __name__ == "__main__":
    main()
