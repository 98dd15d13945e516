"""Join a metadata-only dataset (K400-TA, SSv2-TA from the Hub) with the user's local video files."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TypeVar

import datasets

from mt_datasets.sources.presence import FOUND, PresenceReport, check_videos

__all__ = ["attach_videos"]

logger = logging.getLogger(__name__)

DatasetT = TypeVar("DatasetT", datasets.Dataset, datasets.DatasetDict)
ON_MISSING = ("drop", "flag")


def attach_videos(
    ds: DatasetT,
    video_root: str | Path,
    *,
    on_missing: str = "drop",
    workers: int | None = None,
    report_dir: str | Path | None = None,
) -> DatasetT:
    """Add a ``video`` column (``datasets.Video``) that points at local files, checked before any epoch starts.

    Each row's ``relative_path`` (as the K400-TA / SSv2-TA builders write it) is looked up under ``video_root`` and
    probed, so a missing, unsafe (``../``) or undecodable file is found now rather than as a crash mid-epoch.

    Args:
        ds: a ``Dataset`` or ``DatasetDict`` with a ``relative_path`` column and no ``video`` column.
        video_root: the folder of your copy of the source videos (e.g. Kinetics-400's, with ``train/`` and ``val/``).
        on_missing: ``"drop"`` leaves out the rows whose video is missing or undecodable; ``"flag"`` keeps them with
            ``video`` None and adds a boolean ``video_present`` column.
        workers: threads probing the files (default: a few per CPU).
        report_dir: when given, the presence report (``meta/presence.json`` / ``.md``) is written under it.

    Returns the same kind of object as ``ds``. The number of missing clips is logged as a warning.

    >>> ds = attach_videos(load_dataset("motion-transfer/k400-ta", "set1"), "/data/kinetics400")  # doctest: +SKIP
    """
    if on_missing not in ON_MISSING:
        raise ValueError(f"on_missing must be one of {ON_MISSING}, got {on_missing!r}")
    root = Path(video_root)
    if not root.is_dir():
        raise FileNotFoundError(f"video root {str(root)!r} is not a folder; pass the folder of your source videos")
    report = PresenceReport("attach_videos", root)
    if isinstance(ds, datasets.DatasetDict):
        result = datasets.DatasetDict(
            {name: _attach(split, name, root, on_missing, workers, report) for name, split in ds.items()}
        )
    else:
        result = _attach(ds, str(ds.split or "data"), root, on_missing, workers, report)
    report.complete = True
    totals = report.totals()
    if totals["found"] != totals["expected"]:
        action = "dropped" if on_missing == "drop" else "kept with video=None and video_present=False"
        logger.warning(
            "attach_videos: %d of %d videos missing and %d undecodable under %s (%s)",
            totals["missing"],
            totals["expected"],
            totals["undecodable"],
            root,
            action,
        )
    if report_dir is not None:
        report.write(report_dir)
    return result


def _attach(
    ds: datasets.Dataset, name: str, root: Path, on_missing: str, workers: int | None, report: PresenceReport
) -> datasets.Dataset:
    for column, why in (("relative_path", "a metadata-only K400-TA / SSv2-TA dataset has it"), ("video_id", "")):
        if column not in ds.column_names:
            raise ValueError(f"split {name!r} has no {column!r} column ({why or 'every dataset row has one'})")
    if "video" in ds.column_names:
        raise ValueError(f"split {name!r} already has a 'video' column; attach_videos joins metadata-only datasets")
    fine_names = ds.features["fine_label"].names if "fine_label" in ds.features else None
    labels = ds["fine_label"] if fine_names else [None] * len(ds)
    paths: list[str | None] = []
    present: list[bool] = []
    results = check_videos(root, ((relative,) for relative in ds["relative_path"]), workers=workers)
    for video_id, label, (status, relative, reason) in zip(ds["video_id"], labels, results, strict=True):
        report.record(video_id, name, fine_names[label] if fine_names else name, status, reason)
        present.append(status == FOUND)
        paths.append(str(root / relative) if status == FOUND else None)
    ds = ds.add_column("video", paths)
    if on_missing == "flag":
        ds = ds.add_column("video_present", present)
    else:
        ds = ds.select([i for i, ok in enumerate(present) if ok])
    return ds.cast_column("video", datasets.Video())
