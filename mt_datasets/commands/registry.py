"""The registry of ``mt-datasets`` subcommands: the ``@command(group)`` decorator and what it recorded.

A module that drives a subcommand decorates its ``add_parser(subparsers)`` with ``@command(group)``; ``add_parser``
adds the subcommand's parser and sets ``func`` (a callable taking the parsed ``argparse.Namespace`` and returning an
exit code). This module imports nothing of the package, so the command modules import it without importing the
command line (:mod:`mt_datasets.commands.cli`, which imports them to register them).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

__all__ = ["AddParser", "command", "registered"]

AddParser = Callable[[argparse._SubParsersAction], None]

# group -> the ``add_parser`` functions of its subcommands (None: top-level commands)
_COMMANDS: dict[str | None, list[AddParser]] = {}


def command(group: str | None = None) -> Callable[[AddParser], AddParser]:
    """Decorator registering ``add_parser(subparsers)`` as a subcommand of ``group`` (``None``: a top-level command)."""

    def decorator(add_parser: AddParser) -> AddParser:
        registered = _COMMANDS.setdefault(group, [])
        if add_parser not in registered:
            registered.append(add_parser)
        return add_parser

    return decorator


def registered(group: str | None) -> list[AddParser]:
    """The ``add_parser`` functions registered in ``group``, by module: whatever order the modules were imported in,
    the same help."""
    return sorted(_COMMANDS.get(group, []), key=lambda f: f.__module__)
