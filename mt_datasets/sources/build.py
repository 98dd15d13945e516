"""The build loop that K400-TA, SSv2-TA and the Syn-TA release converter share, and its ``build`` command.

Every builder describes the clips it expects as :class:`SourceClip` records and hands them to :func:`build_dataset`,
which checks each video (when a video root is given; :mod:`mt_datasets.sources.presence`), writes the rows through
:class:`mt_datasets.hub.HubDatasetWriter`, and writes the presence report next to the data. :class:`LocalCopy`
is the whole builder, and the ``build`` command, of a dataset made from a user's copy (K400-TA, SSv2-TA): each
declares one with what differs.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mt_datasets.commands.registry import command
from mt_datasets.hub.locks import DirectoryBusyError
from mt_datasets.sources.presence import (
    FOUND,
    MISSING,
    PRESENCE_JSON,
    PRESENCE_MD,
    UNDECODABLE,
    PresenceReport,
    _map_ordered,
    check_video,
    left_out_lines,
)
from mt_datasets.taxonomy import Taxonomy, get_taxonomy

__all__ = [
    "LOCAL_COPIES",
    "LocalCopy",
    "SourceClip",
    "add_build_parser",
    "build_dataset",
    "build_summary",
    "run_build_command",
]


@dataclass(frozen=True)
class SourceClip:
    """One clip a builder expects, before its video is looked up.

    Attributes:
        video_id: unique id of the clip (becomes the row's ``video_id``).
        fine_index: dataset-level fine class index (the taxonomy's).
        split: ``"train"`` or ``"val"``.
        candidates: paths relative to the video root where the clip's file may be, in order of preference; the
            first is the canonical one stored as ``relative_path`` when videos are not checked.
        extra: the builder's extra columns (everything but the base columns, ``relative_path`` and ``video``).
    """

    video_id: str
    fine_index: int
    split: str
    candidates: tuple[str, ...]
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LocalCopy:
    """A dataset built from a user's own copy of its source (K400-TA, SSv2-TA): what it is made of, its builder
    (:meth:`build`) and its ``mt-datasets <dataset> build`` command (:meth:`add_build_parser`).

    The module that reads the source's annotations is named, not imported (``"module.function"`` paths, imported
    when the dataset is built): it imports this module for :class:`SourceClip`.

    Attributes:
        dataset: the taxonomy's name, also the command group (``"k400-ta"``).
        title: the dataset's name in messages (``"K400-TA"``).
        source: the source dataset, recorded in the info record (``"kinetics-400"``).
        source_title: the source's name in messages (``"Kinetics-400"``).
        iter_clips: path of the ``(annotations folder, report) -> SourceClip`` iterator over the annotations.
        builder: the builder's name recorded in the info record: the module that read the annotations when the
            format was fixed (``"mt_datasets.kinetics"``, now :mod:`mt_datasets.sources.kinetics`), kept so that a
            build writes the same bytes.
        extra_features: path of the ``() -> {column: datasets feature}`` function, the columns besides the base ones.
        card_template: the card in ``hub_cards/``.
        license: the licence of the metadata.
        command_help: the ``build`` command's help line.
        annotations_help: the help of ``--annotations`` (which files the folder holds).
        videos_help: the help of ``--videos`` (the layout of the user's videos).
    """

    dataset: str
    title: str
    source: str
    source_title: str
    iter_clips: str
    builder: str
    extra_features: str
    card_template: str
    license: str
    command_help: str
    annotations_help: str
    videos_help: str

    def build(
        self,
        annotations: str | Path,
        out_dir: str | Path,
        *,
        videos: str | Path | None = None,
        embed: bool = False,
        workers: int | None = None,
    ) -> Path:
        """Build the dataset in the Hub layout from its source's annotations (and, optionally, the user's videos).

        Without ``videos`` the result is the metadata-only release (every clip of the dataset's classes). With
        ``videos`` (the folder of the user's copy) each clip is looked up and probed; missing and undecodable clips
        are left out and listed in ``meta/presence.*``; ``embed`` stores the found videos' bytes in a ``video``
        column. Returns ``out_dir``.
        """
        report = PresenceReport(self.dataset, videos)
        return build_dataset(
            _resolve(self.iter_clips)(Path(annotations), report),
            taxonomy=get_taxonomy(self.dataset),
            out_dir=out_dir,
            report=report,
            extra_features=_resolve(self.extra_features)(),
            video_root=videos,
            embed=embed,
            info={"source": self.source, "builder": self.builder, "embedded_videos": embed},
            card_template=self.card_template,
            license=self.license,
            workers=workers,
        )

    def add_build_parser(self, subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
        """Register the dataset's ``build`` subcommand in ``subparsers`` (its command group's)."""
        return add_build_parser(
            subparsers,
            self.build,
            dataset=self.title,
            help=self.command_help,
            description=(
                f"Build {self.title} in the Hub layout from {self.source_title}'s annotations (and, optionally, "
                "your videos)."
            ),
            annotations_help=self.annotations_help,
            videos_help=self.videos_help,
        )


def _resolve(path: str) -> Any:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def build_dataset(
    clips: Iterable[SourceClip],
    *,
    taxonomy: Taxonomy,
    out_dir: str | Path,
    report: PresenceReport,
    extra_features: Mapping[str, Any],
    video_root: str | Path | None = None,
    embed: bool = False,
    info: Mapping[str, Any] | None = None,
    card_template: str,
    card_context: Mapping[str, Any] | None = None,
    license: str = "other",
    workers: int | None = None,
    transcode: Callable[[Path], bytes] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> Path:
    """Check the clips' videos, write the rows in the Hub layout, and write the presence report.

    Without ``video_root`` every clip becomes a metadata row (the published release) whose ``relative_path`` is the
    clip's canonical path. With it, each clip is looked up (:func:`check_video`); missing and undecodable clips are
    left out and reported, found ones keep the path where they were found, and with ``embed`` their bytes go into a
    ``video`` column. The writer resumes an interrupted build in the same ``out_dir`` (committed clips are kept and
    not probed again), and the report is written even when the build stops on an error, marked incomplete.

    A partial copy builds: a split (``set{S}-{split}``) without a single usable video is left out of the configs
    (``datasets`` cannot load an empty split), and the report and the card name the splits and fine classes left out
    with their video counts. A build without any usable row raises ``ValueError`` in one line.

    ``transcode`` turns a found file into the bytes to embed (default: the file's own bytes); it runs on the
    probing threads. ``extra_features`` are the builder's columns besides the base ones and ``relative_path``;
    ``card_context`` is passed to the card template together with ``presence`` (:meth:`PresenceReport.card_summary`).
    """
    import datasets

    from mt_datasets.hub.writer import HubDatasetWriter, dataset_counts, dataset_features

    if embed and video_root is None:
        raise ValueError("embedding videos needs a video root: pass --videos DIR together with --embed")
    features = dataset_features(
        taxonomy, with_video=embed, extra={**extra_features, "relative_path": datasets.Value("string")}
    )
    with HubDatasetWriter(out_dir, taxonomy, features, info=info) as writer:
        committed = writer.committed_ids()
        try:
            load = (transcode or Path.read_bytes) if embed else None
            results = _checked(clips, video_root, committed, workers, load)
            for count, (clip, status, relative, reason, data) in enumerate(results, start=1):
                report.record(
                    clip.video_id,
                    f"set{taxonomy.fine_set[clip.fine_index]}-{clip.split}",
                    taxonomy.fine_names[clip.fine_index],
                    status,
                    reason,
                )
                if status in (None, FOUND):
                    row = {
                        "video_id": clip.video_id,
                        "coarse_label": taxonomy.fine_to_coarse[clip.fine_index],
                        "fine_label": clip.fine_index,
                        "fine_set": taxonomy.fine_set[clip.fine_index],
                        "split": clip.split,
                        **clip.extra,
                        "relative_path": relative,
                    }
                    if embed:
                        row["video"] = {"bytes": data, "path": relative}
                    writer.add(row)
                if on_progress is not None:
                    on_progress(count)
            writer.flush()
            counts = dataset_counts(out_dir)
            report.record_rows(counts["groups"], {name: sum(n.values()) for name, n in counts["fine"].items()})
            report.complete = True
        finally:
            report.write(out_dir)
        if counts["num_rows"] == 0:
            raise ValueError(_no_rows_message(report, out_dir))
        # A partial copy (some splits without a single video: e.g. only the validation videos downloaded) is still a
        # dataset: its empty splits are left out of the configs, and the report and the card list them.
        return writer.finalize(
            card_template,
            {**(card_context or {}), "presence": report.card_summary()},
            license=license,
            allow_missing_splits=True,
        )


def _no_rows_message(report: PresenceReport, out_dir: str | Path) -> str:
    totals = report.totals()
    report_path = Path(out_dir) / PRESENCE_MD
    if not totals["expected"]:
        return f"the annotations hold no clip of the {report.dataset} classes: nothing to build (see {report_path})"
    if report.checked:
        return (
            f"none of the {totals['expected']} videos of the annotations is usable under {report.video_root} "
            f"({totals[MISSING]} missing, {totals[UNDECODABLE]} undecodable): check that --videos is the folder of "
            f"your copy (see {report_path})"
        )
    return f"no row was written (see {report_path})"


def _checked(
    clips: Iterable[SourceClip],
    video_root: str | Path | None,
    committed: set[str],
    workers: int | None,
    load: Callable[[Path], bytes] | None,
) -> Iterator[tuple[SourceClip, str | None, str, str | None, bytes | None]]:
    """Pair each clip with its check result (status None without a video root) and, when ``load`` is given, the
    bytes to embed; checking and loading run on the thread pool."""
    if video_root is None:
        for clip in clips:
            yield clip, None, clip.candidates[0], None, None
        return
    root = Path(video_root)

    def check(clip: SourceClip) -> tuple[SourceClip, str | None, str, str | None, bytes | None]:
        if clip.video_id in committed:
            # An interrupted run found, decoded and committed this clip: no need to probe or read it again.
            return clip, FOUND, clip.candidates[0], None, None
        status, relative, reason = check_video(root, clip.candidates)
        data = None
        if load is not None and status == FOUND:
            try:
                data = load(root / relative)
            except VideoDecodeError as error:
                # The probe passed but the file breaks further in (e.g. truncated): treat as undecodable.
                return clip, UNDECODABLE, relative, str(error), None
        return clip, status, relative, reason, data

    from mt_datasets.video import VideoDecodeError

    yield from _map_ordered(check, clips, workers)


def build_summary(dataset: str, out_dir: str | Path) -> str:
    """What a build command prints when it ends: where the dataset is, how many videos were found, and which splits
    and classes a partial copy leaves out (from the presence report it wrote)."""
    out_dir = Path(out_dir)
    report = json.loads((out_dir / PRESENCE_JSON).read_text(encoding="utf-8"))
    totals = report["totals"]
    if report["videos_checked"]:
        found = (
            f"{totals[FOUND]} of {totals['expected']} videos found ({totals[MISSING]} missing, "
            f"{totals[UNDECODABLE]} undecodable)"
        )
    else:
        found = f"{totals['expected']} clips listed (videos not checked)"
    lines = [f"{dataset} written to {out_dir}: {found}"]
    lines += [f"  {line}" for line in left_out_lines(report["left_out_splits"], report["classes_without_rows"])]
    lines.append(f"presence report: {out_dir / PRESENCE_MD}")
    return "\n".join(lines)


def add_build_parser(
    subparsers: argparse._SubParsersAction,
    builder: Callable[..., Path],
    *,
    dataset: str,
    help: str,
    annotations_help: str,
    videos_help: str,
    description: str | None = None,
) -> argparse.ArgumentParser:
    """Register the ``build`` subcommand that K400-TA and SSv2-TA share: same options, same error handling.

    ``description`` defaults to the first line of ``builder``'s docstring.
    """
    if description is None:
        description = builder.__doc__.split("\n")[0]
    parser = subparsers.add_parser("build", help=help, description=description)
    parser.add_argument("--annotations", required=True, type=Path, help=annotations_help)
    parser.add_argument("--videos", type=Path, help=videos_help)
    parser.add_argument("--out", required=True, type=Path, help="output dataset directory")
    parser.add_argument("--embed", action="store_true", help="embed the found videos (needs --videos)")
    parser.add_argument("--workers", type=int, default=None, help="threads probing videos")

    def run(args: argparse.Namespace) -> int:
        return run_build_command(
            f"{dataset.lower()} build",
            dataset,
            lambda: builder(args.annotations, args.out, videos=args.videos, embed=args.embed, workers=args.workers),
        )

    parser.set_defaults(func=run)
    return parser


def run_build_command(command: str, dataset: str, build: Callable[[], Path]) -> int:
    """Run a build command's ``build``: print its summary and return 0, or print its error in one line (prefixed
    ``mt-datasets <command>:``) and return 2."""
    try:
        out = build()
    except (OSError, ValueError, DirectoryBusyError) as error:
        print(f"mt-datasets {command}: {error}", file=sys.stderr)
        return 2
    print(build_summary(dataset, out))
    return 0


# The datasets built from a user's own copy of their source, by name; each registers its ``<dataset> build`` command.
LOCAL_COPIES = {
    "k400-ta": LocalCopy(
        dataset="k400-ta",
        title="K400-TA",
        source="kinetics-400",
        source_title="Kinetics-400",
        iter_clips="mt_datasets.sources.kinetics.iter_kinetics_clips",
        builder="mt_datasets.kinetics",
        extra_features="mt_datasets.sources.kinetics.extra_features",
        card_template="k400_ta_card.md.j2",
        license="cc-by-4.0",
        command_help="build K400-TA from Kinetics-400's annotation CSVs (and your videos)",
        annotations_help="folder with train.csv and validate.csv",
        videos_help="your Kinetics-400 videos (train/..., val/...)",
    ),
    "ssv2-ta": LocalCopy(
        dataset="ssv2-ta",
        title="SSv2-TA",
        source="something-something-v2",
        source_title="Something-Something-v2",
        iter_clips="mt_datasets.sources.ssv2.iter_ssv2_clips",
        builder="mt_datasets.ssv2",
        extra_features="mt_datasets.sources.ssv2.extra_features",
        card_template="ssv2_ta_card.md.j2",
        license="other",
        command_help="build SSv2-TA from Something-Something-v2's annotation JSON files (and your videos)",
        annotations_help="folder with labels/train/validation.json",
        videos_help="folder of your <id>.webm videos",
    ),
}
for _copy in LOCAL_COPIES.values():
    command(_copy.dataset)(_copy.add_build_parser)
