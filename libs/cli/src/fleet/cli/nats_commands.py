"""``fleet nats keys``: the services' NATS NKEYs for compose and Kubernetes.

One seed per service user in a directory (the credential: never committed, each service
mounts only its own), the public keys as ``NATS_<SERVICE>_NKEY`` lines (what the deployed
nats.conf reads from its environment). deploy/RUNBOOKS.md "Rotate NATS credentials".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from fleet.stack.nkey_files import ensure_seeds, merge_env_file, nkey_env, public_key
from fleet.stack.permissions import SERVICE_USERS

nats = typer.Typer(
    name="nats", help="NATS credentials of the deployed stack.", no_args_is_help=True
)


def _mode(text: str) -> int:
    try:
        mode = int(text, 8)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not an octal file mode (e.g. 600)") from None
    if mode & ~0o644 or not mode & 0o400:
        raise typer.BadParameter("a seed file may be at most 644 and must be owner-readable")
    return mode


@nats.command("keys")
def keys(
    seeds_dir: Annotated[
        Path,
        typer.Option(
            "--seeds-dir",
            help="Where each service's seed is kept (<service>.nk; the directory 0700). "
            "A missing seed is made, an existing one kept.",
        ),
    ],
    rotate: Annotated[
        list[str] | None,
        typer.Option("--rotate", help="Replace this service's seed (repeatable)."),
    ] = None,
    env_file: Annotated[
        Path | None,
        typer.Option(
            "--env-file",
            help="Set the NATS_<SERVICE>_NKEY lines in this dotenv file (0600), keeping "
            "its other lines; without it they are printed.",
        ),
    ] = None,
    file_mode: Annotated[
        str,
        typer.Option(
            "--file-mode",
            help="Octal mode of a new seed file. 600; 644 when a container running as "
            "another uid reads it through a bind mount (the 0700 directory keeps other "
            "users of this machine out).",
        ),
    ] = "600",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print {service: public key} as JSON.")
    ] = False,
    bundle_dir: Annotated[
        Path | None,
        typer.Option(
            "--bundle-dir",
            help="Also write <service>.json = {seed, public} (0600) per service, the "
            "properties of the remote key fleet/nats-nkey-<service> External Secrets "
            "reads (Kubernetes); only the rotated ones with --rotate.",
        ),
    ] = None,
) -> None:
    """Make the services' NATS NKEY seeds (kept when present) and give their public keys."""
    mode = _mode(file_mode)
    unknown = sorted(set(rotate or ()) - set(SERVICE_USERS))
    if unknown:
        typer.echo(f"fleet nats keys: unknown service {unknown}; one of {list(SERVICE_USERS)}")
        raise typer.Exit(2)
    seeds_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    seeds_dir.chmod(0o700)
    files = ensure_seeds(seeds_dir, SERVICE_USERS, replace=rotate or (), mode=mode)
    public = {user: public_key(path) for user, path in files.items()}
    lines = {nkey_env(user): key for user, key in public.items()}
    if bundle_dir is not None:
        _write_bundles(bundle_dir, files, public, only=set(rotate or ()) or set(files))
    if env_file is not None:
        merge_env_file(env_file, lines)
        typer.echo(f"{len(files)} seeds in {seeds_dir}; public keys set in {env_file}", err=True)
    elif as_json:
        typer.echo(json.dumps(public, indent=2))
    else:
        for name, key in lines.items():
            typer.echo(f"{name}={key}")


def _write_bundles(
    directory: Path, files: dict[str, Path], public: dict[str, str], only: set[str]
) -> None:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    for user in sorted(only):
        path = directory / f"{user}.json"
        path.touch(mode=0o600)
        path.chmod(0o600)
        seed = files[user].read_text().strip()
        path.write_text(json.dumps({"seed": seed, "public": public[user]}) + "\n")
