"""Errors of the vault service, grouped by what the caller must do."""


class VaultServiceError(Exception):
    """Root of every vault-service error."""


class KeeperUnavailable(VaultServiceError):
    """OpenBao/Vault cannot be reached or is sealed: fail closed, retry later."""


class KeyNotFound(VaultServiceError):
    """The user has no key (never connected, or shredded)."""


class KeyRefused(VaultServiceError):
    """Vault refused the operation (e.g. another user's ciphertext)."""
