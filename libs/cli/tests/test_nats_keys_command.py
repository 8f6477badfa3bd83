"""``fleet nats keys``: seeds kept unless rotated, public keys merged into the env file,
per-service bundles for the secret manager; bad input is exit 2."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import nkeys
import pytest
from typer.testing import CliRunner

from fleet.cli.main import app
from fleet.stack.permissions import SERVICE_USERS

pytestmark = pytest.mark.unit


def keys(*args: str) -> tuple[int, str]:
    done = CliRunner().invoke(app, ["nats", "keys", *args])
    return done.exit_code, done.output


def test_seeds_are_made_once_and_the_env_file_keeps_its_other_lines(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("POSTGRES_PASSWORD=pabc\nNATS_GATEWAY_NKEY=Uold\n")
    seeds = tmp_path / "seeds"
    assert keys("--seeds-dir", str(seeds), "--env-file", str(env))[0] == 0
    first = {s: (seeds / f"{s}.nk").read_bytes() for s in SERVICE_USERS}
    assert stat.S_IMODE((seeds / "auth.nk").stat().st_mode) == 0o600
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    lines = env.read_text().splitlines()
    assert lines[0] == "POSTGRES_PASSWORD=pabc" and "NATS_GATEWAY_NKEY=Uold" not in lines
    public = dict(line.split("=", 1) for line in lines[1:])
    for service in SERVICE_USERS:  # each public key is the one of its seed
        seed = bytearray(first[service].strip())
        assert public[f"NATS_{service.upper()}_NKEY"] == nkeys.from_seed(seed).public_key.decode()
    assert keys("--seeds-dir", str(seeds), "--env-file", str(env))[0] == 0
    assert {s: (seeds / f"{s}.nk").read_bytes() for s in SERVICE_USERS} == first
    assert env.read_text().splitlines() == lines


def test_rotate_replaces_one_seed_and_bundles_only_it(tmp_path: Path) -> None:
    seeds, bundle = tmp_path / "seeds", tmp_path / "bundle"
    assert keys("--seeds-dir", str(seeds))[0] == 0
    before = {s: (seeds / f"{s}.nk").read_bytes() for s in SERVICE_USERS}
    code, output = keys(
        "--seeds-dir", str(seeds), "--rotate", "gateway", "--bundle-dir", str(bundle)
    )
    assert code == 0
    after = {s: (seeds / f"{s}.nk").read_bytes() for s in SERVICE_USERS}
    assert [s for s in SERVICE_USERS if after[s] != before[s]] == ["gateway"]
    assert [p.name for p in bundle.iterdir()] == ["gateway.json"]
    content = json.loads((bundle / "gateway.json").read_text())
    assert content["seed"] == after["gateway"].decode().strip()
    assert f"NATS_GATEWAY_NKEY={content['public']}" in output
    assert content["seed"] not in output  # seeds go to files, never to the output


@pytest.mark.parametrize(
    "bad", [["--rotate", "nobody"], ["--file-mode", "666"], ["--file-mode", "rw"]]
)
def test_bad_input_is_exit_2(tmp_path: Path, bad: list[str]) -> None:
    code, output = keys("--seeds-dir", str(tmp_path / "s"), *bad)
    assert code == 2, output
    assert not (tmp_path / "s" / "auth.nk").exists()
