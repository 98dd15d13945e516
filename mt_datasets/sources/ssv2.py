"""SSv2-TA from a user's own copy of Something-Something-v2: ``mt-datasets ssv2-ta build``.

Something-Something-v2 ships ``labels.json`` (``{template: "id"}``, templates written without brackets, e.g.
``"Putting something on a surface"``), ``train.json`` and ``validation.json`` (lists of ``{"id", "label", "template",
"placeholders"}``, where ``template`` has brackets, ``"Putting [something] on a surface"``, and ``label`` is the
template filled with the objects) and a folder of ``<id>.webm`` videos. SSv2-TA keeps 149 of the 174 templates; its
train lists come from SSv2 train and its val lists from SSv2 validation.

This module reads the annotations (:func:`iter_ssv2_clips`, :func:`extra_features`); the builder and its command are the
dataset's :class:`mt_datasets.sources.build.LocalCopy` (``LOCAL_COPIES["ssv2-ta"]``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mt_datasets.errors import did_you_mean
from mt_datasets.sources.annotations import ENCODING, check_text_file
from mt_datasets.sources.build import LOCAL_COPIES, SourceClip
from mt_datasets.sources.presence import PresenceReport
from mt_datasets.taxonomy import get_taxonomy

__all__ = ["ANNOTATION_FILES", "build_ssv2_ta", "iter_ssv2_clips", "template_name", "extra_features"]

ANNOTATION_FILES = {"train": "train.json", "val": "validation.json"}
LABELS_FILE = "labels.json"
# SSv2 ids are integers; anything beyond [A-Za-z0-9_-] (a "/", "..") could name a path outside the video root.
_VIDEO_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def template_name(template: str) -> str:
    """A template as ``labels.json`` and SSv2-TA name it: ``"Putting [something] on a surface"`` ->
    ``"Putting something on a surface"``."""
    return template.replace("[", "").replace("]", "").strip()


def _load_json(path: Path) -> Any:
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} not found: pass --annotations the folder of Something-Something-v2's labels.json, train.json "
            "and validation.json"
        )
    check_text_file(path, "Something-Something-v2's annotation JSON")
    text = path.read_text(encoding=ENCODING)
    if not text.strip():
        raise ValueError(f"{path} is empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(
            f"{path}:{error.lineno}: not valid JSON ({error.msg} at column {error.colno}); "
            "re-extract it from the SSv2 archive"
        ) from None


def iter_ssv2_clips(annotations: str | Path, report: PresenceReport) -> Iterator[SourceClip]:
    """The SSv2-TA clips of Something-Something-v2's annotation files, train first, then validation.

    Entries of templates outside SSv2-TA are counted in ``report`` (``skipped_labels``); entries that are not
    ``{"id", "template", ...}`` objects, templates missing from ``labels.json``, unsafe ids and duplicate ids get a
    problem line and are skipped. Missing, empty or invalid JSON files raise before any clip is produced.
    """
    taxonomy = get_taxonomy("ssv2-ta")
    annotations = Path(annotations)
    labels = _load_json(annotations / LABELS_FILE)
    if not isinstance(labels, dict) or not labels:
        raise ValueError(f"{annotations / LABELS_FILE} must be a non-empty {{template: id}} object")
    entries = {split: _load_json(annotations / name) for split, name in ANNOTATION_FILES.items()}
    for split, value in entries.items():
        if not isinstance(value, list) or not value:
            raise ValueError(f"{annotations / ANNOTATION_FILES[split]} must be a non-empty JSON list of clips")
    for name in taxonomy.fine_names:
        if name not in labels:
            report.problem(LABELS_FILE, "unknown_label", f"SSv2-TA class {name!r} is not a template of labels.json")
    seen: set[str] = set()
    for split, items in entries.items():
        file = ANNOTATION_FILES[split]
        for position, item in enumerate(items):
            where = f"{file}[{position}]"
            clip = _clip_of_entry(item, split, where, labels, report)
            if clip is None:
                continue
            if clip.video_id in seen:
                report.problem(where, "duplicate_id", f"video id {clip.video_id!r} appears again; the first is kept")
                continue
            seen.add(clip.video_id)
            yield clip


def _clip_of_entry(item: Any, split: str, where: str, labels: dict, report: PresenceReport) -> SourceClip | None:
    taxonomy = get_taxonomy("ssv2-ta")
    if (
        not isinstance(item, dict)
        or not isinstance(item.get("id"), (str, int))
        or not isinstance(item.get("template"), str)
    ):
        report.problem(where, "malformed_row", f'expected an object with "id" and "template", got {item!r:.200}')
        return None
    video_id = str(item["id"]).strip()
    if not _VIDEO_ID.match(video_id):
        report.problem(where, "unsafe_id", f"video id {video_id!r} is not an SSv2 id ([A-Za-z0-9_-]); skipped")
        return None
    name = template_name(item["template"])
    if name not in labels:
        report.problem(where, "unknown_label", f"clip {video_id}: " + did_you_mean(name, list(labels), "SSv2 template"))
        return None
    if name not in taxonomy.fine_names:
        report.skipped_label(name)
        return None
    placeholders = item.get("placeholders") or []
    if not isinstance(placeholders, list):
        placeholders = [str(placeholders)]
    extra = {
        "caption": str(item.get("label", "")),
        "placeholders": [str(p) for p in placeholders],
        "original_split": "validation" if split == "val" else "train",
    }
    return SourceClip(video_id, taxonomy.fine_index(name), split, (f"{video_id}.webm",), extra)


def extra_features() -> dict[str, Any]:
    """The columns of a row besides the base ones: name -> ``datasets`` feature."""
    import datasets

    return {
        "caption": datasets.Value("string"),
        "placeholders": datasets.List(datasets.Value("string")),
        "original_split": datasets.Value("string"),
    }


# The builder (LocalCopy.build): build_ssv2_ta(annotations, out_dir, *, videos=None, embed=False, workers=None).
build_ssv2_ta = LOCAL_COPIES["ssv2-ta"].build
