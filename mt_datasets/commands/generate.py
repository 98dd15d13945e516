"""``mt-datasets syn-ta generate``: the command line of the Syn-TA generator.

Its options resolve into :class:`mt_datasets.syn_ta.options.GenerationOptions`, and
:func:`mt_datasets.syn_ta.generate.generate` plans, renders, resumes and packs. The command registers under the
``syn-ta`` group of :mod:`mt_datasets.commands.cli`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mt_datasets.commands.registry import command
from mt_datasets.syn_ta.appearance import PROTOCOLS
from mt_datasets.syn_ta.generate import generate
from mt_datasets.syn_ta.options import PRESETS, GenerationOptions, parse_size

__all__ = ["add_parser"]


# the options passed to GenerationOptions.resolve as parsed (the same names there and here)
_RESOLVED_AS_GIVEN = "preset num_frames fps clips_per_class crf x264_preset seed classes backgrounds".split()


@command("syn-ta")
def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``generate`` under the ``syn-ta`` command group."""
    parser = subparsers.add_parser(
        "generate",
        help="render a procedural Syn-TA dataset (Hub layout)",
        description="Render a Syn-TA dataset into the Hub layout: in parallel, resumably (rerun the same command "
        "after an interruption), and reproducibly (the same options give the same bytes on the same machine).",
    )
    parser.add_argument("--out", required=True, type=Path, help="dataset directory (new, or a run to resume)")
    parser.add_argument(
        "--appearance-split",
        default=None,
        help=f"how appearance differs between the fine sets: {', '.join(PROTOCOLS)} (default: paper)",
    )
    parser.add_argument("--protocol", default=None, help="deprecated alias of --appearance-split")
    parser.add_argument(
        "--preset", default="mini", help=f"{', '.join(PRESETS)} (default: mini); options below override it"
    )
    parser.add_argument("--workers", type=int, default=None, help="rendering processes (default: one per CPU core)")
    parser.add_argument("--seed", type=int, default=0, help="dataset seed (default: 0)")
    parser.add_argument("--num-shards", type=int, default=1, help="split the clips between this many runs")
    parser.add_argument("--shard-index", type=int, default=0, help="the share this run makes (0-based)")
    parser.add_argument("--size", default=None, help="frame size N (square) or WxH, even (default: the preset's)")
    parser.add_argument("--num-frames", type=int, default=None, help="frames per clip (default: the preset's)")
    parser.add_argument("--fps", type=float, default=None, help="frame rate (default: the preset's)")
    parser.add_argument(
        "--clips-per-class", type=int, default=None, help="clips per view and fine class, split 3:2 into train / val"
    )
    parser.add_argument("--crf", type=int, default=20, help="x264 constant rate factor, 0-51 (default: 20)")
    parser.add_argument("--x264-preset", default="veryfast", help="x264 speed preset (default: veryfast)")
    parser.add_argument("--backgrounds", type=Path, default=None, help="folder of background images")
    parser.add_argument(
        "--classes", nargs="+", default=None, help="file stems (orbiting6), coarse classes (orbiting) or fine names"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    from mt_datasets.errors import DatasetMismatchError
    from mt_datasets.hub.locks import DirectoryBusyError

    try:
        if args.protocol is not None:
            print("warning: --protocol is deprecated; use --appearance-split", file=sys.stderr)
        options = GenerationOptions.resolve(
            appearance_split=args.appearance_split or args.protocol or "paper",
            size=None if args.size is None else parse_size(args.size),
            **{name: getattr(args, name) for name in _RESOLVED_AS_GIVEN},
        )
        result = generate(
            args.out,
            options,
            workers=args.workers,
            num_shards=args.num_shards,
            shard_index=args.shard_index,
            progress=not args.no_progress,
        )
    except (ValueError, FileNotFoundError, NotADirectoryError, DatasetMismatchError, DirectoryBusyError) as error:
        print(f"mt-datasets syn-ta generate: error: {error}", file=sys.stderr)
        return 2
    if result.already_complete:
        print(f"{result.out_dir} already holds this dataset ({result.num_clips} clips, verified); nothing to do")
        return 0
    if result.repaired:
        print(
            f"{result.out_dir} held this dataset, damaged ({len(result.repaired)} problem(s); the first: "
            f"{result.repaired[0]}); {result.made} clips made again"
        )
    if result.packed:
        print(
            f"wrote {result.num_clips} clips to {result.out_dir} ({result.made} made now, {result.skipped} resumed) "
            f"in {result.seconds:.1f} s; load with datasets.load_dataset({str(result.out_dir)!r}, 'set1')"
        )
    elif result.missing:
        print(
            f"made {result.made} clips ({result.clips_per_second:.1f} clips/s); {result.missing} clips of other "
            "shards are not staged yet: the run that finishes last packs the dataset"
        )
    return 0
