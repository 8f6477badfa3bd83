"""One error tree: every exception Fleet declares is a ``FleetError`` with its own stable,
unique, snake_case ``error_code``."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import fleet
from fleet.events.errors import FleetError

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [*ROOT.glob("libs/*/src/fleet"), *ROOT.glob("services/*/src/fleet")]
SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


def _import_everything() -> None:
    for module in pkgutil.walk_packages(fleet.__path__, "fleet."):
        if module.name.endswith("__main__") or ".migrations" in module.name:
            continue  # a script, or alembic's, run only by alembic
        importlib.import_module(module.name)


def _tree(root: type[FleetError]) -> list[type[FleetError]]:
    found: list[type[FleetError]] = []
    for sub in root.__subclasses__():
        found += [sub, *_tree(sub)]
    return found


def test_every_error_class_has_its_own_unique_snake_case_code() -> None:
    _import_everything()
    classes: list[type[FleetError]] = [FleetError, *_tree(FleetError)]
    fleet_classes = [cls for cls in classes if cls.__module__.startswith("fleet.")]
    missing = [cls.__qualname__ for cls in fleet_classes if "error_code" not in vars(cls)]
    assert missing == []
    codes: dict[str, str] = {}
    for cls in fleet_classes:
        name = f"{cls.__module__}.{cls.__qualname__}"
        assert SNAKE.match(cls.error_code), name
        assert cls.error_code not in codes, f"{name} reuses {codes.get(cls.error_code)}'s code"
        codes[cls.error_code] = name


def test_no_exception_class_outside_the_tree() -> None:
    """Every ``class X(...)`` in production code that is an exception derives from FleetError."""
    _import_everything()
    outside: list[str] = []
    for source in SOURCES:
        for path in source.rglob("*.py"):
            if "migrations" in path.parts or path.name == "__main__.py":
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ClassDef):
                    module = ".".join(path.relative_to(source.parent).with_suffix("").parts)
                    module = module.removesuffix(".__init__")
                    cls = getattr(importlib.import_module(module), node.name, None)
                    if (
                        isinstance(cls, type)
                        and issubclass(cls, BaseException)
                        and not issubclass(cls, FleetError)
                    ):
                        outside.append(f"{module}.{node.name}")
    assert outside == []
