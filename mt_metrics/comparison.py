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

__all__ = ["COMPARISON_STATISTICS", "paired_cluster_contrast", "paired_cluster_difference", "paired_difference"]

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
    statistic: str, values: Sequence[float], weights: Sequence[float], contrasts: np.ndarray, confidence: float
) -> dict[str, Any]:
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(contrasts, [tail, 1.0 - tail])
    summary = {"statistic": statistic}
    if list(weights) == [1.0, -1.0]:
        summary |= {"value_a": values[0], "value_b": values[1], "difference": values[0] - values[1]}
    else:
        summary |= {"values": list(values), "weights": list(weights)}
        summary["difference"] = float(sum(w * v for w, v in zip(weights, values, strict=True)))
    return summary | {
        "interval": (float(low), float(high)),
        "confidence": confidence,
        "fraction_at_most_zero": float(np.mean(contrasts <= 0)),
        "samples": len(contrasts),
    }


def _bootstrap(
    sides: Sequence[Mapping[str, np.ndarray]],
    weights: Sequence[float],
    draw: Callable[[np.random.Generator], Sequence[np.ndarray]],
    statistic: str,
    samples: int,
    confidence: float,
    seed: int,
) -> dict[str, Any]:
    """Score the weighted sum of the sides' statistics as given, then on ``samples`` replicates of the row indices
    ``draw`` returns for each side."""
    rng = np.random.default_rng(seed)
    contrasts = np.empty(samples)
    for replicate in range(samples):
        rows = draw(rng)
        contrasts[replicate] = sum(
            weight * _score({k: v[r] for k, v in side.items()}, statistic)
            for weight, side, r in zip(weights, sides, rows, strict=True)
        )
    values = [_score(side, statistic) for side in sides]
    return _summary(statistic, values, weights, contrasts, confidence)


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

    return _bootstrap([columns_a, columns_b], [1.0, -1.0], draw, statistic, samples, confidence, seed)


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
            cluster columns (e.g. ``"seed"``), per video, as :func:`mt_models.experiments.protocol.pooled_predictions`
            gives.
        cluster: the column(s) whose values are resampled jointly for both sides: ``"coarse"`` (the references'
            coarse classes) and/or other columns such as ``"seed"``. Several columns are resampled independently
            (crossed): a video enters a replicate once per draw of each of its values (the product of the counts).
            Both sides must have the same values of each cluster column.
        statistic, samples, confidence, seed: as :func:`paired_difference`.

    Each replicate draws, for each cluster column in the given order, ``rng.integers(0, k, k)`` among its ``k``
    sorted values, and repeats every video of each side as many times as its clusters were drawn.
    """
    return paired_cluster_contrast(
        [first, second], [1.0, -1.0], cluster=cluster, statistic=statistic, samples=samples,
        confidence=confidence, seed=seed,
    )  # fmt: skip


def paired_cluster_contrast(
    results: Sequence[Mapping[str, ArrayLike]],
    weights: Sequence[float],
    *,
    cluster: str | Sequence[str] = "coarse",
    statistic: str = "absolute_drop",
    samples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> dict[str, Any]:
    """Cluster-paired bootstrap of ``sum(weight * statistic(result))`` over results on different videos.

    :func:`paired_cluster_difference` is the contrast ``(1, -1)`` of two results; a difference of differences,
    e.g. whether the drop grows more with appearance for a model that sees RGB than for one that sees motion only,
    is ``(1, -1, -1, 1)`` over (rgb/paper, rgb/motion-only, motion/paper, motion/motion-only). Every result is
    resampled with the same clusters in each replicate. Returns the keys of :func:`paired_difference`, with
    ``values`` and ``weights`` in place of ``value_a`` / ``value_b`` unless the weights are ``(1, -1)``.
    """
    _check(statistic, samples, confidence)
    if len(results) != len(weights) or len(results) < 2:
        raise ValueError(f"give at least two results and one weight each, got {len(results)} and {len(weights)}")
    clusters = [cluster] if isinstance(cluster, str) else list(cluster)
    if not clusters:
        raise ValueError("cluster must name at least one column, e.g. 'coarse'")
    names = ["first", "second"] if len(results) == 2 else [f"results[{i}]" for i in range(len(results))]
    sides = [_result_columns(result, name, clusters) for result, name in zip(results, names, strict=True)]
    values, codes = [], [[] for _ in sides]
    for name in clusters:
        key = f"cluster:{name}"
        per_side = [side.pop(key) for side in sides]
        shared = np.unique(per_side[0])
        for side_name, column in zip(names[1:], per_side[1:], strict=True):
            if not np.array_equal(shared, np.unique(column)):
                raise ValueError(
                    f"{names[0]} and {side_name} have different {name!r} values: {shared} vs {np.unique(column)}"
                )
        values.append(shared)
        for side_codes, column in zip(codes, per_side, strict=True):
            side_codes.append(np.searchsorted(shared, column))

    def repeats(side_codes: list[np.ndarray], counts: list[np.ndarray], size: int) -> np.ndarray:
        multiplicity = np.ones(size, dtype=np.int64)
        for code, count in zip(side_codes, counts, strict=True):
            multiplicity *= count[code]
        return np.repeat(np.arange(size), multiplicity)

    sizes = [len(side["references"]) for side in sides]

    def draw(rng: np.random.Generator) -> list[np.ndarray]:
        counts = [np.bincount(rng.integers(0, len(v), len(v)), minlength=len(v)) for v in values]
        return [repeats(c, counts, size) for c, size in zip(codes, sizes, strict=True)]

    return _bootstrap(sides, [float(w) for w in weights], draw, statistic, samples, confidence, seed)
