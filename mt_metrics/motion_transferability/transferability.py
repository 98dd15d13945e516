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
:func:`compute_transferability`; the small functions it is built from are public too.

>>> accuracy([0, 1, 2, 2], [0, 1, 1, 2])
0.75
>>> harmonic_mean(0.8, 0.4)
0.5333333333333333
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

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
    if top_k_correct is not None:
        top_k = _derived(
            np.array([d[f"known_top{TOP_K}_accuracy"] for d in directions]),
            np.array([d[f"unknown_top{TOP_K}_accuracy"] for d in directions]),
        )
        result.update(_top_k_names(top_k))
    result["per_direction"] = per_direction

    rng = np.random.default_rng(seed)
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


def check_inputs(
    predictions: ArrayLike,
    references: ArrayLike,
    is_known: ArrayLike,
    *,
    direction: ArrayLike | None = None,
    prediction_scores: ArrayLike | None = None,
    fine_references: ArrayLike | None = None,
) -> None:
    """Check a batch of per-example inputs before anything converts them; raises ``ValueError`` naming the field.

    The checks :func:`compute_transferability` makes of each column, for callers that store batches first (the
    ``evaluate`` module, whose typed features would otherwise read ``"no"`` as ``True`` and 1.7 as 1): labels are
    integers or integral floats (not 1.7, NaN, booleans or strings), ``is_known`` is booleans, ``direction`` is
    integers, ``prediction_scores`` is a rectangular table of numbers without NaN, and every column has one entry
    per example. A batch may hold only known or only unknown examples.

    >>> check_inputs([0, 1], [0, 1.7], [True, False])
    Traceback (most recent call last):
    ...
    ValueError: references has the non-integer label 1.7 at index 1; labels must be integer class indices \
(integral floats such as 1.0 are accepted): take the argmax of the scores, never round them
    """
    columns = {
        "predictions": _as_labels(predictions, "predictions"),
        "references": _as_labels(references, "references"),
        "is_known": _as_flags(is_known, "is_known"),
    }
    if direction is not None:
        columns["direction"] = _as_labels(direction, "direction")
    if prediction_scores is not None:
        columns["prediction_scores"] = _as_scores(prediction_scores, "prediction_scores")
    if fine_references is not None:
        columns["fine_references"] = _as_labels(fine_references, "fine_references")
    _check_lengths(columns, len(columns["predictions"]))


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


# ---- input validation --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Inputs:
    """The validated inputs of :func:`compute_transferability`, as NumPy arrays."""

    predictions: np.ndarray
    references: np.ndarray
    is_known: np.ndarray
    direction: np.ndarray
    prediction_scores: np.ndarray | None
    fine_references: np.ndarray | None
    groups: dict[str, np.ndarray] | None

    @cached_property
    def directions(self) -> np.ndarray:
        return np.unique(self.direction)


def _validated(
    predictions: ArrayLike,
    references: ArrayLike,
    is_known: ArrayLike,
    direction: ArrayLike | None,
    prediction_scores: ArrayLike | None,
    fine_references: ArrayLike | None,
    groups: Mapping[str, ArrayLike] | None,
    num_classes: int | None,
) -> _Inputs:
    predictions, references = _paired_labels(predictions, references)
    n = len(predictions)
    if groups is not None and not isinstance(groups, Mapping):
        raise ValueError(f"groups must be a dict of name -> per-example values, got {type(groups).__name__}")

    # Lengths first: a column of the wrong length is the likeliest cause of any later complaint about it.
    columns = {"is_known": _as_flags(is_known, "is_known")}
    if direction is not None:
        columns["direction"] = _as_column(direction, "direction")
    if prediction_scores is not None:
        columns["prediction_scores"] = _as_scores(prediction_scores, "prediction_scores")
    if fine_references is not None:
        columns["fine_references"] = _as_labels(fine_references, "fine_references")
    for name, values in (groups or {}).items():
        columns[f"groups[{name!r}]"] = _as_column(values, f"groups[{name!r}]")
    _check_lengths(columns, n)

    known_flags = columns["is_known"]
    scores = columns.get("prediction_scores")
    if scores is not None:
        if num_classes is not None and scores.shape[1] != num_classes:
            raise ValueError(f"prediction_scores has {scores.shape[1]} columns but num_classes is {num_classes}")
        num_classes = scores.shape[1]
    limit = "num_classes" if scores is None else "the width of prediction_scores"
    _check_range(references, num_classes, "references", limit)
    _check_range(predictions, num_classes, "predictions", limit)
    if fine_references is not None:
        _check_range(columns["fine_references"], None, "fine_references", "")

    inputs = _Inputs(
        predictions=predictions,
        references=references,
        is_known=known_flags,
        direction=columns.get("direction", np.zeros(n, dtype=np.int64)),
        prediction_scores=scores,
        fine_references=columns.get("fine_references"),
        groups=None if groups is None else {str(name): columns[f"groups[{name!r}]"] for name in groups},
    )
    for d in inputs.directions:
        in_direction = inputs.direction == d
        for kind, mask in (("known", known_flags), ("unknown", ~known_flags)):
            if not (in_direction & mask).any():
                where = "" if direction is None else f" in direction {_key(d)!r}"
                raise ValueError(
                    f"no {kind} examples{where}: every direction needs known (is_known=True) and unknown "
                    f"(is_known=False) examples to measure transferability"
                )
    return inputs


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _check_options(num_classes: Any, bootstrap_samples: Any, confidence_level: Any, seed: Any) -> None:
    """Refuse option values the scores cannot use, naming the option."""
    if num_classes is not None and (not _is_int(num_classes) or num_classes < 1):
        raise ValueError(f"num_classes must be a positive int (the number of classes), got {num_classes!r}")
    if not _is_int(bootstrap_samples) or bootstrap_samples < 0:
        raise ValueError(f"bootstrap_samples must be a non-negative int (0: no intervals), got {bootstrap_samples!r}")
    if (
        isinstance(confidence_level, (bool, np.bool_))
        or not isinstance(confidence_level, numbers.Real)
        or not 0.0 < confidence_level < 1.0
    ):
        raise ValueError(f"confidence_level must be between 0 and 1 (e.g. 0.95), got {confidence_level!r}")
    if not _is_int(seed) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")


def _check_lengths(columns: Mapping[str, np.ndarray], n: int) -> None:
    """Every column has one entry per example (``n``, the number of predictions), or a ValueError lists the others."""
    wrong = {name: len(values) for name, values in columns.items() if len(values) != n}
    if wrong:
        listed = ", ".join(f"{name} has {length}" for name, length in wrong.items())
        raise ValueError(f"every input needs one entry per example: predictions has {n}, but {listed}")


def _paired_labels(predictions: ArrayLike, references: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    predictions = _as_labels(predictions, "predictions")
    references = _as_labels(references, "references")
    if len(predictions) != len(references):
        raise ValueError(
            f"predictions and references differ in length: {len(predictions)} predictions, {len(references)} references"
        )
    if len(predictions) == 0:
        raise ValueError("no examples: predictions and references are empty")
    return predictions, references


def _as_array(values: ArrayLike, name: str, **kwargs: Any) -> np.ndarray:
    """``np.asarray`` whose failures (ragged rows, unconvertible values) name the input."""
    if isinstance(values, (str, bytes, Mapping)) or values is None:
        raise TypeError(f"{name} must be a sequence with one entry per example, got {type(values).__name__}")
    try:
        return np.asarray(values, **kwargs)
    except (ValueError, TypeError, OverflowError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ValueError(f"{name} cannot be read as an array ({reason}); give one value per example") from None


def _as_labels(values: ArrayLike, name: str) -> np.ndarray:
    """Class indices as int64: integers, or floats with no fractional part (1.0); 1.7, NaN, booleans and strings are
    refused, naming ``name``."""
    array = _as_array(values, name)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one class index per example (1-D), got shape {array.shape}")
    if array.size == 0:
        return np.zeros(0, dtype=np.int64)
    if array.dtype.kind == "O":
        # Python ints beyond int64, or mixed types: check each value, then convert.
        for index, value in enumerate(array):
            _check_label_value(value, name, index)
        array = np.asarray([int(value) for value in array], dtype=object)
        too_big = [i for i, value in enumerate(array) if not -(2**63) <= value < 2**63]
        if too_big:
            raise ValueError(f"{name} has label {array[too_big[0]]} at index {too_big[0]}, which is no class index")
        return array.astype(np.int64)
    if array.dtype.kind not in "iuf":
        _check_label_value(array[0].item(), name, 0)  # names the value: a bool, a string, ...
        raise ValueError(f"{name} must be integer class indices, got dtype {array.dtype}")
    if np.issubdtype(array.dtype, np.floating):
        bad = np.flatnonzero(~np.isfinite(array) | (array != np.round(array)) | (np.abs(array) >= 2**63))
        if len(bad):
            _check_label_value(float(array[bad[0]]), name, int(bad[0]))
    elif array.dtype == np.uint64 and (array >= 2**63).any():
        first = int(np.flatnonzero(array >= 2**63)[0])
        raise ValueError(f"{name} has label {array[first]} at index {first}, which is no class index")
    return array.astype(np.int64)


def _check_label_value(value: Any, name: str, index: int) -> None:
    """Refuse one value that is not a class index: a bool, a non-number, NaN/inf, or a float with a fraction."""
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(
            f"{name} has the boolean {value!r} at index {index}; labels are class indices (integers), not booleans"
        )
    if not isinstance(value, numbers.Real):
        raise ValueError(
            f"{name} has {value!r} ({type(value).__name__}) at index {index}; labels must be integer class indices"
        )
    if isinstance(value, numbers.Integral):
        return
    if not math.isfinite(value):
        raise ValueError(
            f"{name} has {value} at index {index}; labels must be integer class indices (check the model's outputs)"
        )
    if value != round(value):
        raise ValueError(
            f"{name} has the non-integer label {value!r} at index {index}; labels must be integer class indices "
            "(integral floats such as 1.0 are accepted): take the argmax of the scores, never round them"
        )
    if abs(value) >= 2**63:
        raise ValueError(f"{name} has label {value!r} at index {index}, which is no class index")


def _as_flags(values: ArrayLike, name: str) -> np.ndarray:
    """Booleans only (Python or NumPy bools): strings such as "yes" and numbers such as 0/1 are refused."""
    array = _as_array(values, name)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one boolean per example (1-D), got shape {array.shape}")
    if array.dtype != np.bool_ and array.size:
        # NumPy has already turned [True, 1] into integers: look at the values as given.
        given = list(values) if not isinstance(values, np.ndarray) else list(array)
        first = next((i for i, v in enumerate(given) if not isinstance(v, (bool, np.bool_))), 0)
        value = given[first].item() if isinstance(given[first], np.generic) else given[first]
        raise ValueError(
            f"{name} must be booleans (True = the example's fine variant was trained on), got {value!r} "
            f"({type(value).__name__}) at index {first}; convert it with np.asarray({name}, dtype=bool) "
            "if 0/1 is meant"
        )
    return array.astype(np.bool_)


def _as_scores(values: ArrayLike, name: str) -> np.ndarray:
    if not isinstance(values, np.ndarray) and not isinstance(values, (str, bytes, Mapping)) and values is not None:
        try:
            lengths = {len(row) for row in values}
        except TypeError:
            lengths = set()
        if len(lengths) > 1:
            rows = list(values)
            first = next(i for i, row in enumerate(rows) if len(row) != len(rows[0]))
            raise ValueError(
                f"{name} is ragged: row 0 has {len(rows[0])} scores but row {first} has {len(rows[first])}; give "
                "every example one score per class"
            )
    array = _as_array(values, name)
    if array.ndim != 2 or array.shape[1] == 0:
        raise ValueError(f"{name} must have shape (num_examples, num_classes), got shape {array.shape}")
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold numbers (logits or probabilities), got dtype {array.dtype}")
    array = array.astype(np.float64)
    nan_rows = np.flatnonzero(np.isnan(array).any(axis=1))
    if len(nan_rows):
        raise ValueError(
            f"{name} contains NaN in {len(nan_rows)} example(s), the first at index {nan_rows[0]}; "
            "check the model's outputs (NaN usually means a diverged model or an empty input)"
        )
    return array


def _as_column(values: ArrayLike, name: str) -> np.ndarray:
    array = _as_array(values, name)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one value per example (1-D), got shape {array.shape}")
    if array.dtype == object:
        missing = np.flatnonzero([v is None for v in array])
    elif np.issubdtype(array.dtype, np.floating):
        missing = np.flatnonzero(np.isnan(array))
    else:
        missing = []
    if len(missing):
        raise ValueError(
            f"{name} has a missing value (None or NaN) at index {missing[0]} ({len(missing)} in all); give missing "
            "values a label of their own, e.g. 'unknown'"
        )
    return array


def _check_range(labels: np.ndarray, num_classes: int | None, name: str, limit: str) -> None:
    below = labels < 0
    above = labels >= num_classes if num_classes is not None else np.zeros_like(below)
    bad = np.flatnonzero(below | above)
    if len(bad):
        bound = f"0..{num_classes - 1} ({limit} is {num_classes})" if num_classes is not None else ">= 0"
        raise ValueError(
            f"{name} has label {labels[bad[0]]} at index {bad[0]} ({len(bad)} out of range in all); "
            f"labels must be in {bound}"
        )


def _key(value: Any) -> Hashable:
    """A plain Python key (``int``, ``str``, ...) for a NumPy scalar, so results compare and serialise cleanly."""
    return value.item() if isinstance(value, np.generic) else value
