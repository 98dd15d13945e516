"""What a model relies on: the diagnosis record built from per-video predictions under each probe.

``examples/diagnose.py`` evaluates a model on the known and unknown sets of one protocol direction, plain and under
the temporal probes of :mod:`mt_models.probes`, then calls :func:`build_diagnosis` with the predictions. Every score
comes from :func:`mt_metrics.compute_transferability` (per-factor scores through its ``groups``);
this module adds what the metric does not have: coarse confusion matrices, the classes whose accuracy falls most from
known to unknown, the confusion of opposite Syn-TA pairs, factor binning, and the record's layout. The record is plain
JSON; :mod:`mt_models.diagnostics_report` renders it for a person to read.

>>> bin_labels([-70.0, -10.0, 0.0, 44.9], width=30.0)
['[-90, -60)', '[-30, 0)', '[0, 30)', '[30, 60)']
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import datasets
import numpy as np
from numpy.typing import ArrayLike

from mt_datasets.taxonomy import Taxonomy, did_you_mean
from mt_metrics import compute_transferability, per_class_accuracy
from mt_models.probes import opposite_pairs, pair_confusion
from mt_models.records import package_version, read_versioned_json, write_json

__all__ = [
    "DEFAULT_BIN_WIDTHS",
    "DIAGNOSIS_FILENAME",
    "DIAGNOSIS_FORMAT_VERSION",
    "NO_EXAMPLES_NOTE",
    "bin_labels",
    "build_diagnosis",
    "confusion_matrix",
    "factor_groups",
    "largest_unknown_falls",
    "parse_group_spec",
    "read_diagnosis",
    "write_diagnosis",
]

DIAGNOSIS_FORMAT_VERSION = 1
DIAGNOSIS_FILENAME = "diagnosis.json"
# Syn-TA's continuous factors and the bin width (degrees) that gives a handful of bins over their ranges.
DEFAULT_BIN_WIDTHS = {"camera_azimuth": 30.0, "camera_elevation": 10.0}
NO_EXAMPLES_NOTE = {"known": "no known examples", "unknown": "no unknown examples"}
SCORE_CHANGES = ("known_accuracy", "unknown_accuracy", "absolute_drop", "harmonic_mean")


def confusion_matrix(predictions: ArrayLike, references: ArrayLike, num_classes: int) -> np.ndarray:
    """Counts ``(num_classes, num_classes)``: row = true class, column = predicted class.

    >>> confusion_matrix([0, 1, 1], [0, 0, 1], 2).tolist()
    [[1, 1], [0, 1]]
    """
    predictions = np.asarray(predictions, dtype=np.int64)
    references = np.asarray(references, dtype=np.int64)
    if predictions.shape != references.shape or predictions.ndim != 1:
        raise ValueError(f"predictions {predictions.shape} and references {references.shape} must be equal 1-D shapes")
    for name, labels in (("predictions", predictions), ("references", references)):
        if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
            raise ValueError(f"{name} has labels outside 0..{num_classes - 1}: {sorted(set(labels.tolist()))[:10]}")
    flat = np.bincount(references * num_classes + predictions, minlength=num_classes * num_classes)
    return flat.reshape(num_classes, num_classes)


def largest_unknown_falls(
    predictions: ArrayLike,
    references: ArrayLike,
    is_known: ArrayLike,
    class_names: Sequence[str],
    *,
    top: int = 5,
) -> list[dict[str, Any]]:
    """The ``top`` classes whose accuracy falls most from known to unknown examples, largest fall first.

    Only classes with both known and unknown examples are ranked; ties keep class order.

    >>> falls = largest_unknown_falls([0, 1, 1, 0], [0, 1, 0, 1], [True, True, False, False], ["a", "b"])
    >>> [(f["name"], f["fall"]) for f in falls]
    [('a', 1.0), ('b', 1.0)]
    """
    predictions = np.asarray(predictions)
    references = np.asarray(references)
    is_known = np.asarray(is_known, dtype=bool)
    known = per_class_accuracy(predictions[is_known], references[is_known]) if is_known.any() else {}
    unknown = per_class_accuracy(predictions[~is_known], references[~is_known]) if (~is_known).any() else {}
    rows = [
        {
            "class": c,
            "name": class_names[c],
            "known_accuracy": known[c],
            "unknown_accuracy": unknown[c],
            "fall": known[c] - unknown[c],
        }
        for c in sorted(set(known) & set(unknown))
    ]
    return sorted(rows, key=lambda row: -row["fall"])[:top]


def bin_labels(values: ArrayLike, width: float) -> list[str]:
    """Each value's bin ``[low, low + width)`` as a label, bins aligned on multiples of ``width``."""
    if not width > 0:
        raise ValueError(f"bin width must be > 0, got {width!r}")
    values = np.asarray(values, dtype=np.float64)
    if np.isnan(values).any():
        raise ValueError(f"cannot bin NaN values (at index {int(np.flatnonzero(np.isnan(values))[0])})")
    lows = np.floor(values / width) * width
    return [f"[{low:g}, {low + width:g})" for low in lows]


def parse_group_spec(spec: str | Sequence[str]) -> dict[str, float | None]:
    """``"view,camera_azimuth:45"`` -> ``{"view": None, "camera_azimuth": 45.0}`` (name -> bin width or None)."""
    items = [s.strip() for s in spec.split(",")] if isinstance(spec, str) else [str(s).strip() for s in spec]
    groups: dict[str, float | None] = {}
    for item in filter(None, items):
        name, _, width = item.partition(":")
        try:
            groups[name] = float(width) if width else None
        except ValueError:
            raise ValueError(f"bad bin width in group {item!r}: write name:width, e.g. camera_azimuth:30") from None
    return groups


def factor_groups(dataset: datasets.Dataset, names: Mapping[str, float | None] | Sequence[str]) -> dict[str, list[str]]:
    """Per-row group labels of the dataset's factor columns, as strings (what the metric's ``groups`` take).

    ClassLabel columns give class names; list columns (Syn-TA's ``shapes`` and ``colors``) the sorted distinct values
    joined with ``+``; float columns are binned (:func:`bin_labels`) with the given width, or
    :data:`DEFAULT_BIN_WIDTHS`; anything else is turned into its string.

    Args:
        dataset: one split of a motion-transfer dataset.
        names: column names, or ``{column: bin width or None}`` (from :func:`parse_group_spec`).
    """
    widths = dict(names) if isinstance(names, Mapping) else dict.fromkeys(names)
    features = dataset.features
    groups = {}
    for name, width in widths.items():
        if name not in features:
            raise ValueError(did_you_mean(name, list(features), "group column") + " (--groups takes dataset columns)")
        feature = features[name]
        column = dataset[name]
        if isinstance(feature, datasets.ClassLabel):
            groups[name] = [feature.int2str(int(v)) for v in column]
        elif isinstance(feature, (datasets.List, datasets.LargeList, list)):
            groups[name] = ["+".join(sorted(set(map(str, v)))) or "(none)" for v in column]
        elif isinstance(feature, datasets.Value) and feature.dtype.startswith("float"):
            width = width or DEFAULT_BIN_WIDTHS.get(name)
            if width is None:
                raise ValueError(f"group {name!r} is a float column: give a bin width, e.g. --groups {name}:10")
            groups[name] = bin_labels(column, width)
        elif isinstance(feature, datasets.Value):
            groups[name] = [str(v) for v in column]
        else:
            raise ValueError(f"group column {name!r} has feature {feature}, which cannot be grouped by value")
    return groups


def _group_notes(per_group: dict[str, dict[Any, dict[str, Any]]]) -> None:
    """Say in words where a group value has no known or no unknown examples (its accuracy is None, not 0)."""
    for values in per_group.values():
        for scores in values.values():
            notes = [NO_EXAMPLES_NOTE[kind] for kind in ("known", "unknown") if scores[f"num_{kind}"] == 0]
            if notes:
                scores["note"] = "; ".join(notes)


def build_diagnosis(
    predictions: Mapping[str, ArrayLike],
    references: ArrayLike,
    is_known: ArrayLike,
    taxonomy: Taxonomy,
    *,
    groups: Mapping[str, ArrayLike] | None = None,
    probe_descriptions: Mapping[str, str] | None = None,
    bootstrap_samples: int = 0,
    seed: int = 0,
    metadata: Mapping[str, Any] | None = None,
    top_falls: int = 5,
) -> dict[str, Any]:
    """The diagnosis record of one model on one protocol direction.

    Args:
        predictions: ``{"plain": coarse predictions, probe name: predictions under that probe, ...}``, one entry per
            video, all in the same video order.
        references: coarse label of each video.
        is_known: True for videos of the fine variants the model was trained on.
        taxonomy: the dataset's class tables.
        groups: ``{factor: per-video values}`` (strings; bin numbers first), scored on the plain predictions.
        probe_descriptions: ``{probe name: what it does}``, for the report.
        bootstrap_samples / seed: bootstrap confidence intervals, as for the metric.
        metadata: dataset, config, model, ... stored at the top of the record.
        top_falls: how many classes of largest known -> unknown fall to list.

    Returns:
        A JSON-ready dict: ``format_version``, the metadata, ``class_names``, ``plain`` (every score of the metric with
        ``per_group``, where a value without known or unknown examples has accuracy ``None`` and a ``note`` saying so),
        ``probes`` (``{name: {description, scores, change, pair_confusion}}``, ``change`` = probe score - plain score
        for known / unknown accuracy, absolute drop and harmonic mean), ``confusion_matrices`` (known / unknown, rows =
        true class), ``largest_unknown_falls`` and ``opposite_pairs`` (plain pair confusion).
    """
    if "plain" not in predictions:
        raise ValueError(f"predictions needs the unmodified input under 'plain'; got {list(predictions)}")
    references = np.asarray(references, dtype=np.int64)
    is_known = np.asarray(is_known, dtype=bool)
    num_classes = len(taxonomy.coarse_names)
    pairs = opposite_pairs(taxonomy)
    descriptions = dict(probe_descriptions or {})

    def scores_of(values: ArrayLike, with_groups: bool) -> dict[str, Any]:
        return compute_transferability(
            np.asarray(values, dtype=np.int64),
            references,
            is_known,
            groups=groups if with_groups else None,
            num_classes=num_classes,
            bootstrap_samples=bootstrap_samples,
            seed=seed,
        )

    plain = np.asarray(predictions["plain"], dtype=np.int64)
    plain_scores = scores_of(plain, with_groups=bool(groups))
    if groups:
        _group_notes(plain_scores["per_group"])
    probes = {}
    for name, values in predictions.items():
        if name == "plain":
            continue
        scores = scores_of(values, with_groups=False)
        probes[name] = {
            "description": descriptions.get(name, ""),
            "scores": scores,
            "change": {k: scores[k] - plain_scores[k] for k in SCORE_CHANGES},
            "pair_confusion": pair_confusion(values, references, pairs, taxonomy.coarse_names),
        }
    return {
        "format_version": DIAGNOSIS_FORMAT_VERSION,
        **dict(metadata or {}),
        "package_version": package_version(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "class_names": list(taxonomy.coarse_names),
        "plain": plain_scores,
        "probes": probes,
        "opposite_pairs": pair_confusion(plain, references, pairs, taxonomy.coarse_names),
        "confusion_matrices": {
            kind: confusion_matrix(plain[mask], references[mask], num_classes).tolist()
            for kind, mask in (("known", is_known), ("unknown", ~is_known))
        },
        "largest_unknown_falls": largest_unknown_falls(
            plain, references, is_known, taxonomy.coarse_names, top=top_falls
        ),
    }


def write_diagnosis(diagnosis: Mapping[str, Any], out_dir: str | os.PathLike) -> Path:
    """Write ``diagnosis.json`` into ``out_dir`` (created) atomically; returns its path."""
    # allow_nan=False: NaN has no JSON spelling, and a file other readers reject is worse than an error here.
    return write_json(Path(out_dir) / DIAGNOSIS_FILENAME, diagnosis, allow_nan=False)


def read_diagnosis(path: str | os.PathLike) -> dict[str, Any]:
    """Read ``diagnosis.json`` (or a directory holding one), checking that it is a diagnosis this package reads."""
    path, values = read_versioned_json(path, DIAGNOSIS_FILENAME, max_version=DIAGNOSIS_FORMAT_VERSION, what="diagnosis")
    if "plain" not in values:
        raise ValueError(f"{path} is not a motion-transfer diagnosis (no plain scores)")
    return values
