"""Check a dataset directory against its manifest: ``mt-datasets verify DIR``.

The writer records every committed shard in ``meta/shards.json`` with its size, sha256, row count and video ids. A
shard truncated or changed since (a copy cut short, a disk error, a hand edit) passes for a dataset until
``load_dataset`` or a training run trips over it; :func:`verify_dataset` finds it first. ``publish`` runs it and
refuses a damaged directory; ``syn-ta generate`` runs it when a directory looks finished and regenerates what is
damaged.

``mt-datasets verify DIR --against REFERENCE`` compares a dataset made again (on another machine, from the same
command) with the one it should reproduce: the same bytes as REFERENCE's manifest, or bytes that differ but decode,
clip by clip, to REFERENCE's frames within :data:`CROSS_CPU_BOUND` (what the Syn-TA generator gives on another CPU
kind), or frames beyond it.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mt_datasets.commands.registry import command

__all__ = [
    "CROSS_CPU_BOUND",
    "ClipDifference",
    "Comparison",
    "FrameBound",
    "Verification",
    "add_parser",
    "compare_datasets",
    "verify_dataset",
]


@dataclass
class Verification:
    """What :func:`verify_dataset` found: ``problems`` (one line each, empty when the directory is sound),
    ``damaged_shards`` (manifest files that are missing or do not match their entry), and what was checked."""

    directory: Path
    problems: list[str] = field(default_factory=list)
    damaged_shards: list[str] = field(default_factory=list)
    num_shards: int = 0
    num_rows: int = 0
    manifest: dict[str, Any] | None = None  # the manifest as read (None when unreadable)

    @property
    def ok(self) -> bool:
        """Whether nothing is wrong."""
        return not self.problems

    def summary(self) -> str:
        """One line for the terminal."""
        if self.ok:
            return f"{self.directory}: {self.num_shards} shards, {self.num_rows} rows match meta/shards.json"
        return f"{self.directory}: {len(self.problems)} problem(s); the first: {self.problems[0]}"


def verify_dataset(directory: str | Path) -> Verification:
    """Check every shard of ``directory`` against ``meta/shards.json``: present, its size and sha256, that it opens as
    Parquet, its row count and video ids; and that the directory is finished (its card written), its info record
    readable, and no Parquet file outside the manifest sits in ``data/`` (the configs would load it)."""
    import pyarrow.parquet as pq

    from mt_datasets.hub.layout import DATA_DIR, FORMAT_VERSION, INFO_FILE, MANIFEST_FILE, is_incomplete, sha256_of

    directory = Path(directory)
    result = Verification(directory)
    problems = result.problems
    if not directory.is_dir():
        problems.append(f"{directory} is not a directory")
        return result
    if is_incomplete(directory):
        problems.append("the build or generation of this directory did not finish: rerun the same command to resume")
    elif not (directory / "README.md").is_file():
        problems.append("README.md is missing: the dataset was never finished; rerun the command that wrote it")
    try:
        json.loads((directory / INFO_FILE).read_text())
    except (OSError, ValueError) as error:
        problems.append(f"{INFO_FILE} is unreadable ({_reason(error)}): this is not a finished dataset directory")
    try:
        manifest = json.loads((directory / MANIFEST_FILE).read_text())
        entries = manifest["shards"]
        if manifest.get("format_version") != FORMAT_VERSION:
            problems.append(
                f"{MANIFEST_FILE} has format version {manifest.get('format_version')!r}, not {FORMAT_VERSION!r}"
            )
    except (OSError, ValueError, KeyError, TypeError) as error:
        problems.append(f"{MANIFEST_FILE} is unreadable ({_reason(error)}): the shards cannot be checked")
        return result
    result.manifest = manifest
    listed = set()
    for entry in entries:
        file = entry["file"]
        listed.add(file)
        problem = _check_shard(directory / file, entry, pq, sha256_of)
        result.num_shards += 1
        if problem is None:
            result.num_rows += entry["num_rows"]
        else:
            problems.append(f"{file}: {problem}")
            result.damaged_shards.append(file)
    data_dir = directory / DATA_DIR
    if data_dir.is_dir():
        for path in sorted(data_dir.glob("*.parquet")):
            if f"{DATA_DIR}/{path.name}" not in listed:
                problems.append(
                    f"{DATA_DIR}/{path.name} is not in {MANIFEST_FILE}, yet the configs would load it: remove it"
                )
    return result


def _check_shard(path: Path, entry: dict[str, Any], pq: Any, sha256_of: Any) -> str | None:
    """Why a shard does not match its manifest entry, or None."""
    if not path.is_file():
        return "missing"
    size = path.stat().st_size
    if size != entry["file_bytes"]:
        return f"{size} bytes, the manifest says {entry['file_bytes']} (truncated or changed since it was written)"
    if sha256_of(path) != entry["sha256"]:
        return "its sha256 differs from the manifest's (changed since it was written)"
    try:
        video_ids = pq.read_table(path, columns=["video_id"]).column("video_id").to_pylist()
    except Exception as error:  # pyarrow raises several types for a damaged file
        return f"does not open as Parquet ({_reason(error)})"
    if len(video_ids) != entry["num_rows"]:
        return f"{len(video_ids)} rows, the manifest says {entry['num_rows']}"
    if video_ids != entry["video_ids"]:
        return "its video ids differ from the manifest's"
    return None


@dataclass(frozen=True)
class FrameBound:
    """How far a clip's decoded frames may lie from the reference's: every value within ``max_difference`` (of 255),
    and at most ``max_fraction`` of the clip's values different at all."""

    max_difference: int
    max_fraction: float

    def holds(self, difference: ClipDifference) -> bool:
        """Whether ``difference`` lies within the bound."""
        return difference.max_difference <= self.max_difference and difference.fraction <= self.max_fraction

    def describe(self) -> str:
        """The bound in words, as the README and the dataset card state it."""
        if self.max_difference == 0:
            return "identical frames"
        return f"at most {self.max_difference}/255 in at most {self.max_fraction:.2%} of a clip's values"


# What a Syn-TA generation gives on another CPU kind, measured (README, "What regenerable means"): the mini preset's
# 600 clips were the same bytes on an AVX-512 Xeon, with oneDNN held to AVX512_CORE, and with numpy, BLAS and llvmpipe
# held to AVX2; x264 held to AVX2 gave the same bytes too. Stated as identical frames.
CROSS_CPU_BOUND = FrameBound(max_difference=0, max_fraction=0.0)


@dataclass(frozen=True)
class ClipDifference:
    """A clip whose bytes differ from the reference's: the largest difference of a decoded value (of 255), the fraction
    of the clip's values that differ, and how many frames differ (``frames`` of ``num_frames``)."""

    video_id: str
    max_difference: int
    fraction: float
    frames: int
    num_frames: int


@dataclass
class Comparison:
    """What :func:`compare_datasets` found. ``problems`` are what makes the two datasets not the same dataset
    (either fails its manifest, clips or metadata differ, frames beyond the bound); ``differing`` are the clips
    whose bytes differ from the reference's, with their decoded differences."""

    directory: Path
    reference: Path
    bound: FrameBound
    problems: list[str] = field(default_factory=list)
    num_clips: int = 0
    differing: list[ClipDifference] = field(default_factory=list)

    @property
    def same_bytes(self) -> bool:
        """The same shards, byte for byte, as the reference's manifest lists."""
        return not self.problems and not self.differing

    @property
    def beyond_bound(self) -> list[ClipDifference]:
        """The clips whose frames lie outside the bound."""
        return [clip for clip in self.differing if not self.bound.holds(clip)]

    @property
    def ok(self) -> bool:
        """The same bytes, or frames within the bound."""
        return not self.problems

    def summary(self) -> str:
        """One line for the terminal."""
        if self.same_bytes:
            return f"{self.directory}: the same bytes as {self.reference} ({self.num_clips} clips)"
        if self.ok:
            worst = max(self.differing, key=lambda clip: (clip.max_difference, clip.fraction))
            return (
                f"{self.directory}: bytes differ from {self.reference}'s manifest in {len(self.differing)} of "
                f"{self.num_clips} clips, but each decodes to the reference's frames within the stated bound "
                f"({self.bound.describe()}; the largest here: {worst.max_difference}/255 in {worst.fraction:.2%} of "
                f"{worst.video_id}'s values)"
            )
        count = len(self.problems)
        return f"{self.directory}: {count} problem(s) against {self.reference}; the first: {self.problems[0]}"


def compare_datasets(
    directory: str | Path, reference: str | Path, *, bound: FrameBound = CROSS_CPU_BOUND
) -> Comparison:
    """Compare ``directory`` with ``reference``, clip by clip: the same bytes, or decoded frames within ``bound``.

    Both must pass :func:`verify_dataset` and hold the same clips (by ``video_id``) with the same values in every
    column but ``video`` and ``generator`` (the renderer's name, which names the machine). A clip whose video bytes
    differ is decoded, both copies, and its difference measured.
    """
    import pyarrow.parquet as pq

    directory, reference = Path(directory), Path(reference)
    result = Comparison(directory, reference, bound)
    checks = {name: verify_dataset(path) for name, path in (("the dataset", directory), ("the reference", reference))}
    for name, check in checks.items():
        result.problems.extend(f"{name}: {problem}" for problem in check.problems)
    if result.problems:
        return result
    rows = {name: _rows(check, pq) for name, check in checks.items()}
    mine, theirs = rows["the dataset"], rows["the reference"]
    result.num_clips = len(theirs)
    missing, extra = sorted(set(theirs) - set(mine)), sorted(set(mine) - set(theirs))
    if missing:
        result.problems.append(f"{len(missing)} clip(s) of the reference are missing, the first: {missing[0]}")
    if extra:
        result.problems.append(f"{len(extra)} clip(s) are not in the reference, the first: {extra[0]}")
    changed: list[str] = []
    for video_id in sorted(set(mine) & set(theirs)):
        (my_values, my_video), (their_values, their_video) = mine[video_id], theirs[video_id]
        keys = sorted(set(my_values) | set(their_values))
        columns = [key for key in keys if my_values.get(key) != their_values.get(key)]
        if columns:
            result.problems.append(f"{video_id}: {', '.join(columns)} differ from the reference's")
        if my_video != their_video:
            changed.append(video_id)
    if changed:
        videos = {name: _videos(check, set(changed), pq) for name, check in checks.items()}
        for video_id in changed:
            difference = _frame_difference(video_id, videos["the dataset"][video_id], videos["the reference"][video_id])
            result.differing.append(difference)
            if not bound.holds(difference):
                result.problems.append(
                    f"{video_id}: decodes to frames up to {difference.max_difference}/255 from the reference's in "
                    f"{difference.fraction:.2%} of its values ({difference.frames} of {difference.num_frames} "
                    f"frames), beyond the stated bound ({bound.describe()})"
                )
    return result


def _shard_paths(check: Verification) -> list[Path]:
    return [check.directory / entry["file"] for entry in (check.manifest or {}).get("shards", [])]


def _rows(check: Verification, pq: Any) -> dict[str, tuple[dict[str, Any], str]]:
    """``{video_id: (the row's values but video and generator, sha256 of the video bytes)}``."""
    import hashlib

    rows = {}
    for path in _shard_paths(check):
        for row in pq.read_table(path).to_pylist():
            video = row.pop("video", None) or {}
            row.pop("generator", None)
            rows[row["video_id"]] = (row, hashlib.sha256(video.get("bytes") or b"").hexdigest())
    return rows


def _videos(check: Verification, wanted: set[str], pq: Any) -> dict[str, bytes]:
    videos = {}
    for path in _shard_paths(check):
        for row in pq.read_table(path, columns=["video_id", "video"]).to_pylist():
            if row["video_id"] in wanted:
                videos[row["video_id"]] = row["video"]["bytes"]
    return videos


def _frame_difference(video_id: str, data: bytes, reference: bytes) -> ClipDifference:
    """Decode every frame of both videos and measure how far they lie apart."""
    import numpy as np

    from mt_datasets.video import probe_video, read_frames

    counts = (probe_video(data).num_frames, probe_video(reference).num_frames)
    if counts[0] != counts[1]:
        return ClipDifference(video_id, 255, 1.0, max(counts), max(counts))
    indices = np.arange(counts[0])
    mine, theirs = (read_frames(video, indices).numpy().astype(np.int16) for video in (data, reference))
    if mine.shape != theirs.shape:
        return ClipDifference(video_id, 255, 1.0, counts[0], counts[0])
    delta = np.abs(mine - theirs)
    frames = int(np.count_nonzero(delta.reshape(len(delta), -1).max(axis=1)))
    return ClipDifference(video_id, int(delta.max()), float(np.count_nonzero(delta) / delta.size), frames, counts[0])


def _reason(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


@command()
def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the top-level ``verify`` command."""
    parser = subparsers.add_parser(
        "verify",
        help="check every shard of a dataset directory against its manifest",
        description=__doc__.split("\n")[0],
    )
    parser.add_argument("folder", type=Path, help="the dataset directory (with README.md, data/, meta/)")
    parser.add_argument(
        "--against",
        type=Path,
        metavar="REFERENCE",
        help="another copy of the dataset (e.g. the published one): say whether FOLDER has its bytes, or frames "
        f"within the bound a regeneration on another CPU kind gives ({CROSS_CPU_BOUND.describe()}), or neither",
    )
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    if args.against is not None:
        return _run_comparison(args.folder, args.against)
    result = verify_dataset(args.folder)
    return _report(
        args.folder,
        result,
        f"has {len(result.problems)} problem(s); rerun the command that wrote it "
        "(syn-ta generate repairs damaged shards itself), or copy it again",
    )


def _run_comparison(folder: Path, reference: Path) -> int:
    result = compare_datasets(folder, reference)
    return _report(
        folder,
        result,
        f"is not the dataset of {reference} ({len(result.problems)} problem(s)): "
        "compare the commands and package versions that made them (the cards say both)",
    )


def _report(folder: Path, result: Any, failure: str) -> int:
    """The command's ending: the summary (exit 0), or each problem and then ``failure`` on stderr (exit 1)."""
    if result.ok:
        print(result.summary())
        return 0
    for problem in result.problems:
        print(f"{folder}: {problem}", file=sys.stderr)
    print(f"mt-datasets verify: {folder} {failure}", file=sys.stderr)
    return 1
