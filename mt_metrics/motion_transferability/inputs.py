"""The input checks of the motion-transferability scores: every column converted to NumPy and checked, with errors
that name the field, the index and the fix.

:func:`check_inputs` checks a batch before anything converts it (the ``evaluate`` module calls it on each batch it
stores); :func:`_validated` gives :func:`~transferability.compute_transferability` its inputs as arrays. NumPy only,
like the scores (the Space runs on ``evaluate`` and ``numpy`` alone).
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

__all__ = ["check_inputs"]


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
