"""Convert the authors' Syn-TA release (Blender, 1920x1080) to our Hub layout: ``mt-datasets syn-ta convert``.

The release is a folder per coarse class holding ``<stem>_id_<k>.mp4`` (regular camera) and ``<stem>_front_id_<k>.mp4``
(front view) for clip ids 1-50 of each of the 100 fine classes, 10,000 clips in all; ids 1-30 are train and 31-50 val
(the release's split lists, :meth:`mt_datasets.taxonomy.Taxonomy.split_list`). Every clip is probed; missing and
undecodable ones are left out and listed in the presence report. ``--size`` / ``--fps`` re-encode the clips smaller.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from functools import partial
from pathlib import Path

from mt_datasets.commands.registry import command
from mt_datasets.protocol import FINE_SETS, SPLITS
from mt_datasets.sources.build import SourceClip, build_dataset, run_build_command
from mt_datasets.sources.presence import PresenceReport
from mt_datasets.taxonomy import SYNTA_VIEWS, get_taxonomy

__all__ = ["convert_release", "iter_release_clips", "transcode", "add_parser"]

# the release numbers the clips of each fine class and view 1-50
_CLIP_IDS = range(1, 51)


def iter_release_clips() -> Iterator[SourceClip]:
    """Every clip of the release in the order of its split lists: set 1 then set 2, train then val."""
    taxonomy = get_taxonomy("syn-ta")
    for fine_set in FINE_SETS:
        for split in SPLITS:
            for fine in taxonomy.fine_indices(fine_set):
                for clip_id in _CLIP_IDS:
                    if taxonomy.split_of_clip_id(clip_id) != split:
                        continue
                    for view in SYNTA_VIEWS:
                        relative = taxonomy.release_path(fine, clip_id, view)
                        video_id = relative.rsplit("/", 1)[1].removesuffix(".mp4")
                        yield SourceClip(video_id, fine, split, (relative,), {"view": view, "clip_id": clip_id})


def transcode(path: str | Path, *, size: int | None = None, fps: float | None = None) -> bytes:
    """Re-encode a clip as H.264 mp4 with its shorter side scaled to ``size`` and/or its frame rate set to ``fps``.

    Frames are resampled by nearest time stamp (dropped or repeated), so the duration stays the same
    (:func:`mt_datasets.video.reencode_mp4`, which streams the frames: a 1080p release clip has up to 300).
    """
    from mt_datasets.video import reencode_mp4

    return reencode_mp4(path, shorter_side=size, fps=fps)


def convert_release(
    source: str | Path,
    out_dir: str | Path,
    *,
    size: int | None = None,
    fps: float | None = None,
    workers: int | None = None,
) -> Path:
    """Convert a local copy of the authors' Syn-TA release to the Hub layout (videos embedded). Returns ``out_dir``.

    ``size`` (shorter side, pixels) and ``fps`` re-encode every clip; without them the release's files are embedded
    as they are. The presence report (``meta/presence.*``) lists the clips of the split lists that are missing or do
    not decode.
    """
    import datasets

    source = Path(source)
    if not source.is_dir():
        raise FileNotFoundError(f"release folder {str(source)!r} does not exist; pass --source the Syn-TA release")
    if size is not None and size < 2:
        raise ValueError(f"--size must be at least 2 pixels, got {size}")
    if fps is not None and fps <= 0:
        raise ValueError(f"--fps must be positive, got {fps}")
    report = PresenceReport("syn-ta", source)
    recode = None if size is None and fps is None else partial(transcode, size=size, fps=fps)
    return build_dataset(
        iter_release_clips(),
        taxonomy=get_taxonomy("syn-ta"),
        out_dir=out_dir,
        report=report,
        extra_features={"view": datasets.Value("string"), "clip_id": datasets.Value("int16")},
        video_root=source,
        embed=True,
        info={"source": "syn-ta-blender-release", "builder": "mt_datasets.syn_ta.release", "size": size, "fps": fps},
        card_template="syn_ta_release_card.md.j2",
        card_context={"size": size, "fps": fps},
        license="cc-by-4.0",
        workers=workers,
        transcode=recode,
    )


@command("syn-ta")
def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``syn-ta convert``."""
    parser = subparsers.add_parser(
        "convert",
        help="convert the authors' Blender release of Syn-TA to the Hub layout",
        description=convert_release.__doc__.split("\n")[0],
    )
    parser.add_argument("--source", required=True, type=Path, help="the release folder (one folder per coarse class)")
    parser.add_argument("--out", required=True, type=Path, help="output dataset directory")
    parser.add_argument("--size", type=int, default=None, help="re-encode with this shorter side (e.g. 224)")
    parser.add_argument("--fps", type=float, default=None, help="re-encode at this frame rate")
    parser.add_argument("--workers", type=int, default=None, help="threads probing / re-encoding clips")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    return run_build_command(
        "syn-ta convert",
        "Syn-TA",
        lambda: convert_release(args.source, args.out, size=args.size, fps=args.fps, workers=args.workers),
    )
