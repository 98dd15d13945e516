"""Check a dataset directory against its manifest: ``mt-datasets verify DIR``.

The writer records every committed shard in ``meta/shards.json`` with its size, sha256, row count and video ids. A
shard truncated or changed since (a copy cut short, a disk error, a hand edit) passes for a dataset until
``load_dataset`` or a training run trips over it; :func:`verify_dataset` finds it first. ``publish`` runs it and
refuses a damaged directory; ``syn-ta generate`` runs it when a directory looks finished and regenerates what is
damaged.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mt_datasets.commands.registry import command

__all__ = ["Verification", "verify_dataset", "add_parser"]


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
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    result = verify_dataset(args.folder)
    if result.ok:
        print(result.summary())
        return 0
    for problem in result.problems:
        print(f"{args.folder}: {problem}", file=sys.stderr)
    print(
        f"mt-datasets verify: {args.folder} has {len(result.problems)} problem(s); rerun the command that wrote it "
        "(syn-ta generate repairs damaged shards itself), or copy it again",
        file=sys.stderr,
    )
    return 1
