"""Which of a dataset's videos are present: the check (:func:`check_video`) and the presence report.

K400-TA and SSv2-TA are built from a user's own copy of Kinetics-400 / Something-Something-v2, where some videos are
always missing (YouTube clips vanish) or broken; the authors' Syn-TA release may be incomplete too. The build loop
the builders share (:mod:`mt_datasets.sources.build`) checks each video here and writes a :class:`PresenceReport`
next to the data: ``meta/presence.json`` and ``meta/presence.md`` list what was expected, found, missing and
undecodable, per split and per class, with the video ids, plus one line per bad input row.
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from mt_datasets.files import atomic_write_bytes

__all__ = [
    "FOUND",
    "MISSING",
    "UNDECODABLE",
    "PRESENCE_JSON",
    "PRESENCE_MD",
    "PresenceReport",
    "check_video",
    "check_videos",
    "left_out_lines",
]

logger = logging.getLogger(__name__)

FOUND, MISSING, UNDECODABLE = "found", "missing", "undecodable"
PRESENCE_JSON = "meta/presence.json"
PRESENCE_MD = "meta/presence.md"
# Ids listed per section of the Markdown report; the JSON always lists every id.
_MD_ID_LIMIT = 50


def check_video(root: str | Path, candidates: Sequence[str]) -> tuple[str, str, str | None]:
    """Find a clip's file under ``root`` and check that it decodes.

    Returns ``(status, relative_path, reason)``: status ``"found"`` (``relative_path`` is the file that exists),
    ``"missing"`` (no candidate exists, or one would escape ``root``; ``relative_path`` is the first candidate) or
    ``"undecodable"`` (the file exists but :func:`mt_datasets.video.probe_video` fails on it). ``reason`` says why for
    the last two.
    """
    from mt_datasets.errors import VideoDecodeError
    from mt_datasets.video import probe_video, resolve_video_path

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
        return left_out_lines(self.left_out_splits, self.classes_without_rows)

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


def left_out_lines(
    left_out_splits: Mapping[str, Mapping[str, int]], classes_without_rows: Mapping[str, Mapping[str, int]]
) -> list[str]:
    """What a partial copy lacks, one line per split left out and one for the fine classes without rows, from the
    report's ``left_out_splits`` and ``classes_without_rows`` (as in ``meta/presence.json``)."""
    lines = [
        f"split {key}: no rows ({entry['expected']} videos expected, {entry[MISSING]} missing, "
        f"{entry[UNDECODABLE]} undecodable); left out of the configs"
        for key, entry in left_out_splits.items()
    ]
    if classes_without_rows:
        names = list(classes_without_rows)
        expected = sum(entry["expected"] for entry in classes_without_rows.values())
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        lines.append(f"{len(names)} fine classes have no rows ({expected} videos expected for them): {shown}")
    return lines
