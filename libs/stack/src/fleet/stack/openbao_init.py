"""``python -m fleet.stack.openbao_init``: bootstrap an external OpenBao (compose init job).

Initialises and unseals it (keys in ``FLEET_OPENBAO_KEYS``), enables transit, writes the
``fleet-vault`` policy and the vault service's token to ``FLEET_VAULT_TOKEN_FILE``.
On one machine only; production uses auto-unseal and AppRole (deploy/RUNBOOK.md).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import httpx
import hvac

from fleet.stack.openbao import enable_transit, initialise_and_unseal, vault_service_token


def _wait(addr: str, acceptable: set[int], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{addr}/v1/sys/health", timeout=2).status_code in acceptable:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise SystemExit(f"openbao_init: {addr} did not answer in {timeout:.0f} s")


def main() -> None:
    addr = os.environ.get("FLEET_VAULT_ADDR", "http://openbao:8200")
    keys = Path(os.environ.get("FLEET_OPENBAO_KEYS", "/bootstrap/openbao-keys.json"))
    token_file = Path(os.environ.get("FLEET_VAULT_TOKEN_FILE", "/bootstrap/vault-token"))
    _wait(addr, {200, 429, 472, 473, 501, 503})  # any answer: up, maybe sealed/uninitialised
    root = initialise_and_unseal(hvac.Client(url=addr, timeout=60), keys)
    _wait(addr, {200})
    client = hvac.Client(url=addr, token=root, timeout=60)
    enable_transit(client)
    vault_service_token(client, token_file)
    print("openbao ready: transit enabled, vault service token written", file=sys.stderr)


if __name__ == "__main__":
    main()
