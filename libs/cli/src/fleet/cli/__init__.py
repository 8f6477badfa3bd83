"""The ``fleet`` command: ``up``, ``status``, ``down``, plus the sub-commands services
register through the ``fleet.commands`` entry-point group (``backtest``, ``admin``, ...)."""
