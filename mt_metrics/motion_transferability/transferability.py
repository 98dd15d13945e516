"""The motion-transferability scores, as plain NumPy functions: the one implementation.

A model learned each coarse action from the fine variants of one set ("direction" = the set it was trained on).
It is tested on unseen videos of those variants ("known") and on videos of the other set's variants of the same coarse
actions ("unknown"). The scores, all fractions in [0, 1], follow the paper ("Punching Bag vs. Punching Person: Motion
Transferability in Videos", Abdullah et al., ICCV 2025):

- known accuracy K and unknown accuracy U, each averaged over directions;
- absolute drop ``K - U`` and relative drop ``(K - U) / K`` of those averages;
- harmonic mean ``2KU / (K + U)``, computed per direction and then averaged (the paper's convention, which is why the
  paper's HM is slightly below the HM of its averaged K and U).

The evaluate module ``mt_metrics/motion_transferability`` and the example scripts call
:func:`compute_transferability`; the small functions it is built from are public too. The input checks
(:func:`check_inputs`, and the conversion of every column) are in ``inputs.py`` beside this file.

>>> accuracy([0, 1, 2, 2], [0, 1, 1, 2])
0.75
>>> harmonic_mean(0.8, 0.4)
0.5333333333333333
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

# The input checks, beside this file (the evaluate script imports that file too, so that evaluate copies it).
from .inputs import (
    _as_labels,
    _as_scores,
    _check_options,
    _check_range,
    _Inputs,
    _key,
    _paired_labels,
    _validated,
    check_inputs,
)

__all__ = [
    "TOP_K",
    "accuracy",
    "top_k_accuracy",
    "mean_class_accuracy",
    "per_class_accuracy",
    "harmonic_mean",
    "compute_transferability",
    "check_inputs",
]

TOP_K = 5  # the "top-5 variants" of the scores


def accuracy(predictions: ArrayLike, references: ArrayLike) -> float:
    """Fraction of examples whose prediction equals the reference.

    >>> accuracy([3, 1, 2], [3, 1, 0])
    0.6666666666666666
    """
    predictions, references = _paired_labels(predictions, references)
    return float(np.mean(predictions == references))


def top_k_accuracy(prediction_scores: ArrayLike, references: ArrayLike, k: int = TOP_K) -> float:
    """Fraction of examples whose reference class is among the ``k`` highest-scoring classes.

    ``prediction_scores`` has shape ``(num_examples, num_classes)`` (logits or probabilities). A tie with the reference
    class counts in its favour: an example is correct when fewer than ``k`` classes score strictly higher. With fewer
    than ``k`` classes every example is correct.

    >>> top_k_accuracy([[0.1, 0.5, 0.4], [0.7, 0.2, 0.1]], [2, 2], k=2)
    0.5
    """
    scores = _as_scores(prediction_scores, "prediction_scores")
    references = _as_labels(references, "references")
    if len(scores) != len(references):
        raise ValueError(f"prediction_scores has {len(scores)} rows but references has {len(references)} labels")
    _check_range(references, scores.shape[1], "references", "the width of prediction_scores")
    return float(np.mean(_top_k_correct(scores, references, k)))


def per_class_accuracy(predictions: ArrayLike, references: ArrayLike) -> dict[int, float]:
    """Accuracy of each reference class present, keyed by class index (the recall of that class).

    >>> per_class_accuracy([0, 0, 1, 1], [0, 1, 1, 1])
    {0: 1.0, 1: 0.6666666666666666}
    """
    predictions, references = _paired_labels(predictions, references)
    return _class_accuracy_dict(predictions == references, references)


def mean_class_accuracy(predictions: ArrayLike, references: ArrayLike) -> float:
    """Mean over the reference classes present of each class's accuracy (balanced accuracy).

    >>> mean_class_accuracy([0, 0, 1, 1], [0, 1, 1, 1])
    0.8333333333333333
    """
    predictions, references = _paired_labels(predictions, references)
    return float(np.mean(_class_accuracies(predictions == references, references)[1]))


def harmonic_mean(known: ArrayLike, unknown: ArrayLike) -> float | np.ndarray:
    """``2 * known * unknown / (known + unknown)``, elementwise; 0 where both are 0 (the limit).

    Returns a float for scalar inputs, else an array.

    >>> harmonic_mean(0.5, 0.5), harmonic_mean(1.0, 0.0), harmonic_mean(0.0, 0.0)
    (0.5, 0.0, 0.0)
    """
    known = np.asarray(known, dtype=np.float64)
    unknown = np.asarray(unknown, dtype=np.float64)
    total = known + unknown
    result = np.divide(2.0 * known * unknown, total, out=np.zeros(np.broadcast(known, unknown).shape), where=total > 0)
    return float(result) if result.ndim == 0 else result


def compute_transferability(
    predictions: ArrayLike,
    references: ArrayLike,
    is_known: ArrayLike,
    *,
    direction: ArrayLike | None = None,
    prediction_scores: ArrayLike | None = None,
    fine_references: ArrayLike | None = None,
    groups: Mapping[str, ArrayLike] | None = None,
    num_classes: int | None = None,
    bootstrap_samples: int = 0,
    confidence_level: float = 0.95,
    seed: int = 0,
) -> dict[str, Any]:
    """All motion-transferability scores of a set of predictions.

    Args:
        predictions: predicted class index of each example.
        references: true class index of each example (coarse labels for the coarse task).
        is_known: ``True`` where the example's fine variant was in the training set (known), ``False`` where it was
            not (unknown). Must be booleans.
        direction: which fine set the model was trained on, per example (e.g. 1 or 2), so that both directions of the
            protocol can be scored at once. ``None``: one direction, reported under the key ``0``. Every direction
            needs known and unknown examples.
        prediction_scores: per-class scores, shape ``(num_examples, num_classes)``; adds the top-5 scores.
        fine_references: fine class index of each example; adds ``per_fine_class``.
        groups: per-example group labels, ``{name: values}`` (strings, ints, or floats the caller has binned), e.g.
            the Syn-TA factors ``{"background": [...], "view": [...]}``; adds ``per_group``.
        num_classes: number of classes, to check labels against (defaults to the width of ``prediction_scores``).
        bootstrap_samples: number of bootstrap replicates for confidence intervals; 0 for none.
        confidence_level: coverage of the percentile intervals.
        seed: seed of the bootstrap's random generator.

    Returns:
        A dict of fractions in [0, 1] (the paper's tables print percent):

        - ``known_accuracy``, ``unknown_accuracy``: top-1 accuracies, averaged over directions;
        - ``absolute_drop`` = K - U; ``relative_drop`` = (K - U) / K (``None`` when K is 0);
        - ``harmonic_mean``: 2KU / (K + U) per direction, then averaged over directions;
        - ``known_mean_class_accuracy``, ``unknown_mean_class_accuracy``: mean over classes of each class's accuracy,
          averaged over directions;
        - ``unknown_accuracy_per_class``: ``{class index: unknown accuracy}``, averaged over the directions where
          the class has unknown examples;
        - ``num_known``, ``num_unknown``: example counts over all directions;
        - ``per_direction``: ``{direction: {every score above, for that direction alone}}``;
        - with ``prediction_scores``: ``known_top5_accuracy``, ``unknown_top5_accuracy``, ``top5_absolute_drop``,
          ``top5_relative_drop``, ``top5_harmonic_mean`` (also per direction);
        - with ``fine_references``: ``per_fine_class`` = ``{fine index: group scores}``;
        - with ``groups``: ``per_group`` = ``{name: {value: group scores}}``, where group scores are
          ``known_accuracy``, ``unknown_accuracy``, ``absolute_drop``, ``num_known``, ``num_unknown`` of the
          examples with that value alone (accuracies averaged over the directions in which that subset has
          examples; an accuracy with no examples is ``None``, not 0);
        - with ``bootstrap_samples > 0``: ``confidence_intervals`` = ``{score: (low, high)}`` for
          ``known_accuracy``, ``unknown_accuracy``, ``absolute_drop`` and ``harmonic_mean`` (and the same for
          ``known_accuracy``, ``unknown_accuracy``, ``absolute_drop`` in each group's scores).

    Raises:
        ValueError: on mismatched lengths, no examples, an empty known or unknown subset in a direction, labels
            out of range, NaN scores, or a non-boolean ``is_known``.

    Both directions, the paper's convention (HM per direction, then averaged):

    >>> scores = compute_transferability(
    ...     predictions=[0, 1, 1, 0, 0, 1, 1, 1],
    ...     references=[0, 1, 0, 1, 0, 1, 0, 1],
    ...     is_known=[True, True, False, False, True, True, False, False],
    ...     direction=[1, 1, 1, 1, 2, 2, 2, 2],
    ... )
    >>> scores["known_accuracy"], scores["unknown_accuracy"], scores["absolute_drop"]
    (1.0, 0.25, 0.75)
    >>> scores["per_direction"][1]["harmonic_mean"], scores["per_direction"][2]["harmonic_mean"]
    (0.0, 0.6666666666666666)
    >>> scores["harmonic_mean"]
    0.3333333333333333
    """
    _check_options(num_classes, bootstrap_samples, confidence_level, seed)
    data = _validated(
        predictions, references, is_known, direction, prediction_scores, fine_references, groups, num_classes
    )

    correct = data.predictions == data.references
    top_k_correct = (
        None if data.prediction_scores is None else _top_k_correct(data.prediction_scores, data.references, TOP_K)
    )
    per_direction = {
        _key(d): _direction_scores(correct, top_k_correct, data.references, data.is_known, data.direction == d)
        for d in data.directions
    }
    result = _pooled_over_directions(per_direction, data, top_k_correct is not None)
    rng = np.random.default_rng(seed)
    result.update(_intervals_and_groups(correct, data, bootstrap_samples, confidence_level, rng))
    return result


def _pooled_over_directions(
    per_direction: dict[Any, dict[str, Any]], data: _Inputs, with_top_k: bool
) -> dict[str, Any]:
    """The scores of :func:`compute_transferability` averaged over directions (the paper's convention: the harmonic
    mean per direction, then averaged), the example counts, and ``per_direction`` itself."""
    directions = list(per_direction.values())
    result: dict[str, Any] = _derived(
        np.array([d["known_accuracy"] for d in directions]), np.array([d["unknown_accuracy"] for d in directions])
    )
    for name in ("known_mean_class_accuracy", "unknown_mean_class_accuracy"):
        result[name] = float(np.mean([d[name] for d in directions]))
    result["unknown_accuracy_per_class"] = _average_over_directions(
        [d["unknown_accuracy_per_class"] for d in directions]
    )
    result["num_known"] = int(np.count_nonzero(data.is_known))
    result["num_unknown"] = int(np.count_nonzero(~data.is_known))
    if with_top_k:
        top_k = _derived(
            np.array([d[f"known_top{TOP_K}_accuracy"] for d in directions]),
            np.array([d[f"unknown_top{TOP_K}_accuracy"] for d in directions]),
        )
        result.update(_top_k_names(top_k))
    result["per_direction"] = per_direction
    return result


def _intervals_and_groups(
    correct: np.ndarray, data: _Inputs, bootstrap_samples: int, confidence_level: float, rng: np.random.Generator
) -> dict[str, Any]:
    """The bootstrap intervals (when ``bootstrap_samples`` > 0), then ``per_fine_class`` and ``per_group`` when their
    labels are given, drawing from ``rng`` in that order."""
    result: dict[str, Any] = {}
    if bootstrap_samples > 0:
        replicates = _derived_arrays(
            *_bootstrap_accuracies(correct, data.is_known, data.direction, data.directions, bootstrap_samples, rng)
        )
        result["confidence_intervals"] = {
            name: _percentile_interval(replicates[name], confidence_level)
            for name in ("known_accuracy", "unknown_accuracy", "absolute_drop", "harmonic_mean")
        }
    if data.fine_references is not None:
        result["per_fine_class"] = _group_scores(
            data.fine_references, correct, data, bootstrap_samples, confidence_level, rng
        )
    if data.groups is not None:
        result["per_group"] = {
            name: _group_scores(values, correct, data, bootstrap_samples, confidence_level, rng)
            for name, values in data.groups.items()
        }
    return result


# ---- the scores of one direction and their combination over directions ------------------------------------------


def _direction_scores(
    correct: np.ndarray,
    top_k_correct: np.ndarray | None,
    references: np.ndarray,
    is_known: np.ndarray,
    in_direction: np.ndarray,
) -> dict[str, Any]:
    known = in_direction & is_known
    unknown = in_direction & ~is_known
    scores: dict[str, Any] = _derived(np.array([correct[known].mean()]), np.array([correct[unknown].mean()]))
    unknown_per_class = _class_accuracy_dict(correct[unknown], references[unknown])
    scores["known_mean_class_accuracy"] = float(np.mean(_class_accuracies(correct[known], references[known])[1]))
    scores["unknown_mean_class_accuracy"] = float(np.mean(list(unknown_per_class.values())))
    scores["unknown_accuracy_per_class"] = unknown_per_class
    scores["num_known"] = int(np.count_nonzero(known))
    scores["num_unknown"] = int(np.count_nonzero(unknown))
    if top_k_correct is not None:
        top_k = _derived(np.array([top_k_correct[known].mean()]), np.array([top_k_correct[unknown].mean()]))
        scores.update(_top_k_names(top_k))
    return scores


def _derived_arrays(known: np.ndarray, unknown: np.ndarray) -> dict[str, np.ndarray]:
    """Scores from per-direction accuracies of shape ``(num_directions, ...)``, combined over axis 0."""
    known_mean = known.mean(axis=0)
    unknown_mean = unknown.mean(axis=0)
    return {
        "known_accuracy": known_mean,
        "unknown_accuracy": unknown_mean,
        "absolute_drop": known_mean - unknown_mean,
        # HM per direction, then averaged: the paper's convention.
        "harmonic_mean": np.asarray(harmonic_mean(known, unknown)).mean(axis=0),
    }


def _derived(known: np.ndarray, unknown: np.ndarray) -> dict[str, Any]:
    arrays = _derived_arrays(known, unknown)
    scores: dict[str, Any] = {name: float(value) for name, value in arrays.items()}
    scores["relative_drop"] = (
        None if scores["known_accuracy"] == 0 else scores["absolute_drop"] / scores["known_accuracy"]
    )
    order = ("known_accuracy", "unknown_accuracy", "absolute_drop", "relative_drop", "harmonic_mean")
    return {name: scores[name] for name in order}


def _top_k_names(scores: dict[str, Any]) -> dict[str, Any]:
    return {
        f"known_top{TOP_K}_accuracy": scores["known_accuracy"],
        f"unknown_top{TOP_K}_accuracy": scores["unknown_accuracy"],
        f"top{TOP_K}_absolute_drop": scores["absolute_drop"],
        f"top{TOP_K}_relative_drop": scores["relative_drop"],
        f"top{TOP_K}_harmonic_mean": scores["harmonic_mean"],
    }


def _average_over_directions(per_direction: list[dict[int, float]]) -> dict[int, float]:
    classes = sorted(set().union(*per_direction))
    return {c: float(np.mean([d[c] for d in per_direction if c in d])) for c in classes}


def _class_accuracies(correct: np.ndarray, references: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    classes, inverse = np.unique(references, return_inverse=True)
    counts = np.bincount(inverse, minlength=len(classes))
    return classes, np.bincount(inverse, weights=correct, minlength=len(classes)) / counts


def _class_accuracy_dict(correct: np.ndarray, references: np.ndarray) -> dict[int, float]:
    classes, class_accuracy = _class_accuracies(correct, references)
    return {int(c): float(a) for c, a in zip(classes, class_accuracy, strict=True)}


def _top_k_correct(scores: np.ndarray, references: np.ndarray, k: int) -> np.ndarray:
    reference_scores = scores[np.arange(len(scores)), references]
    return np.count_nonzero(scores > reference_scores[:, None], axis=1) < k


# ---- bootstrap -----------------------------------------------------------------------------------------------------
# Resampling the n examples of one cell (a direction's known or unknown subset) with replacement and counting the
# correct ones gives a Binomial(n, correct / n) count: each draw is correct with probability correct / n, independently.
# Drawing that count directly is the same bootstrap distribution at O(1) cost per replicate instead of O(n), and it
# depends only on the counts, so the intervals do not change when the examples are reordered or sharded.


def _bootstrap_cell(correct: np.ndarray, samples: int, rng: np.random.Generator) -> np.ndarray:
    n = len(correct)
    return rng.binomial(n, np.count_nonzero(correct) / n, size=samples) / n


def _bootstrap_accuracies(
    correct: np.ndarray,
    is_known: np.ndarray,
    direction: np.ndarray,
    directions: np.ndarray,
    samples: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Replicates of each direction's known and unknown accuracy, each of shape ``(num_directions, samples)``."""
    known, unknown = [], []
    for d in directions:
        in_direction = direction == d
        known.append(_bootstrap_cell(correct[in_direction & is_known], samples, rng))
        unknown.append(_bootstrap_cell(correct[in_direction & ~is_known], samples, rng))
    return np.stack(known), np.stack(unknown)


def _percentile_interval(replicates: np.ndarray, confidence_level: float) -> tuple[float, float]:
    tail = (1.0 - confidence_level) / 2.0
    low, high = np.quantile(replicates, [tail, 1.0 - tail])
    return float(low), float(high)


# ---- per-group scores --------------------------------------------------------------------------------------------


def _group_scores(
    values: np.ndarray,
    correct: np.ndarray,
    data: _Inputs,
    bootstrap_samples: int,
    confidence_level: float,
    rng: np.random.Generator,
) -> dict[Hashable, dict[str, Any]]:
    """Known / unknown accuracy and drop of each group value's examples alone.

    Accuracies are averaged over the directions in which the value has examples of that kind, as
    :func:`compute_transferability` would on the subset; with none, the accuracy is ``None``.
    """
    scores: dict[Hashable, dict[str, Any]] = {}
    for value in np.unique(values):
        in_group = values == value
        cells = {"known": [], "unknown": []}  # correct-flags of the non-empty (direction, kind) cells
        for d in data.directions:
            in_cell = in_group & (data.direction == d)
            for kind, mask in (("known", in_cell & data.is_known), ("unknown", in_cell & ~data.is_known)):
                if mask.any():
                    cells[kind].append(correct[mask])
        known = float(np.mean([c.mean() for c in cells["known"]])) if cells["known"] else None
        unknown = float(np.mean([c.mean() for c in cells["unknown"]])) if cells["unknown"] else None
        entry: dict[str, Any] = {
            "known_accuracy": known,
            "unknown_accuracy": unknown,
            "absolute_drop": None if known is None or unknown is None else known - unknown,
            "num_known": int(sum(len(c) for c in cells["known"])),
            "num_unknown": int(sum(len(c) for c in cells["unknown"])),
        }
        if bootstrap_samples > 0:
            entry["confidence_intervals"] = _group_intervals(cells, bootstrap_samples, confidence_level, rng)
        scores[_key(value)] = entry
    return scores


def _group_intervals(
    cells: dict[str, list[np.ndarray]], samples: int, confidence_level: float, rng: np.random.Generator
) -> dict[str, tuple[float, float] | None]:
    replicates = {
        kind: np.mean([_bootstrap_cell(c, samples, rng) for c in flags], axis=0) if flags else None
        for kind, flags in cells.items()
    }
    known, unknown = replicates["known"], replicates["unknown"]
    drop = None if known is None or unknown is None else known - unknown
    return {
        name: None if r is None else _percentile_interval(r, confidence_level)
        for name, r in (("known_accuracy", known), ("unknown_accuracy", unknown), ("absolute_drop", drop))
    }
