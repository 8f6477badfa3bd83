"""The vault service's pure domain: the credential aggregate and the key policy."""
