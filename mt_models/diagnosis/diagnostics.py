"""What a model relies on: the diagnosis record built from per-video predictions under each probe.

``examples/diagnose.py`` evaluates a model on the known and unknown sets of one protocol direction, plain and under
the temporal probes of :mod:`mt_models.diagnosis.probes`, then calls :func:`build_diagnosis` with the predictions. Every
score comes from :func:`mt_metrics.compute_transferability` (per-factor scores through its ``groups``);
this module adds what the metric does not have: coarse confusion matrices, the classes whose accuracy falls most from
known to unknown, the confusion of opposite Syn-TA pairs, factor binning, and the record's layout. The record is plain
JSON; :mod:`mt_models.diagnosis.report` renders it for a person to read.

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

from mt_datasets.errors import did_you_mean
from mt_datasets.taxonomy import Taxonomy
from mt_metrics import compute_transferability, per_class_accuracy
from mt_models.diagnosis.opposites import opposite_pairs, pair_confusion
from mt_models.scoring.records import package_version, read_versioned_json, write_json

__all__ = [
    "predict_under_probes",
    "probe_accuracies",
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


def predict_under_probes(
    accelerator: Any,
    model: Any,
    dataset: Mapping[str, Any],
    probes: Sequence[Any],
    *,
    class_names: Sequence[str] | None = None,
    batch_size: int = 8,
    num_workers: int = 2,
    seed: int = 0,
) -> tuple[list[str], dict[str, Any]]:
    """Coarse predictions of the known and unknown videos, plain and under each probe, each video decoded once.

    Args:
        accelerator: an ``accelerate.Accelerator``; ``model`` must be prepared with it already.
        model: a trained classifier, or an open-vocabulary one (then give ``class_names``, its prompts' classes).
        dataset: a ``DatasetDict`` with ``known`` and ``unknown`` splits.
        probes: from :func:`mt_models.diagnosis.probes.resolve_probes`.
        class_names: the coarse class names for an open-vocabulary model; ``None`` for a trained classifier.
        batch_size, num_workers: of the decoding DataLoader.
        seed: of the shuffle probe (one order per video, whichever batch or process it falls in).

    Returns:
        ``(input names, columns)``: ``"plain"`` then the probes' names, and the gathered columns of
        :func:`mt_models.scoring.evaluation.predict_splits` with ``predictions`` ``(videos, inputs)``.
    """
    import torch

    from mt_datasets.protocol import TEST_SPLITS
    from mt_models.diagnosis.probes import oversampling_for, plain_clip
    from mt_models.models.preprocess import normalize
    from mt_models.scoring.evaluation import predict_splits

    spec = accelerator.unwrap_model(model).input_spec
    num_frames = spec.num_frames
    # One decode per video: dense enough for every probe (the plain clip is a subsample of it).
    oversampling = oversampling_for(probes)

    def classify(clips: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            pixel_values = normalize(clips, spec)
            if class_names is not None:
                return model(pixel_values, list(class_names)).argmax(-1)
            return model(pixel_values).coarse_logits.argmax(-1)

    def predict(batch: dict[str, torch.Tensor], split: str) -> dict[str, torch.Tensor]:
        dense = batch["frames"]
        seeds = [(seed, TEST_SPLITS.index(split), int(i)) for i in batch["index"]]
        predictions = [classify(plain_clip(dense, num_frames))]
        predictions += [classify(probe.apply(dense, num_frames, seeds)) for probe in probes]
        return {"predictions": torch.stack(predictions, dim=1)}

    data = predict_splits(
        accelerator,
        dataset,
        spec.replace(num_frames=oversampling * num_frames),
        predict,
        batch_size=batch_size,
        num_workers=num_workers,
    )
    return ["plain", *(p.name for p in probes)], data


def probe_accuracies(
    model_dir: str | os.PathLike,
    dataset: str,
    config: str,
    probes: str | Sequence[str] = "shuffle,static",
    *,
    batch_size: int = 16,
    num_workers: int = 2,
    seed: int = 0,
) -> dict[str, dict[str, float]]:
    """Known and unknown accuracy (percent) of a trained classifier, plain and under temporal probes.

    A model that uses motion falls towards chance when the frames are shuffled or one frame is repeated
    (``"static"``); one that reads single frames does not. ``examples/demo.py`` reports this for its first model;
    ``examples/diagnose.py`` gives the whole diagnosis.

    Returns:
        ``{"plain" | probe name: {"known_accuracy": %, "unknown_accuracy": %}}``.
    """
    from mt_models.diagnosis.probes import resolve_probes
    from mt_models.runtime.fast_path import evaluation_accelerator
    from mt_models.scoring.evaluation import load_eval_dataset, load_model

    accelerator, _ = evaluation_accelerator("auto")
    model = load_model(str(model_dir), config=config)
    splits = load_eval_dataset(dataset, config)
    taxonomy_probes = resolve_probes(probes)
    model = accelerator.prepare_model(model, evaluation_mode=True)
    names, data = predict_under_probes(
        accelerator, model, splits, taxonomy_probes, batch_size=batch_size, num_workers=num_workers, seed=seed
    )
    decoded = data["decoded"].bool().numpy()
    is_known = data["is_known"].bool().numpy()[decoded]
    references = data["coarse_label"].numpy()[decoded]
    result = {}
    for column, name in enumerate(names):
        scores = compute_transferability(data["predictions"][:, column].numpy()[decoded], references, is_known)
        result[name] = {k: 100 * scores[k] for k in ("known_accuracy", "unknown_accuracy")}
    return result
