"""Names a package exports from its modules, imported on first use, and the old homes of moved modules.

A package's ``__getattr__`` (PEP 562) is :func:`lazy_exports`: ``from mt_datasets import read_clip`` imports
:mod:`mt_datasets.video` only then. A moved module's old file is two lines over :func:`moved`: importing it warns
(``FutureWarning``, naming the new path) and every name is looked up in the new module(s).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["lazy_exports", "moved"]


def lazy_exports(
    package: str, table: Mapping[str, str] | None = None, modules: Sequence[str] = ()
) -> Callable[[str], Any]:
    """The ``__getattr__`` of ``package``: a name of ``table`` (name -> module) comes from its module; any other from
    the first of ``modules`` whose ``__all__`` has it, else from the last of ``modules`` (its private names). Each is
    imported on first use and then kept in the package."""
    table = dict(table or {})

    def find(name: str) -> Any:
        if name in table:
            return getattr(importlib.import_module(table[name]), name)
        for path in modules:
            module = importlib.import_module(path)
            if name in getattr(module, "__all__", ()):
                return getattr(module, name)
        return getattr(importlib.import_module(modules[-1]), name)

    def __getattr__(name: str) -> Any:
        # A submodule's name is the import system's to import (`from mt_datasets.hub import locks` asks first),
        # unless the table names it (`mt_models.preprocess`, the function, beside the old module's path).
        if name.startswith("__") or (name not in table and (not modules or _is_submodule(package, name))):
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        try:
            value = find(name)
        except AttributeError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__


def _is_submodule(package: str, name: str) -> bool:
    return name.isidentifier() and importlib.util.find_spec(f"{package}.{name}") is not None


def moved(old: str, *new: str) -> Callable[[str], Any]:
    """Warn that module ``old`` moved to ``new[0]``, and return its ``__getattr__``: a name is looked up in the
    modules ``new`` in turn (the first is the new home; later ones hold names that had moved out of ``old`` before)."""
    warnings.warn(
        f"{old} has moved to {new[0]}; import it from there (the old path goes in the next release)",
        FutureWarning,
        stacklevel=3,
    )

    def __getattr__(name: str) -> Any:
        if not name.startswith("__"):
            for path in new:
                module = importlib.import_module(path)
                if hasattr(module, name):
                    return getattr(module, name)
        raise AttributeError(f"module {old!r} has no attribute {name!r}")

    return __getattr__
