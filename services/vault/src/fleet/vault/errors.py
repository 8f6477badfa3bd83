"""Errors of the vault service, grouped by what the caller must do."""

from fleet.events.errors import FleetError


class VaultError(FleetError):
    """Root of every vault-service error."""

    error_code = "vault"


class VaultServiceError(VaultError):
    """Root of the key keeper's (OpenBao/Vault) errors; the service maps them to replies."""

    error_code = "vault_keeper"


class KeeperUnavailable(VaultServiceError):
    """OpenBao/Vault cannot be reached or is sealed: fail closed, retry later."""

    error_code = "keeper_unavailable"


class KeyNotFound(VaultServiceError):
    """The user has no key (never connected, or shredded)."""

    error_code = "key_not_found"


class KeyRefused(VaultServiceError):
    """Vault refused the operation (e.g. another user's ciphertext)."""

    error_code = "key_refused"
