"""mt_metrics.comparison: paired bootstrap differences, against hand-worked cases and a slow reference loop."""

from __future__ import annotations

import numpy as np
import pytest

import mt_metrics
from mt_metrics import compute_transferability, paired_cluster_difference, paired_difference

# Two directions, 4 known and 4 unknown videos each.
REFERENCES = [0, 1, 0, 1, 0, 1, 0, 1] * 2
IS_KNOWN = [True] * 4 + [False] * 4 + [True] * 4 + [False] * 4
DIRECTION = [1] * 8 + [2] * 8
MODEL_B = [0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 1, 0]


def _hand_statistic(predictions, references, is_known, direction, rows, statistic):
    """The statistic of the rows ``rows``, by plain Python sums: per direction, then averaged."""
    per_direction = {}
    for d in sorted(set(direction)):
        cells = {}
        for known in (True, False):
            picked = [r for r in rows if direction[r] == d and is_known[r] == known]
            cells[known] = sum(predictions[r] == references[r] for r in picked) / len(picked)
        per_direction[d] = cells
    k = sum(c[True] for c in per_direction.values()) / len(per_direction)
    u = sum(c[False] for c in per_direction.values()) / len(per_direction)
    hm = [2 * c[True] * c[False] / (c[True] + c[False]) if c[True] + c[False] else 0.0 for c in per_direction.values()]
    return {"known_accuracy": k, "unknown_accuracy": u, "absolute_drop": k - u, "harmonic_mean": sum(hm) / len(hm)}[
        statistic
    ]


def _reference_loop(a, b, references, is_known, strata, statistic, samples, seed, confidence=0.95):
    """Slow paired bootstrap: strata are (known, *strata values) in sorted order, drawn one after the other."""
    rng = np.random.default_rng(seed)
    keys = [(int(is_known[i]), *(values[i] for values in strata.values())) for i in range(len(references))]
    groups = [[i for i, key in enumerate(keys) if key == wanted] for wanted in sorted(set(keys))]
    direction = strata.get("direction", [0] * len(references))
    differences = []
    for _ in range(samples):
        rows = []
        for group in groups:
            rows += [group[j] for j in rng.integers(0, len(group), len(group))]
        differences.append(
            _hand_statistic(a, references, is_known, direction, rows, statistic)
            - _hand_statistic(b, references, is_known, direction, rows, statistic)
        )
    tail = (1 - confidence) / 2
    return tuple(np.quantile(differences, [tail, 1 - tail])), float(np.mean(np.array(differences) <= 0))


def test_identical_predictions_differ_by_zero_with_a_degenerate_interval():
    for statistic in mt_metrics.COMPARISON_STATISTICS:
        result = paired_difference(MODEL_B, MODEL_B, REFERENCES, IS_KNOWN, strata={"direction": DIRECTION},
                                   statistic=statistic, samples=50)  # fmt: skip
        assert result["difference"] == 0.0
        assert result["interval"] == (0.0, 0.0)
        assert result["fraction_at_most_zero"] == 1.0


def test_k_more_right_unknown_videos_give_k_over_n():
    # Model a is right on exactly 3 more unknown videos than b (one direction, 8 unknown videos).
    references = [0, 1, 2, 0, 1, 2, 0, 1, 2, 0]
    is_known = [True, True] + [False] * 8
    b = [0, 1, 0, 0, 0, 0, 0, 0, 0, 0]  # right on the unknown videos 3, 9 (reference 0)
    a = [0, 1, 0, 0, 1, 2, 0, 1, 0, 0]  # also right on 4, 5, 7
    result = paired_difference(a, b, references, is_known, samples=300)
    assert result["difference"] == pytest.approx(3 / 8)
    # a is never worse on a resample of the same videos: every replicate's difference is >= 0
    assert result["interval"][0] >= 0.0
    assert result["fraction_at_most_zero"] < 0.05
    assert paired_difference(a, b, references, is_known, statistic="known_accuracy", samples=20)["interval"] == (0, 0)


@pytest.mark.parametrize("statistic", ["unknown_accuracy", "known_accuracy", "absolute_drop", "harmonic_mean"])
def test_interval_matches_a_slow_reference_loop(statistic):
    rng = np.random.default_rng(5)
    a = rng.integers(0, 2, 16).tolist()
    seed_column = [0, 0, 1, 1] * 4
    strata = {"direction": DIRECTION, "seed": seed_column}
    result = paired_difference(a, MODEL_B, REFERENCES, IS_KNOWN, strata=strata, statistic=statistic, samples=200,
                               seed=3)  # fmt: skip
    interval, fraction = _reference_loop(a, MODEL_B, REFERENCES, IS_KNOWN, strata, statistic, 200, 3)
    assert result["interval"] == pytest.approx(interval)
    assert result["fraction_at_most_zero"] == pytest.approx(fraction)
    core = [compute_transferability(p, REFERENCES, IS_KNOWN, direction=DIRECTION)[statistic] for p in (a, MODEL_B)]
    assert result["difference"] == pytest.approx(core[0] - core[1])


def _cluster_reference(first, second, statistic, samples, seed):
    rng = np.random.default_rng(seed)
    classes = sorted(set(first["references"]))
    differences = []
    for _ in range(samples):
        drawn = [classes[j] for j in rng.integers(0, len(classes), len(classes))]
        values = []
        for side in (first, second):
            rows = [i for c in drawn for i, r in enumerate(side["references"]) if r == c]
            rows.sort()
            values.append(_hand_statistic(side["predictions"], side["references"], side["is_known"],
                                          side["direction"], rows, statistic))  # fmt: skip
        differences.append(values[0] - values[1])
    return tuple(np.quantile(differences, [0.025, 0.975]))


def test_cluster_difference_on_different_videos():
    first = {"predictions": MODEL_B, "references": REFERENCES, "is_known": IS_KNOWN, "direction": DIRECTION}
    same = paired_cluster_difference(first, dict(first), samples=50)
    assert same["difference"] == 0.0 and same["interval"] == (0.0, 0.0)
    # The second result: other videos (6 per direction) of the same two classes.
    second = {
        "predictions": [0, 1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 1],
        "references": [0, 1, 0, 1, 0, 1] * 2,
        "is_known": [True, True, True, False, False, False] * 2,
        "direction": [1] * 6 + [2] * 6,
    }
    result = paired_cluster_difference(first, second, samples=100, seed=1)
    core = [compute_transferability(**{k: s[k] for k in ("predictions", "references", "is_known", "direction")})
            for s in (first, second)]  # fmt: skip
    assert result["difference"] == pytest.approx(core[0]["absolute_drop"] - core[1]["absolute_drop"])
    assert result["interval"] == pytest.approx(_cluster_reference(first, second, "absolute_drop", 100, 1))


def test_cluster_by_coarse_and_seed_and_bad_inputs():
    first = {"predictions": MODEL_B, "references": REFERENCES, "is_known": IS_KNOWN, "direction": DIRECTION,
             "seed": [0, 0, 1, 1] * 4}  # fmt: skip
    result = paired_cluster_difference(first, dict(first), cluster=("coarse", "seed"), samples=20)
    assert result["interval"] == (0.0, 0.0)
    with pytest.raises(ValueError, match="statistic must be one of"):
        paired_difference(MODEL_B, MODEL_B, REFERENCES, IS_KNOWN, statistic="relative_drop")
    with pytest.raises(ValueError, match="different 'seed' values"):
        paired_cluster_difference(first, {**first, "seed": [0, 0, 2, 2] * 4}, cluster="seed")
    with pytest.raises(ValueError, match="is_known must be booleans"):
        paired_difference(MODEL_B, MODEL_B, REFERENCES, [1, 0] * 8)
    with pytest.raises(ValueError, match="predictions_b must be a flat sequence of 16"):
        paired_difference(MODEL_B, MODEL_B[:3], REFERENCES, IS_KNOWN)
