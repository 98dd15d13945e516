"""mt_models.experiments.protocol: pooling, per-class scores and the resumed grid, on predictions the evaluation module
wrote."""

from __future__ import annotations

import pytest

from mt_models.experiments.protocol import per_class_scores, pooled_scores, run_label, run_protocol
from mt_models.scoring.evaluation import write_predictions
from mt_models.scoring.records import RESULTS_FILENAME


def write_eval(directory, known, unknown):
    """predictions.json of one evaluation: (prediction, reference) pairs per split, every video decoded."""
    rows = [("known", p, r) for p, r in known] + [("unknown", p, r) for p, r in unknown]
    write_predictions(
        directory,
        {
            "split": [s for s, _, _ in rows],
            "index": list(range(len(rows))),
            "decoded": [True] * len(rows),
            "prediction": [p for _, p, _ in rows],
            "reference": [r for _, _, r in rows],
            "fine_reference": [0] * len(rows),
        },
    )
    return directory


def test_pooled_and_per_class_scores(tmp_path):
    first = write_eval(tmp_path / "a", known=[(0, 0), (1, 1)], unknown=[(1, 0), (1, 1)])
    second = write_eval(tmp_path / "b", known=[(0, 0), (0, 1)], unknown=[(0, 0), (0, 1)])
    scores = pooled_scores([first, second])
    assert scores["known_accuracy"] == pytest.approx((1.0 + 0.5) / 2)
    assert scores["unknown_accuracy"] == pytest.approx((0.5 + 0.5) / 2)
    per_class = per_class_scores([first, second], ["zero", "one"])
    assert per_class == {"zero": (100.0, 50.0), "one": (50.0, 50.0)}


def test_a_finished_grid_is_not_trained_again(tmp_path):
    # Every evaluation of the grid is on disk, as an interrupted run left it; "no-such-backbone" would fail to load.
    label = run_label("no-such-backbone", "baseline")
    for config in ("set1", "set2"):
        eval_dir = write_eval(tmp_path / label / "seed0" / config / "eval", known=[(0, 0)], unknown=[(0, 0)])
        (eval_dir / RESULTS_FILENAME).write_text("{}")
    runs = run_protocol("no-such-dataset", ["no-such-backbone"], output_dir=tmp_path, heads=["baseline"])
    assert runs == {label: [tmp_path / label / "seed0" / c / "eval" for c in ("set1", "set2")]}
