"""Pytest fixtures that start the real parts once per session (pytest plugin ``fleet``).

Session: ``nats_server``, ``postgres_server``, ``openbao_server``, ``bingx_sim``.
Per test: ``nats_url`` (admin), ``namespace`` (unique token for streams and subjects),
``database_url`` (a fresh database), ``vault_client``.
"""
