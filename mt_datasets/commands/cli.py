"""``mt-datasets``: the command line of the datasets package.

Subcommands live next to the code they drive: each module decorates its ``add_parser(subparsers)`` with
``@command(group)`` from :mod:`mt_datasets.commands.registry`; ``add_parser`` adds the subcommand's parser and sets
``func`` (a callable taking the parsed ``argparse.Namespace`` and returning an exit code). The ``build`` commands of
the datasets made from a user's copy register from their one table, :data:`mt_datasets.sources.build.LOCAL_COPIES`.

    mt-datasets syn-ta generate ...   (mt_datasets.commands.generate, running mt_datasets.syn_ta.generate)
    mt-datasets syn-ta convert ...    (mt_datasets.syn_ta.release)
    mt-datasets k400-ta build ...     (mt_datasets.sources.build, reading with mt_datasets.sources.kinetics)
    mt-datasets ssv2-ta build ...     (mt_datasets.sources.build, reading with mt_datasets.sources.ssv2)
    mt-datasets publish DIR ...       (mt_datasets.hub.publish)
    mt-datasets publish-metric ...    (mt_datasets.hub.publish)
    mt-datasets verify DIR            (mt_datasets.hub.verify)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from mt_datasets import __version__
from mt_datasets.commands.registry import command, registered
from mt_datasets.errors import add_debug_argument

__all__ = ["build_parser", "command", "main"]


def _load_commands() -> None:
    # The command modules register themselves when imported; importing them here, not at the top, keeps
    # `import mt_datasets.commands.cli` light (they import the registry, not this module: no import circle).
    from mt_datasets.commands import generate  # noqa: F401
    from mt_datasets.hub import publish, verify  # noqa: F401
    from mt_datasets.sources import build  # noqa: F401
    from mt_datasets.syn_ta import release  # noqa: F401


_GROUP_HELP = {
    "syn-ta": "generate the procedural Syn-TA, or convert the authors' release",
    "k400-ta": "build K400-TA from your own copy of Kinetics-400",
    "ssv2-ta": "build SSv2-TA from your own copy of Something-Something-v2",
}


def build_parser() -> argparse.ArgumentParser:
    """The ``mt-datasets`` argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(prog="mt-datasets", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    add_debug_argument(parser)
    top = parser.add_subparsers(dest="command", metavar="COMMAND")
    _load_commands()
    # Groups in the order of their help, then the top-level commands; within a group, by module, whatever order the
    # modules happened to be imported in.
    for group in [*_GROUP_HELP, None]:
        if group is None:
            target = top
        else:
            group_parser = top.add_parser(group, help=_GROUP_HELP[group])
            target = group_parser.add_subparsers(dest="subcommand", metavar="SUBCOMMAND")
            group_parser.set_defaults(func=lambda args, p=group_parser: _print_help(p))
        for add_parser in registered(group):
            add_parser(target)
    return parser


def _print_help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``mt-datasets``; returns the process exit code.

    An ``OSError`` (a read-only or full location), a dataset error or Ctrl-C ends it with one line, exit code 2 (130
    for Ctrl-C); ``--debug`` or ``MT_DEBUG=1`` shows the traceback.
    """
    from mt_datasets.errors import DatasetMismatchError, PublishError, VideoDecodeError, run_main

    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    prog = " ".join(["mt-datasets", *(name for name in (args.command, getattr(args, "subcommand", None)) if name)])
    errors = (DatasetMismatchError, PublishError, VideoDecodeError)
    return int(run_main(prog, lambda: args.func(args), errors, debug=args.debug, exit_code=2) or 0)


if __name__ == "__main__":
    sys.exit(main())
