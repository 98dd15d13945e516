"""Transferability scores with bootstrap intervals: mt_metrics.compute_transferability against a textbook bootstrap.

Both score 100k examples (two directions, known / unknown, 20 classes) with 1000 bootstrap replicates that resample
within each direction and within known / unknown. The anchor resamples example indices for every replicate and scores
each resample with scikit-learn's ``accuracy_score``; ours draws each cell's resampled count of correct predictions
directly (the same distribution) and also computes every other score. Prints one JSON line: seconds of each, the
ratio anchor / ours (> 1: ours faster), and the largest difference between the two methods' interval bounds.

    .venv/bin/python bench/bench_metric.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np
from sklearn.metrics import accuracy_score

from mt_metrics import compute_transferability, harmonic_mean

NUM_CLASSES = 20
CONFIDENCE_LEVEL = 0.95


def make_predictions(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """A model that is right on 80% of known and 45% of unknown examples, over both directions."""
    rng = np.random.default_rng(seed)
    references = rng.integers(0, NUM_CLASSES, n)
    is_known = rng.random(n) < 0.5
    hit = rng.random(n) < np.where(is_known, 0.8, 0.45)
    wrong = (references + rng.integers(1, NUM_CLASSES, n)) % NUM_CLASSES
    return {
        "predictions": np.where(hit, references, wrong),
        "references": references,
        "is_known": is_known,
        "direction": rng.integers(1, 3, n),
    }


def anchor_intervals(data: dict[str, np.ndarray], samples: int, seed: int) -> dict[str, tuple[float, float]]:
    """Index resampling per replicate, each resample scored with sklearn's accuracy_score."""
    rng = np.random.default_rng(seed)
    known = np.empty((2, samples))
    unknown = np.empty((2, samples))
    for row, d in enumerate((1, 2)):
        for replicates, mask in ((known, data["is_known"]), (unknown, ~data["is_known"])):
            cell = np.flatnonzero((data["direction"] == d) & mask)
            for b in range(samples):
                resample = cell[rng.integers(0, len(cell), len(cell))]
                replicates[row, b] = accuracy_score(data["references"][resample], data["predictions"][resample])
    scores = {
        "known_accuracy": known.mean(0),
        "unknown_accuracy": unknown.mean(0),
        "absolute_drop": known.mean(0) - unknown.mean(0),
        "harmonic_mean": harmonic_mean(known, unknown).mean(0),
    }
    tail = (1 - CONFIDENCE_LEVEL) / 2
    return {name: tuple(np.quantile(r, [tail, 1 - tail])) for name, r in scores.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20k examples, 200 replicates (a smoke run)")
    args = parser.parse_args()
    n, samples, repeats = (20_000, 200, 2) if args.quick else (100_000, 1000, 5)
    data = make_predictions(n)

    ours_times = []
    for _ in range(repeats):
        start = time.perf_counter()
        ours = compute_transferability(
            **data, bootstrap_samples=samples, confidence_level=CONFIDENCE_LEVEL, num_classes=NUM_CLASSES
        )
        ours_times.append(time.perf_counter() - start)
    start = time.perf_counter()
    anchor = anchor_intervals(data, samples, seed=1)
    anchor_seconds = time.perf_counter() - start

    ci_difference = max(
        abs(a - b)
        for name, bounds in anchor.items()
        for a, b in zip(bounds, ours["confidence_intervals"][name], strict=True)
    )
    print(
        json.dumps(
            {
                "benchmark": "metric",
                "examples": n,
                "bootstrap_samples": samples,
                "ours": "mt_metrics.compute_transferability (all scores + bootstrap intervals)",
                "ours_seconds": round(min(ours_times), 4),
                "anchor": "index resampling per replicate, sklearn.metrics.accuracy_score per resample",
                "anchor_seconds": round(anchor_seconds, 3),
                "speedup_anchor_over_ours": round(anchor_seconds / min(ours_times), 1),
                "max_interval_bound_difference": round(ci_difference, 4),
                "machine": platform.machine(),
            }
        )
    )


if __name__ == "__main__":
    main()
