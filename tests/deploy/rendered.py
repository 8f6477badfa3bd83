"""Every Kubernetes overlay rendered once per test session by ``kubectl kustomize``, and
the validators' verdicts on it (each tool run once per overlay: checkov is slow)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = sorted(p.name for p in (K8S / "overlays").iterdir() if p.is_dir())
TOOLS = Path(sys.executable).parent
KUBECTL_MISSING = (
    "kubectl not found: install it (kustomize is built in), e.g. "
    "`curl -fsSLo ~/.local/bin/kubectl https://dl.k8s.io/release/v1.32.4/bin/linux/amd64/kubectl"
    " && chmod +x ~/.local/bin/kubectl`"
)


@dataclass(frozen=True)
class Rendered:
    """One overlay's output: the file written and the objects in it."""

    overlay: str
    path: Path
    objects: list[dict[str, Any]]

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [o for o in self.objects if o["kind"] == kind]

    def named(self, kind: str, name: str) -> dict[str, Any]:
        found = [o for o in self.of_kind(kind) if o["metadata"]["name"] == name]
        assert len(found) == 1, f"{self.overlay}: {kind}/{name} x{len(found)}"
        return found[0]


def kubectl() -> str:
    found = shutil.which("kubectl")
    if found is None:
        pytest.fail(KUBECTL_MISSING, pytrace=False)
    return found


@cache
def render(overlay: str, out_dir: Path) -> Rendered:
    answer = subprocess.run(
        [kubectl(), "kustomize", str(K8S / "overlays" / overlay)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert answer.returncode == 0, f"{overlay}: {answer.stderr.strip()}"
    path = out_dir / f"{overlay}.yaml"
    path.write_text(answer.stdout)
    objects = [o for o in yaml.safe_load_all(answer.stdout) if o]
    return Rendered(overlay, path, objects)


@cache
def checkov(path: Path) -> dict[str, Any]:
    """checkov's JSON report on one rendered file (offline: no guideline download)."""
    answer = subprocess.run(
        [
            str(TOOLS / "checkov"),
            *("-f", str(path), "--framework", "kubernetes", "--quiet", "--compact"),
            *("-o", "json", "--skip-download"),
        ],
        capture_output=True,
        text=True,
        check=False,
        env={"BC_SKIP_MAPPING": "TRUE", "PATH": str(TOOLS), "HOME": str(path.parent)},
    )
    report = json.loads(answer.stdout)
    return dict(report[0] if isinstance(report, list) else report)
