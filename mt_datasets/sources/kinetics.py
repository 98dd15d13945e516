"""K400-TA from a user's own copy of Kinetics-400: ``mt-datasets k400-ta build``.

Kinetics-400's annotations are CSV files ``label,youtube_id,time_start,time_end,split`` (``train.csv``,
``validate.csv``). K400-TA keeps the 205 fine classes of the paper (two of them renamed: Kinetics' ``drinking`` and
``smoking``); its train lists come from Kinetics train and its val lists from Kinetics validate, as in the release.
The CSVs are read as streams, row by row, so memory does not grow with their size.

Videos are looked up in the two common layouts, ``<split>/<youtube_id>_<start:06d>_<end:06d>.mp4`` and per-class
folders ``<split>/<kinetics class>/<...>.mp4`` (class folder with spaces or underscores), where ``<split>`` is
``train`` for Kinetics train and ``val`` or ``validate`` for Kinetics validate.

This module reads the annotations (:func:`iter_kinetics_clips`, :func:`extra_features`); the builder and its command
are the dataset's :class:`mt_datasets.sources.build.LocalCopy` (``LOCAL_COPIES["k400-ta"]``).
"""

from __future__ import annotations

import csv
import difflib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mt_datasets.sources.annotations import ENCODING, check_text_file
from mt_datasets.sources.build import LOCAL_COPIES, SourceClip
from mt_datasets.sources.presence import PresenceReport
from mt_datasets.taxonomy import Taxonomy, get_taxonomy

__all__ = ["ANNOTATION_FILES", "build_k400_ta", "iter_kinetics_clips", "kinetics_video_id", "extra_features"]

# our split -> the Kinetics annotation file it comes from (the first that exists) and the video folders to look in
ANNOTATION_FILES = {"train": ("train.csv",), "val": ("validate.csv", "val.csv")}
VIDEO_FOLDERS = {"train": ("train",), "val": ("val", "validate")}
COLUMNS = ("label", "youtube_id", "time_start", "time_end", "split")
# YouTube ids are 11 characters of [A-Za-z0-9_-]; anything else (a "/", "..") could name a path outside the root.
_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def kinetics_video_id(youtube_id: str, time_start: int, time_end: int) -> str:
    """The clip id used by Kinetics downloads and the paper's lists: ``<youtube_id>_<start:06d>_<end:06d>``."""
    return f"{youtube_id}_{time_start:06d}_{time_end:06d}"


def _annotation_file(annotations: Path, split: str) -> Path:
    for name in ANNOTATION_FILES[split]:
        if (annotations / name).is_file():
            return annotations / name
    expected = " or ".join(ANNOTATION_FILES[split])
    raise FileNotFoundError(
        f"{annotations} has no {expected}: pass --annotations the folder of Kinetics-400's annotation CSVs "
        "(train.csv, validate.csv)"
    )


def _check_header(path: Path) -> None:
    """Fail before anything is written when a CSV is compressed, not UTF-8, empty or lacks Kinetics' columns."""
    check_text_file(path, "Kinetics-400's annotation CSV")
    with path.open(newline="", encoding=ENCODING) as handle:
        header = next(_csv_rows(csv.reader(handle), path), None)
        if header is None:
            raise ValueError(f"{path} is empty; expected Kinetics-400's CSV with the header {','.join(COLUMNS)}")
        missing = [c for c in COLUMNS if c not in [h.strip() for h in header]]
        if missing:
            raise ValueError(f"{path}: header {header} lacks the columns {missing}; expected {','.join(COLUMNS)}")
        if next(_csv_rows(csv.reader(handle), path), None) is None:
            raise ValueError(f"{path} has a header but no rows")


def _csv_rows(reader: Any, path: Path) -> Iterator[Any]:
    """The rows of a ``csv`` reader; a CSV syntax error (a NUL byte, an unclosed quote) names the file and line."""
    try:
        yield from reader
    except csv.Error as error:
        # A DictReader updates its own line_num only after a good row; its inner reader knows the failing line.
        where = f"{path}:{getattr(reader, 'reader', reader).line_num}"
        raise ValueError(f"{where}: not a readable CSV row ({error}); fix or remove that line") from None


def _label_lookup(taxonomy: Taxonomy) -> dict[str, int]:
    """Kinetics label -> K400-TA fine index; K400-TA's own spelling of the two renamed classes is accepted too."""
    lookup = {taxonomy.source_name(i): i for i in range(len(taxonomy.fine_names))}
    lookup.update({name: i for i, name in enumerate(taxonomy.fine_names)})
    return lookup


def _parse_time(value: str) -> int:
    number = float(value)
    if not number.is_integer() or number < 0:
        raise ValueError(f"time {value!r} is not a whole, non-negative number of seconds")
    return int(number)


def iter_kinetics_clips(annotations: str | Path, report: PresenceReport) -> Iterator[SourceClip]:
    """Stream the K400-TA clips of Kinetics-400's annotation CSVs, train first, then validate.

    Rows of other Kinetics classes are counted in ``report`` (``skipped_labels``); malformed rows, unsafe ids and
    duplicate clips get a problem line and are skipped. An empty CSV, or one without Kinetics' columns, raises
    ``ValueError`` before any row is produced.
    """
    taxonomy = get_taxonomy("k400-ta")
    annotations = Path(annotations)
    files = {split: _annotation_file(annotations, split) for split in ANNOTATION_FILES}
    for path in files.values():
        _check_header(path)
    lookup = _label_lookup(taxonomy)
    hints: dict[str, str | None] = {}  # other labels -> "did you mean" hint, computed once per label
    seen: set[str] = set()
    for split, path in files.items():
        with path.open(newline="", encoding=ENCODING) as handle:
            reader = csv.DictReader(handle)
            for row in _csv_rows(reader, path):
                where = f"{path.name}:{reader.line_num}"
                clip = _clip_of_row(row, split, where, taxonomy, lookup, hints, report)
                if clip is None:
                    continue
                if clip.video_id in seen:
                    report.problem(
                        where, "duplicate_id", f"clip {clip.video_id!r} appears again; the first row is kept"
                    )
                    continue
                seen.add(clip.video_id)
                yield clip


def _clip_of_row(
    row: dict,
    split: str,
    where: str,
    taxonomy: Taxonomy,
    lookup: dict[str, int],
    hints: dict[str, str | None],
    report: PresenceReport,
) -> SourceClip | None:
    if None in row or any(row.get(c) is None for c in COLUMNS):
        report.problem(where, "malformed_row", f"expected the {len(COLUMNS)} fields {','.join(COLUMNS)}, got {row}")
        return None
    label = row["label"].strip()
    fine = lookup.get(label)
    if fine is None:
        if label not in hints:
            close = difflib.get_close_matches(label, list(lookup), n=1, cutoff=0.85)
            hints[label] = f"Did you mean {close[0]!r}?" if close else None
        report.skipped_label(label, hints[label])
        return None
    youtube_id = row["youtube_id"].strip()
    if not _YOUTUBE_ID.match(youtube_id):
        report.problem(where, "unsafe_id", f"youtube_id {youtube_id!r} is not a YouTube id ([A-Za-z0-9_-]); skipped")
        return None
    try:
        start, end = _parse_time(row["time_start"]), _parse_time(row["time_end"])
    except ValueError as error:
        report.problem(where, "malformed_row", f"clip {youtube_id!r}: {error}")
        return None
    if end <= start:
        report.problem(where, "malformed_row", f"clip {youtube_id!r}: time_end {end} is not after time_start {start}")
        return None
    video_id = kinetics_video_id(youtube_id, start, end)
    file = f"{video_id}.mp4"
    kinetics_class = taxonomy.source_name(fine)
    class_folders = dict.fromkeys((kinetics_class, kinetics_class.replace(" ", "_")))
    candidates = tuple(f"{folder}/{file}" for folder in VIDEO_FOLDERS[split]) + tuple(
        f"{folder}/{name}/{file}" for folder in VIDEO_FOLDERS[split] for name in class_folders
    )
    extra = {"youtube_id": youtube_id, "time_start": start, "time_end": end, "original_split": row["split"].strip()}
    return SourceClip(video_id, fine, split, candidates, extra)


def extra_features() -> dict[str, Any]:
    """The columns of a row besides the base ones: name -> ``datasets`` feature."""
    import datasets

    return {
        "youtube_id": datasets.Value("string"),
        "time_start": datasets.Value("int32"),
        "time_end": datasets.Value("int32"),
        "original_split": datasets.Value("string"),
    }


# The builder (LocalCopy.build): build_k400_ta(annotations, out_dir, *, videos=None, embed=False, workers=None).
build_k400_ta = LOCAL_COPIES["k400-ta"].build
