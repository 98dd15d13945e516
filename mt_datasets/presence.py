"""Which of a dataset's videos are present: the check, the presence report, and the build loop the builders share.

K400-TA and SSv2-TA are built from a user's own copy of Kinetics-400 / Something-Something-v2, where some videos are
always missing (YouTube clips vanish) or broken; the authors' Syn-TA release may be incomplete too. Every builder
describes the clips it expects as :class:`SourceClip` records and hands them to :func:`build_dataset`, which checks
each video (when a video root is given), writes the rows through :class:`mt_datasets.hub.HubDatasetWriter`, and
writes a :class:`PresenceReport` next to the data: ``meta/presence.json`` and ``meta/presence.md`` list what was
expected, found, missing and undecodable, per split and per class, with the video ids, plus one line per bad input row.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mt_datasets.files import atomic_write_bytes
from mt_datasets.locks import DirectoryBusyError
from mt_datasets.taxonomy import Taxonomy

__all__ = [
    "FOUND",
    "MISSING",
    "UNDECODABLE",
    "PRESENCE_JSON",
    "PRESENCE_MD",
    "PresenceReport",
    "SourceClip",
    "build_dataset",
    "build_summary",
    "check_video",
    "check_videos",
]

logger = logging.getLogger(__name__)

FOUND, MISSING, UNDECODABLE = "found", "missing", "undecodable"
PRESENCE_JSON = "meta/presence.json"
PRESENCE_MD = "meta/presence.md"
# Ids listed per section of the Markdown report; the JSON always lists every id.
_MD_ID_LIMIT = 50


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


def check_video(root: str | Path, candidates: Sequence[str]) -> tuple[str, str, str | None]:
    """Find a clip's file under ``root`` and check that it decodes.

    Returns ``(status, relative_path, reason)``: status ``"found"`` (``relative_path`` is the file that exists),
    ``"missing"`` (no candidate exists, or one would escape ``root``; ``relative_path`` is the first candidate) or
    ``"undecodable"`` (the file exists but :func:`mt_datasets.video.probe_video` fails on it). ``reason`` says why for
    the last two.
    """
    from mt_datasets.video import VideoDecodeError, probe_video, resolve_video_path

    for relative in candidates:
        try:
            path = resolve_video_path(root, relative)
        except ValueError as error:
            return MISSING, candidates[0], f"unsafe path: {error}"
        if path.is_file():
            try:
                probe_video(path)
            except VideoDecodeError as error:
                return UNDECODABLE, relative, str(error)
            return FOUND, relative, None
    return MISSING, candidates[0], "not found under the video root"


def check_videos(
    root: str | Path, candidate_lists: Iterable[Sequence[str]], *, workers: int | None = None
) -> Iterator[tuple[str, str, str | None]]:
    """:func:`check_video` over many clips, in input order, on a pool of threads.

    Probing is dominated by file I/O and FFmpeg code that releases the GIL, so threads overlap it. At most a few
    checks per worker are in flight at once, so memory stays bounded however many clips there are.
    """
    return _map_ordered(lambda candidates: check_video(root, candidates), candidate_lists, workers)


def _map_ordered(function: Callable[[Any], Any], items: Iterable[Any], workers: int | None) -> Iterator[Any]:
    workers = workers or min(8, (os.cpu_count() or 1) + 2)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: deque[Future] = deque()
        for item in items:
            pending.append(pool.submit(function, item))
            if len(pending) >= 4 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


class PresenceReport:
    """Expected / found / missing / undecodable videos per split and per class, and the bad input rows.

    Splits are keyed like the shards, ``set{S}-{split}``. Without a video root nothing is checked: the report then
    counts the expected clips and the input problems only.
    """

    def __init__(self, dataset: str, video_root: str | Path | None) -> None:
        self.dataset = dataset
        self.video_root = None if video_root is None else str(video_root)
        self.complete = False
        self._splits: dict[str, dict[str, Any]] = {}
        self._classes: dict[str, dict[str, Any]] = {}
        self._problems: list[dict[str, str]] = []
        self._skipped_labels: Counter[str] = Counter()
        self._skipped_hints: dict[str, str] = {}
        # filled by record_rows() once the rows are written: what a partial copy leaves out
        self.left_out_splits: dict[str, dict[str, int]] = {}
        self.classes_without_rows: dict[str, dict[str, int]] = {}

    @property
    def checked(self) -> bool:
        """Whether videos were looked up (a video root was given)."""
        return self.video_root is not None

    def record(self, video_id: str, split_key: str, class_name: str, status: str | None, reason: str | None = None):
        """Count one expected clip; ``status`` is None when videos are not checked."""
        for table, key in ((self._splits, split_key), (self._classes, class_name)):
            entry = table.setdefault(key, {"expected": 0, FOUND: 0, MISSING: [], UNDECODABLE: []})
            entry["expected"] += 1
            if status == FOUND:
                entry[FOUND] += 1
            elif status == MISSING:
                entry[MISSING].append(video_id)
            elif status == UNDECODABLE:
                entry[UNDECODABLE].append({"video_id": video_id, "reason": reason or ""})

    def problem(self, where: str, kind: str, message: str) -> None:
        """Record one bad input row (``where`` = ``file:line``), which the build skipped."""
        self._problems.append({"where": where, "kind": kind, "message": message})
        logger.warning("%s: %s", where, message)

    def skipped_label(self, label: str, hint: str | None = None) -> None:
        """Count one row of a source class that is not part of the dataset (normal: e.g. 195 Kinetics classes)."""
        self._skipped_labels[label] += 1
        if hint:
            self._skipped_hints[label] = hint

    @property
    def problems(self) -> list[dict[str, str]]:
        """The bad input rows, in input order."""
        return list(self._problems)

    def totals(self) -> dict[str, int | None]:
        """``expected``, ``found``, ``missing``, ``undecodable`` over all splits (the last three None if unchecked)."""
        expected = sum(entry["expected"] for entry in self._splits.values())
        if not self.checked:
            return {"expected": expected, FOUND: None, MISSING: None, UNDECODABLE: None}
        return {
            "expected": expected,
            FOUND: sum(entry[FOUND] for entry in self._splits.values()),
            MISSING: sum(len(entry[MISSING]) for entry in self._splits.values()),
            UNDECODABLE: sum(len(entry[UNDECODABLE]) for entry in self._splits.values()),
        }

    def record_rows(self, groups: Mapping[str, int], fine_rows: Mapping[str, int]) -> None:
        """Note what the written dataset lacks: the splits (``set{S}-{split}``) and fine classes without any row.

        ``groups`` and ``fine_rows`` are the rows written per split and per fine class; each entry left out gets the
        number of videos the annotations expected for it and how many were missing or undecodable.
        """

        def counts(entry: Mapping[str, Any] | None) -> dict[str, int]:
            if entry is None:
                return {"expected": 0, MISSING: 0, UNDECODABLE: 0}
            return {"expected": entry["expected"], MISSING: len(entry[MISSING]), UNDECODABLE: len(entry[UNDECODABLE])}

        self.left_out_splits = {key: counts(self._splits.get(key)) for key, n in sorted(groups.items()) if n == 0}
        self.classes_without_rows = {
            name: counts(self._classes.get(name)) for name, n in sorted(fine_rows.items()) if n == 0
        }

    def left_out_lines(self) -> list[str]:
        """One line per split left out, then one for the classes without rows (empty for a complete copy)."""
        lines = [
            f"split {key}: no rows ({entry['expected']} videos expected, {entry[MISSING]} missing, "
            f"{entry[UNDECODABLE]} undecodable); left out of the configs"
            for key, entry in self.left_out_splits.items()
        ]
        if self.classes_without_rows:
            names = list(self.classes_without_rows)
            expected = sum(entry["expected"] for entry in self.classes_without_rows.values())
            shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
            lines.append(f"{len(names)} fine classes have no rows ({expected} videos expected for them): {shown}")
        return lines

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the report."""

        def section(table: dict[str, dict[str, Any]]) -> dict[str, Any]:
            if self.checked:
                return {key: table[key] for key in sorted(table)}
            return {key: {"expected": table[key]["expected"]} for key in sorted(table)}

        return {
            "dataset": self.dataset,
            "video_root": self.video_root,
            "videos_checked": self.checked,
            "complete": self.complete,
            "totals": self.totals(),
            "splits": section(self._splits),
            "classes": section(self._classes),
            "problems": self._problems,
            "skipped_labels": dict(sorted(self._skipped_labels.items())),
            "skipped_label_hints": dict(sorted(self._skipped_hints.items())),
            "left_out_splits": self.left_out_splits,
            "classes_without_rows": self.classes_without_rows,
        }

    def to_markdown(self) -> str:
        """The human-readable form of the report."""
        totals = self.totals()
        lines = [f"# Presence report: {self.dataset}", ""]
        if not self.complete:
            lines += ["**The build did not finish; this report covers the rows read before it stopped.**", ""]
        if self.checked:
            lines += [
                f"Videos looked up under `{self.video_root}`: {totals['expected']} expected, {totals[FOUND]} found, "
                f"{totals[MISSING]} missing, {totals[UNDECODABLE]} undecodable.",
                "",
            ]
        else:
            lines += [f"Videos were not checked (no video root given): {totals['expected']} clips expected.", ""]
        if self.left_out_splits or self.classes_without_rows:
            lines += ["## Left out of this copy", ""]
            lines += [f"- {line}" for line in self.left_out_lines()]
            for name, entry in self.classes_without_rows.items():
                lines.append(
                    f"  - {name}: {entry['expected']} expected, {entry[MISSING]} missing, "
                    f"{entry[UNDECODABLE]} undecodable"
                )
            lines.append("")
        for title, table in (("split", self._splits), ("class", self._classes)):
            lines += [
                f"## Per {title}",
                "",
                f"| {title} | expected | found | missing | undecodable |",
                "|---|---|---|---|---|",
            ]
            for key in sorted(table):
                entry = table[key]
                if self.checked:
                    lines.append(
                        f"| {key} | {entry['expected']} | {entry[FOUND]} | {len(entry[MISSING])} | "
                        f"{len(entry[UNDECODABLE])} |"
                    )
                else:
                    lines.append(f"| {key} | {entry['expected']} | - | - | - |")
            lines.append("")
        if self.checked:
            lines += ["## Missing and undecodable videos by class", ""]
            for key in sorted(self._classes):
                entry = self._classes[key]
                for status, ids in (
                    (MISSING, entry[MISSING]),
                    (UNDECODABLE, [u["video_id"] for u in entry[UNDECODABLE]]),
                ):
                    if ids:
                        shown = ", ".join(f"`{i}`" for i in ids[:_MD_ID_LIMIT])
                        more = (
                            f" and {len(ids) - _MD_ID_LIMIT} more (see presence.json)"
                            if len(ids) > _MD_ID_LIMIT
                            else ""
                        )
                        lines.append(f"- {key}, {status} ({len(ids)}): {shown}{more}")
            lines.append("")
        lines += ["## Input problems (rows skipped)", ""]
        lines += [f"- `{p['where']}` ({p['kind']}): {p['message']}" for p in self._problems] or ["None."]
        lines.append("")
        if self._skipped_labels:
            lines += ["## Source classes not in this dataset (rows skipped)", ""]
            for label, count in sorted(self._skipped_labels.items()):
                hint = f" {self._skipped_hints[label]}" if label in self._skipped_hints else ""
                lines.append(f"- `{label}`: {count} rows.{hint}")
            lines.append("")
        return "\n".join(lines)

    def write(self, out_dir: str | Path) -> tuple[Path, Path]:
        """Write ``meta/presence.json`` and ``meta/presence.md`` under ``out_dir``; returns both paths."""
        json_path, md_path = Path(out_dir) / PRESENCE_JSON, Path(out_dir) / PRESENCE_MD
        json_path.parent.mkdir(parents=True, exist_ok=True)
        for path, text in ((json_path, json.dumps(self.to_dict(), indent=1) + "\n"), (md_path, self.to_markdown())):
            atomic_write_bytes(path, text.encode("utf-8"))
        return json_path, md_path

    def card_summary(self) -> dict[str, Any]:
        """What a dataset card says about presence: the totals, whether checked, the number of input problems, and
        what a partial copy leaves out (``left_out_splits``, ``classes_without_rows``: see :meth:`record_rows`)."""
        return {
            "checked": self.checked,
            "totals": self.totals(),
            "num_problems": len(self._problems),
            "left_out_splits": self.left_out_splits,
            "classes_without_rows": self.classes_without_rows,
        }


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

    from mt_datasets.hub import HubDatasetWriter, dataset_counts, dataset_features

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
    left_out = PresenceReport(report["dataset"], report["video_root"])
    left_out.left_out_splits, left_out.classes_without_rows = report["left_out_splits"], report["classes_without_rows"]
    lines += [f"  {line}" for line in left_out.left_out_lines()]
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
) -> argparse.ArgumentParser:
    """Register the ``build`` subcommand that K400-TA and SSv2-TA share: same options, same error handling."""
    parser = subparsers.add_parser("build", help=help, description=builder.__doc__.split("\n")[0])
    parser.add_argument("--annotations", required=True, type=Path, help=annotations_help)
    parser.add_argument("--videos", type=Path, help=videos_help)
    parser.add_argument("--out", required=True, type=Path, help="output dataset directory")
    parser.add_argument("--embed", action="store_true", help="embed the found videos (needs --videos)")
    parser.add_argument("--workers", type=int, default=None, help="threads probing videos")

    def run(args: argparse.Namespace) -> int:
        try:
            out = builder(args.annotations, args.out, videos=args.videos, embed=args.embed, workers=args.workers)
        except (OSError, ValueError, DirectoryBusyError) as error:
            print(f"mt-datasets {dataset.lower()} build: {error}", file=sys.stderr)
            return 2
        print(build_summary(dataset, out))
        return 0

    parser.set_defaults(func=run)
    return parser
