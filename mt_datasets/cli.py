"""``mt-datasets``: the command line of the datasets package.

Subcommands live next to the code they drive; each module exposes ``add_parser(subparsers)`` which registers its
parser and sets ``func`` (a callable taking the parsed ``argparse.Namespace`` and returning an exit code).

    mt-datasets syn-ta generate ...   (mt_datasets.syn_ta.generate)
    mt-datasets syn-ta convert ...    (mt_datasets.syn_ta.release)
    mt-datasets k400-ta build ...     (mt_datasets.kinetics)
    mt-datasets ssv2-ta build ...     (mt_datasets.ssv2)
    mt-datasets publish DIR ...       (mt_datasets.publish)
    mt-datasets verify DIR            (mt_datasets.verify)
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# group -> modules whose ``add_parser`` registers the group's subcommands (None: a top-level command)
_COMMANDS: dict[str | None, tuple[str, ...]] = {
    "syn-ta": ("mt_datasets.syn_ta.generate", "mt_datasets.syn_ta.release"),
    "k400-ta": ("mt_datasets.kinetics",),
    "ssv2-ta": ("mt_datasets.ssv2",),
    None: ("mt_datasets.publish", "mt_datasets.verify"),
}

_GROUP_HELP = {
    "syn-ta": "generate the procedural Syn-TA, or convert the authors' release",
    "k400-ta": "build K400-TA from your own copy of Kinetics-400",
    "ssv2-ta": "build SSv2-TA from your own copy of Something-Something-v2",
}


def build_parser() -> argparse.ArgumentParser:
    """The ``mt-datasets`` argument parser with every subcommand registered."""
    from mt_datasets import __version__

    parser = argparse.ArgumentParser(prog="mt-datasets", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    top = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group, modules in _COMMANDS.items():
        if group is None:
            target = top
        else:
            group_parser = top.add_parser(group, help=_GROUP_HELP[group])
            target = group_parser.add_subparsers(dest="subcommand", metavar="SUBCOMMAND")
            group_parser.set_defaults(func=lambda args, p=group_parser: _print_help(p))
        for module in modules:
            importlib.import_module(module).add_parser(target)
    return parser


def _print_help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``mt-datasets``; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
