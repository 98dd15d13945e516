"""Paired bootstrap comparisons of two models' motion-transferability scores.

Two separate intervals that overlap say little about the difference of two models scored on the same videos: the
same hard videos pull both down. These helpers bootstrap the *difference* itself, resampling the same units for both
sides in every replicate:

- :func:`paired_difference`: two models' predictions on the same videos. Each replicate draws video indices once,
  with replacement, within every stratum (known/unknown x the values of each ``strata`` column, e.g. direction and
  seed), so each stratum keeps its size, and scores both models on those indices.
- :func:`paired_cluster_difference`: two results on *different* videos that share classes (e.g. the drop under two
  appearance splits). Each replicate draws clusters (coarse classes, and optionally seeds) with replacement once and
  takes every video of the drawn clusters on both sides.

Scores are the metric core's (:func:`mt_metrics.compute_transferability`): accuracies per direction, then averaged
over directions (the ``direction`` stratum or column, when given). Each returns ``{"statistic", "value_a",
"value_b", "difference" (a - b), "interval" (percentile, low <= high), "confidence", "fraction_at_most_zero" (of the
replicates' differences), "samples"}``.

>>> result = paired_difference([0, 1, 1, 0], [0, 1, 0, 0], [0, 1, 1, 1], [True, True, False, False], samples=200)
>>> result["difference"]
0.5
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from mt_metrics.motion_transferability.transferability import compute_transferability

__all__ = ["COMPARISON_STATISTICS", "paired_cluster_difference", "paired_difference"]

COMPARISON_STATISTICS = ("known_accuracy", "unknown_accuracy", "absolute_drop", "harmonic_mean")


def _check(statistic: str, samples: int, confidence: float) -> None:
    if statistic not in COMPARISON_STATISTICS:
        raise ValueError(f"statistic must be one of {COMPARISON_STATISTICS}, got {statistic!r}")
    if isinstance(samples, bool) or not isinstance(samples, int | np.integer) or samples < 1:
        raise ValueError(f"samples must be a positive integer, got {samples!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")


def _score(columns: Mapping[str, np.ndarray], statistic: str) -> float:
    """One statistic of one model, as the metric core computes it (per direction, then averaged)."""
    return compute_transferability(
        columns["predictions"], columns["references"], columns["is_known"], direction=columns.get("direction")
    )[statistic]


def _summary(
    statistic: str, value_a: float, value_b: float, differences: np.ndarray, confidence: float
) -> dict[str, Any]:
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(differences, [tail, 1.0 - tail])
    return {
        "statistic": statistic,
        "value_a": value_a,
        "value_b": value_b,
        "difference": value_a - value_b,
        "interval": (float(low), float(high)),
        "confidence": confidence,
        "fraction_at_most_zero": float(np.mean(differences <= 0)),
        "samples": len(differences),
    }


def _bootstrap(
    columns_a: Mapping[str, np.ndarray],
    columns_b: Mapping[str, np.ndarray],
    draw: Callable[[np.random.Generator], tuple[np.ndarray, np.ndarray]],
    statistic: str,
    samples: int,
    confidence: float,
    seed: int,
) -> dict[str, Any]:
    """Score both sides as given, then on ``samples`` replicates of the row indices ``draw`` returns for each side."""
    rng = np.random.default_rng(seed)
    differences = np.empty(samples)
    for replicate in range(samples):
        rows_a, rows_b = draw(rng)
        first = _score({k: v[rows_a] for k, v in columns_a.items()}, statistic)
        second = _score({k: v[rows_b] for k, v in columns_b.items()}, statistic)
        differences[replicate] = first - second
    return _summary(statistic, _score(columns_a, statistic), _score(columns_b, statistic), differences, confidence)


def _stratum_members(is_known: np.ndarray, strata: Mapping[str, np.ndarray]) -> list[np.ndarray]:
    """The row indices of each stratum (known/unknown x every strata column), strata in sorted key order."""
    keys = [is_known.astype(np.int64)]
    for values in strata.values():
        keys.append(np.unique(values, return_inverse=True)[1].reshape(-1))
    _, stratum = np.unique(np.stack(keys, axis=1), axis=0, return_inverse=True)
    stratum = stratum.reshape(-1)
    return [np.flatnonzero(stratum == s) for s in range(int(stratum.max()) + 1)]


def _column(values: ArrayLike, name: str, length: int) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1 or len(array) != length:
        raise ValueError(f"{name} must be a flat sequence of {length} values, got shape {array.shape}")
    return array


def paired_difference(
    predictions_a: ArrayLike,
    predictions_b: ArrayLike,
    references: ArrayLike,
    is_known: ArrayLike,
    *,
    strata: Mapping[str, ArrayLike] | None = None,
    statistic: str = "unknown_accuracy",
    samples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> dict[str, Any]:
    """Paired bootstrap of ``statistic(model a) - statistic(model b)`` on the same videos.

    Args:
        predictions_a, predictions_b: each model's predicted coarse index per video.
        references: true coarse index per video; is_known: ``True`` for known videos (booleans).
        strata: ``{name: per-video values}`` resampled within, crossed with known/unknown (e.g. ``{"direction":
            ..., "seed": ...}``). A ``"direction"`` column is also the metric's direction: the statistic is
            computed per direction and averaged.
        statistic: one of :data:`COMPARISON_STATISTICS`.
        samples, confidence, seed: bootstrap replicates, coverage of the percentile interval, generator seed.

    Each replicate draws, for every stratum in sorted order of its key, ``rng.integers(0, size, size)`` positions
    among that stratum's videos (``rng = np.random.default_rng(seed)``), and scores both models on them.

    Returns:
        ``statistic``, ``value_a``, ``value_b``, ``difference`` (a - b), ``interval`` (low, high),
        ``confidence``, ``fraction_at_most_zero`` (share of replicates whose difference is <= 0), ``samples``.
    """
    _check(statistic, samples, confidence)
    references = np.asarray(references)
    n = len(references)
    columns = {"references": references, "is_known": _column(is_known, "is_known", n)}
    if columns["is_known"].dtype != bool:
        raise ValueError(f"is_known must be booleans, got dtype {columns['is_known'].dtype}")
    strata = {name: _column(values, f"strata[{name!r}]", n) for name, values in (strata or {}).items()}
    if "direction" in strata:
        columns["direction"] = strata["direction"]
    columns_a = {**columns, "predictions": _column(predictions_a, "predictions_a", n)}
    columns_b = {**columns, "predictions": _column(predictions_b, "predictions_b", n)}
    members = _stratum_members(columns["is_known"], strata)

    def draw(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        rows = np.concatenate([group[rng.integers(0, len(group), len(group))] for group in members])
        return rows, rows

    return _bootstrap(columns_a, columns_b, draw, statistic, samples, confidence, seed)


def _result_columns(result: Mapping[str, ArrayLike], name: str, clusters: Sequence[str]) -> dict[str, np.ndarray]:
    for key in ("predictions", "references", "is_known"):
        if key not in result:
            raise ValueError(f"{name} has no {key!r}: give predictions, references, is_known (and direction)")
    n = len(np.asarray(result["references"]))
    columns = {key: _column(result[key], f"{name}[{key!r}]", n) for key in ("predictions", "references", "is_known")}
    if "direction" in result:
        columns["direction"] = _column(result["direction"], f"{name}['direction']", n)
    for cluster in clusters:
        source = "references" if cluster == "coarse" else cluster
        if source not in result:
            raise ValueError(f"{name} has no {cluster!r} column to resample clusters by")
        columns[f"cluster:{cluster}"] = _column(result[source], f"{name}[{source!r}]", n)
    return columns


def paired_cluster_difference(
    first: Mapping[str, ArrayLike],
    second: Mapping[str, ArrayLike],
    *,
    cluster: str | Sequence[str] = "coarse",
    statistic: str = "absolute_drop",
    samples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> dict[str, Any]:
    """Cluster-paired bootstrap of ``statistic(first) - statistic(second)`` for results on different videos.

    Args:
        first, second: ``{"predictions", "references", "is_known"}`` and optionally ``"direction"`` and the
            cluster columns (e.g. ``"seed"``), per video, as :func:`mt_models.protocol.pooled_predictions` gives.
        cluster: the column(s) whose values are resampled jointly for both sides: ``"coarse"`` (the references'
            coarse classes) and/or other columns such as ``"seed"``. Several columns are resampled independently
            (crossed): a video enters a replicate once per draw of each of its values (the product of the counts).
            Both sides must have the same values of each cluster column.
        statistic, samples, confidence, seed: as :func:`paired_difference`.

    Each replicate draws, for each cluster column in the given order, ``rng.integers(0, k, k)`` among its ``k``
    sorted values, and repeats every video of each side as many times as its clusters were drawn.
    """
    _check(statistic, samples, confidence)
    clusters = [cluster] if isinstance(cluster, str) else list(cluster)
    if not clusters:
        raise ValueError("cluster must name at least one column, e.g. 'coarse'")
    columns_a = _result_columns(first, "first", clusters)
    columns_b = _result_columns(second, "second", clusters)
    values, codes_a, codes_b = [], [], []
    for name in clusters:
        key = f"cluster:{name}"
        side_a, side_b = columns_a.pop(key), columns_b.pop(key)
        shared = np.unique(side_a)
        if not np.array_equal(shared, np.unique(side_b)):
            raise ValueError(f"first and second have different {name!r} values: {shared} vs {np.unique(side_b)}")
        values.append(shared)
        codes_a.append(np.searchsorted(shared, side_a))
        codes_b.append(np.searchsorted(shared, side_b))

    def repeats(codes: list[np.ndarray], counts: list[np.ndarray], size: int) -> np.ndarray:
        multiplicity = np.ones(size, dtype=np.int64)
        for code, count in zip(codes, counts, strict=True):
            multiplicity *= count[code]
        return np.repeat(np.arange(size), multiplicity)

    size_a, size_b = len(columns_a["references"]), len(columns_b["references"])

    def draw(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        counts = [np.bincount(rng.integers(0, len(v), len(v)), minlength=len(v)) for v in values]
        return repeats(codes_a, counts, size_a), repeats(codes_b, counts, size_b)

    return _bootstrap(columns_a, columns_b, draw, statistic, samples, confidence, seed)
