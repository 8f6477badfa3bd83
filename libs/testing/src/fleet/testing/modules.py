"""Fixtures shared between test folders: one ``conftest.py`` loaded as a module once."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

API_CONFTEST = "tests.api.conftest"


def conftest_module(path: Path, name: str = API_CONFTEST) -> ModuleType:
    """``path`` as the module ``name`` (the name pytest gives it), loaded once per process, so
    another folder's ``conftest.py`` can re-export its fixtures."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
