"""bench/heads.py's pieces (variant parsing, the table) and mt_models.train.validation's carving of held-out
variants."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import datasets
import pytest
from factories import make_tiny_dataset

from mt_models.train.validation import carve_validation, held_out_variants

ROOT = Path(__file__).resolve().parents[1]


def _bench():
    spec = importlib.util.spec_from_file_location("bench_heads", ROOT / "bench" / "heads.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_heads"] = module
    spec.loader.exec_module(module)
    return module


def test_variants_are_parsed_and_bad_ones_named():
    bench = _bench()
    assert bench.parse_variant("baseline") == ("baseline", [])
    assert bench.parse_variant("disentangled:fine_loss_weight=1,adversarial_weight=0") == (
        "disentangled", ["--fine_loss_weight", "1", "--adversarial_weight", "0"]
    )  # fmt: skip
    with pytest.raises(ValueError, match="head must be one of"):
        bench.parse_variant("fancy:a=1")
    with pytest.raises(ValueError, match="options are name=value, got 'a'"):
        bench.parse_variant("vrex:a")


def test_table_rows():
    row = {
        "split": "paper",
        "variant": "vrex",
        "validation_unknown": 40.0,
        "known": 70.0,
        "unknown": 50.0,
        "drop": 20.0,
        "difference": {"difference": 1.5, "low": -0.5, "high": 3.25, "fraction_at_most_zero": 0.07},
    }
    text = _bench().heads_table([row, {**row, "variant": "baseline", "difference": None}])
    assert "| paper | vrex | 40.0 | 70.0 | 50.0 | 20.0 | +1.5 [-0.5, +3.2] | 0.070 |" in text
    assert "| paper | baseline | 40.0 | 70.0 | 50.0 | 20.0 |  |  |" in text


def test_the_chosen_variant_is_the_best_on_validation_other_than_the_reference():
    bench = _bench()
    validation = {
        "baseline": {"a": [60.0], "b": [60.0]},
        "x": {"a": [50.0], "b": [54.0]},
        "y": {"a": [51.0], "b": [52.0]},
    }
    # the reference scores best, but it is what the chosen one is tested against; x's mean over splits beats y's
    assert bench.chosen_variant(validation, ["baseline", "x", "y"], "baseline") == "x"
    assert bench.chosen_variant({}, ["baseline", "x"], "baseline") == "x"  # --select_on none, one other variant
    assert bench.chosen_variant({}, ["baseline", "x", "y"], "baseline") is None


def test_held_out_variants_follow_a_seeded_rule():
    variants = {0: [3, 1], 1: [5], 2: [9, 7, 8]}
    first = held_out_variants(variants, seed=4)
    assert first == held_out_variants({2: [7, 8, 9], 1: [5], 0: [1, 3]}, seed=4)  # order of the input is irrelevant
    assert len(first) == 2 and first[0] in (1, 3) and first[1] in (7, 8, 9)


def test_carved_dataset_holds_out_training_variants(tmp_path):
    source = make_tiny_dataset(tmp_path / "data", coarse_classes=(0, 1), clips_per_fine=1)
    held = carve_validation(source, tmp_path / "val", seed=0)
    original = datasets.load_dataset(str(source), "set1")
    carved = datasets.load_dataset(str(tmp_path / "val"), "set1")
    train_fine = set(original["train"]["fine_label"])
    assert set(carved["unknown"]["fine_label"]) == set(held["set1"]) <= train_fine
    assert set(carved["train"]["fine_label"]) == train_fine - set(held["set1"])
    assert not set(carved["known"]["fine_label"]) & set(held["set1"])
    # every training and validation video of set 1 is in exactly one carved split; nothing of set 2
    ids = lambda dataset, split: set(dataset[split]["video_id"])  # noqa: E731
    assert ids(carved, "train") | ids(carved, "known") | ids(carved, "unknown") == ids(original, "train") | ids(
        original, "known"
    )
    assert carve_validation(source, tmp_path / "val", seed=0) == held  # reused
