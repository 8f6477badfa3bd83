"""Per-service NATS NKEYs as files: the seed (the credential) in ``<dir>/<service>.nk``,
only its public key (``U…``) in the server's configuration.

``fleet up`` (:class:`fleet.stack.nats.NatsServer`) and ``fleet nats keys`` (compose and
Kubernetes set-up, deploy/RUNBOOKS.md "Rotate NATS credentials") both make them here.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import nkeys

SEED_SUFFIX = ".nk"


def nkey_env(user: str) -> str:
    """The environment variable a deployed nats-server reads ``user``'s public key from."""
    return f"NATS_{user.upper()}_NKEY"


def seed_path(directory: Path, user: str) -> Path:
    """Where ``user``'s seed lives in ``directory``."""
    return directory / f"{user}{SEED_SUFFIX}"


def ensure_seed(path: Path, *, replace: bool = False, mode: int = 0o600) -> bool:
    """Make a new user seed at ``path`` unless one is there (or ``replace``); the file gets
    ``mode`` before the seed is written. Whether a new seed was made."""
    if path.exists() and not replace:
        return False
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    seed = nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER)
    fresh = path.with_name(path.name + ".new")
    fresh.unlink(missing_ok=True)
    descriptor = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(descriptor, "wb") as out:
        os.fchmod(out.fileno(), mode)  # the umask may have narrowed it
        out.write(seed + b"\n")
    fresh.replace(path)
    return True


def public_key(path: Path) -> str:
    """The public NKEY (``U…``) of the seed in ``path``."""
    seed = path.read_bytes().strip()
    return str(nkeys.from_seed(bytearray(seed)).public_key.decode())


def ensure_seeds(
    directory: Path, users: Iterable[str], *, replace: Iterable[str] = (), mode: int = 0o600
) -> dict[str, Path]:
    """Each user's seed file in ``directory``, made when missing (or named in ``replace``)."""
    renew = set(replace)
    files = {}
    for user in users:
        path = seed_path(directory, user)
        ensure_seed(path, replace=user in renew, mode=mode)
        files[user] = path
    return files


def merge_env_file(path: Path, values: Mapping[str, str]) -> None:
    """Set ``values`` in the dotenv file ``path`` (mode 0600): a line that names one is
    replaced, the others are kept in order, the missing ones are appended."""
    lines = path.read_text().splitlines() if path.exists() else []
    pending = dict(values)
    kept = []
    for line in lines:
        name = line.split("=", 1)[0]
        if name in pending:
            kept.append(f"{name}={pending.pop(name)}")
        else:
            kept.append(line)
    kept += [f"{name}={value}" for name, value in pending.items()]
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text("".join(f"{line}\n" for line in kept))
