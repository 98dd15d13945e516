"""The NumPy core of the transferability scores (mt_metrics.transferability) and the paper's reference results.

Scores are checked against scikit-learn and hand-worked cases, properties are checked with hypothesis, and every
documented input error is provoked.
"""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    recall_score,
    top_k_accuracy_score,
)

import mt_metrics
import mt_metrics.motion_transferability.inputs
import mt_metrics.motion_transferability.transferability
import mt_metrics.paper
from mt_metrics import (
    accuracy,
    compute_transferability,
    harmonic_mean,
    mean_class_accuracy,
    paper_results,
    per_class_accuracy,
    top_k_accuracy,
)

NUM_CLASSES = 8


def make_protocol_data(n: int = 400, num_classes: int = NUM_CLASSES, seed: int = 0) -> dict[str, np.ndarray]:
    """Both directions of a run: unknown examples are predicted worse than known ones, as in the paper."""
    rng = np.random.default_rng(seed)
    references = rng.integers(0, num_classes, n)
    is_known = rng.random(n) < 0.5
    direction = rng.integers(1, 3, n)
    hit = rng.random(n) < np.where(is_known, 0.85, 0.45)
    predictions = np.where(hit, references, (references + rng.integers(1, num_classes, n)) % num_classes)
    # float32-exact scores whose argmax is the prediction, so the evaluate module (float32 storage) sees the same.
    scores = rng.random((n, num_classes)).astype(np.float32).astype(np.float64)
    scores[np.arange(n), predictions] += 1.0
    return {
        "predictions": predictions,
        "references": references,
        "is_known": is_known,
        "direction": direction,
        "prediction_scores": scores,
        "fine_references": references * 3 + rng.integers(0, 3, n),
    }


def test_scores_equal_sklearn_per_direction_then_averaged():
    data = make_protocol_data()
    result = compute_transferability(**data)

    expected = {"known": [], "unknown": [], "known_mca": [], "unknown_mca": [], "hm": [], "known_top5": []}
    for d in (1, 2):
        for kind, mask in (("known", data["is_known"]), ("unknown", ~data["is_known"])):
            subset = (data["direction"] == d) & mask
            refs, preds = data["references"][subset], data["predictions"][subset]
            expected[kind].append(accuracy_score(refs, preds))
            expected[f"{kind}_mca"].append(balanced_accuracy_score(refs, preds))
            if kind == "known":
                expected["known_top5"].append(
                    top_k_accuracy_score(refs, data["prediction_scores"][subset], k=5, labels=range(NUM_CLASSES))
                )
            per_direction = result["per_direction"][d]
            assert per_direction[f"{kind}_accuracy"] == pytest.approx(expected[kind][-1])
            assert per_direction[f"num_{kind}"] == subset.sum()
        k, u = expected["known"][-1], expected["unknown"][-1]
        expected["hm"].append(2 * k * u / (k + u))

    known, unknown = np.mean(expected["known"]), np.mean(expected["unknown"])
    assert result["known_accuracy"] == pytest.approx(known)
    assert result["unknown_accuracy"] == pytest.approx(unknown)
    assert result["absolute_drop"] == pytest.approx(known - unknown)
    assert result["relative_drop"] == pytest.approx((known - unknown) / known)
    assert result["harmonic_mean"] == pytest.approx(np.mean(expected["hm"]))
    assert result["known_mean_class_accuracy"] == pytest.approx(np.mean(expected["known_mca"]))
    assert result["unknown_mean_class_accuracy"] == pytest.approx(np.mean(expected["unknown_mca"]))
    assert result["known_top5_accuracy"] == pytest.approx(np.mean(expected["known_top5"]))
    assert result["num_known"] + result["num_unknown"] == len(data["predictions"])
    # The synthetic model transfers badly: the drop is large and positive.
    assert result["absolute_drop"] > 0.3


def test_unknown_accuracy_per_class_equals_sklearn_recall_averaged_over_directions():
    data = make_protocol_data()
    result = compute_transferability(
        data["predictions"], data["references"], data["is_known"], direction=data["direction"]
    )
    recalls = []
    for d in (1, 2):
        subset = (data["direction"] == d) & ~data["is_known"]
        recalls.append(
            recall_score(
                data["references"][subset], data["predictions"][subset], labels=range(NUM_CLASSES), average=None
            )
        )
    assert result["unknown_accuracy_per_class"] == pytest.approx(dict(enumerate(np.mean(recalls, axis=0))))


def test_harmonic_mean_is_per_direction_then_averaged_like_the_paper():
    # Direction 1: K = 1.0, U = 0.5 -> HM 2/3. Direction 2: K = 0.5, U = 0.5 -> HM 0.5.
    # Averages: K = 0.75, U = 0.5; the paper's HM = (2/3 + 1/2) / 2 = 7/12, not HM(0.75, 0.5) = 0.6.
    result = compute_transferability(
        predictions=[0, 1, 0, 0, 0, 0, 0, 0],
        references=[0, 1, 0, 1, 0, 1, 0, 1],
        is_known=[True, True, False, False] * 2,
        direction=[1, 1, 1, 1, 2, 2, 2, 2],
    )
    assert result["per_direction"][1]["harmonic_mean"] == pytest.approx(2 / 3)
    assert result["per_direction"][2]["harmonic_mean"] == pytest.approx(0.5)
    assert result["known_accuracy"] == 0.75 and result["unknown_accuracy"] == 0.5
    assert result["harmonic_mean"] == pytest.approx(7 / 12)
    assert result["absolute_drop"] == 0.25
    assert result["relative_drop"] == pytest.approx(1 / 3)
    assert result["unknown_accuracy_per_class"] == {0: 1.0, 1: 0.0}
    assert list(result["per_direction"]) == [1, 2]


def test_single_direction_is_keyed_zero_and_relative_drop_is_none_without_known_hits():
    result = compute_transferability([1, 1, 0], [0, 0, 0], [True, True, False])
    assert list(result["per_direction"]) == [0]
    assert result["known_accuracy"] == 0.0 and result["unknown_accuracy"] == 1.0
    assert result["relative_drop"] is None
    assert result["harmonic_mean"] == 0.0


def test_top5_variants_equal_sklearn():
    data = make_protocol_data(num_classes=12, seed=3)
    result = compute_transferability(**data)
    for kind, mask in (("known", data["is_known"]), ("unknown", ~data["is_known"])):
        per_direction = [
            top_k_accuracy_score(data["references"][m], data["prediction_scores"][m], k=5, labels=range(12))
            for m in ((data["direction"] == d) & mask for d in (1, 2))
        ]
        assert result[f"{kind}_top5_accuracy"] == pytest.approx(np.mean(per_direction))
    assert result["top5_absolute_drop"] == pytest.approx(
        result["known_top5_accuracy"] - result["unknown_top5_accuracy"]
    )
    assert result["known_top5_accuracy"] >= result["known_accuracy"]
    assert "top5_harmonic_mean" in result["per_direction"][1]


def test_public_pieces_equal_sklearn():
    rng = np.random.default_rng(7)
    references = rng.integers(0, 6, 300)
    predictions = np.where(rng.random(300) < 0.6, references, rng.integers(0, 6, 300))
    scores = rng.random((300, 6))
    assert accuracy(predictions, references) == pytest.approx(accuracy_score(references, predictions))
    assert mean_class_accuracy(predictions, references) == pytest.approx(
        balanced_accuracy_score(references, predictions)
    )
    assert per_class_accuracy(predictions, references) == pytest.approx(
        dict(enumerate(recall_score(references, predictions, average=None)))
    )
    for k in (1, 3, 5):
        assert top_k_accuracy(scores, references, k=k) == pytest.approx(top_k_accuracy_score(references, scores, k=k))
    assert harmonic_mean(np.array([0.5, 1.0, 0.0]), np.array([0.5, 0.0, 0.0])) == pytest.approx([0.5, 0.0, 0.0])


def test_per_group_scores_equal_the_scores_of_each_subset_alone():
    data = make_protocol_data(n=600, seed=1)
    rng = np.random.default_rng(11)
    view = rng.choice(["regular", "front"], len(data["predictions"]))
    azimuth_bin = rng.integers(0, 3, len(data["predictions"])) * 60
    result = compute_transferability(**data, groups={"view": view, "azimuth": azimuth_bin})

    for name, values in (("view", view), ("azimuth", azimuth_bin)):
        assert set(result["per_group"][name]) == set(values.tolist())
        for value, scores in result["per_group"][name].items():
            subset = values == value
            alone = compute_transferability(
                data["predictions"][subset],
                data["references"][subset],
                data["is_known"][subset],
                direction=data["direction"][subset],
            )
            for score in ("known_accuracy", "unknown_accuracy", "absolute_drop", "num_known", "num_unknown"):
                assert scores[score] == pytest.approx(alone[score]), (name, value, score)
    assert isinstance(next(iter(result["per_group"]["azimuth"])), int)


def test_group_without_unknown_examples_is_reported_as_none_not_zero():
    data = make_protocol_data(n=200, seed=2)
    background = np.where(data["is_known"], "studio", "street")
    background[:10] = "beach"
    data["is_known"][:10] = True  # "beach" has known examples only
    result = compute_transferability(**data, groups={"background": background}, bootstrap_samples=200)

    beach = result["per_group"]["background"]["beach"]
    assert beach["unknown_accuracy"] is None and beach["absolute_drop"] is None
    assert beach["num_unknown"] == 0 and beach["num_known"] == 10
    assert beach["known_accuracy"] is not None
    assert beach["confidence_intervals"]["unknown_accuracy"] is None
    low, high = beach["confidence_intervals"]["known_accuracy"]
    assert low <= beach["known_accuracy"] <= high
    street = result["per_group"]["background"]["street"]
    assert street["known_accuracy"] is None and street["num_known"] == 0


def test_per_fine_class_breakdown_equals_fine_class_groups():
    data = make_protocol_data(seed=4)
    result = compute_transferability(**data)
    as_groups = compute_transferability(**data, groups={"fine": data["fine_references"]})["per_group"]["fine"]
    assert result["per_fine_class"] == as_groups
    fine = data["fine_references"][0]
    mask = (data["fine_references"] == fine) & ~data["is_known"]
    directions = np.unique(data["direction"][mask])
    expected = np.mean(
        [
            accuracy_score(
                data["references"][mask & (data["direction"] == d)],
                data["predictions"][mask & (data["direction"] == d)],
            )
            for d in directions
        ]
    )
    assert result["per_fine_class"][int(fine)]["unknown_accuracy"] == pytest.approx(expected)


def naive_bootstrap_intervals(data: dict[str, np.ndarray], samples: int, level: float, seed: int) -> dict:
    """Index resampling within each direction and within known / unknown, the textbook way."""
    rng = np.random.default_rng(seed)
    correct = data["predictions"] == data["references"]
    known, unknown = [], []
    for d in (1, 2):
        for kind, mask in ((known, data["is_known"]), (unknown, ~data["is_known"])):
            flags = correct[(data["direction"] == d) & mask]
            kind.append(flags[rng.integers(0, len(flags), (samples, len(flags)))].mean(axis=1))
    known, unknown = np.array(known), np.array(unknown)
    replicates = {
        "known_accuracy": known.mean(0),
        "unknown_accuracy": unknown.mean(0),
        "absolute_drop": known.mean(0) - unknown.mean(0),
        "harmonic_mean": (2 * known * unknown / (known + unknown)).mean(0),
    }
    tail = (1 - level) / 2
    return {name: np.quantile(r, [tail, 1 - tail]) for name, r in replicates.items()}


def test_bootstrap_intervals_match_naive_index_resampling():
    data = make_protocol_data(n=300, seed=5)
    result = compute_transferability(**data, bootstrap_samples=4000, confidence_level=0.9, seed=1)
    naive = naive_bootstrap_intervals(data, samples=4000, level=0.9, seed=2)
    for name, (low, high) in result["confidence_intervals"].items():
        assert low <= result[name] <= high
        # Two independent Monte-Carlo estimates of the same percentiles agree to well under a percentage point or so.
        assert low == pytest.approx(naive[name][0], abs=0.015), name
        assert high == pytest.approx(naive[name][1], abs=0.015), name
    assert set(result["confidence_intervals"]) == {
        "known_accuracy",
        "unknown_accuracy",
        "absolute_drop",
        "harmonic_mean",
    }


def test_bootstrap_is_seeded_and_wider_at_higher_confidence():
    data = make_protocol_data(n=200, seed=6)
    first = compute_transferability(**data, bootstrap_samples=500, seed=3)
    assert compute_transferability(**data, bootstrap_samples=500, seed=3) == first
    assert compute_transferability(**data, bootstrap_samples=500, seed=4) != first
    wide = compute_transferability(**data, bootstrap_samples=500, seed=3, confidence_level=0.99)
    for name, (low, high) in first["confidence_intervals"].items():
        wide_low, wide_high = wide["confidence_intervals"][name]
        assert wide_low <= low and high <= wide_high and high - low > 0
    assert "confidence_intervals" not in compute_transferability(**data)


# ---- properties ----------------------------------------------------------------------------------------------------


@st.composite
def protocol_examples(draw) -> dict[str, np.ndarray]:
    num_classes = draw(st.integers(2, 6))
    n = draw(st.integers(4, 40))
    references = np.array(draw(st.lists(st.integers(0, num_classes - 1), min_size=n, max_size=n)))
    predictions = np.array(draw(st.lists(st.integers(0, num_classes - 1), min_size=n, max_size=n)))
    # Examples 0-3 give each direction a known and an unknown example; the rest are free.
    is_known = np.array([True, False, True, False] + draw(st.lists(st.booleans(), min_size=n - 4, max_size=n - 4)))
    direction = np.array([1, 1, 2, 2] + draw(st.lists(st.sampled_from([1, 2]), min_size=n - 4, max_size=n - 4)))
    return {"predictions": predictions, "references": references, "is_known": is_known, "direction": direction}


SCALAR_SCORES = ("known_accuracy", "unknown_accuracy", "absolute_drop", "relative_drop", "harmonic_mean")


@settings(max_examples=60, deadline=None)
@given(protocol_examples())
def test_property_bounds_and_harmonic_mean_between_min_and_max(data):
    result = compute_transferability(**data)
    for name in ("known_accuracy", "unknown_accuracy", "harmonic_mean", "unknown_mean_class_accuracy"):
        assert 0.0 <= result[name] <= 1.0
    assert -1.0 <= result["absolute_drop"] <= 1.0
    assert result["absolute_drop"] == pytest.approx(result["known_accuracy"] - result["unknown_accuracy"])
    for scores in result["per_direction"].values():
        low, high = sorted((scores["known_accuracy"], scores["unknown_accuracy"]))
        assert low - 1e-12 <= scores["harmonic_mean"] <= high + 1e-12
    # HM <= arithmetic mean in each direction, so also after averaging.
    assert result["harmonic_mean"] <= (result["known_accuracy"] + result["unknown_accuracy"]) / 2 + 1e-12


@settings(max_examples=40, deadline=None)
@given(protocol_examples(), st.randoms(use_true_random=False))
def test_property_invariant_to_example_order(data, random):
    order = list(range(len(data["predictions"])))
    random.shuffle(order)
    shuffled = {name: values[order] for name, values in data.items()}
    # The bootstrap depends only on counts per cell, so the intervals do not change either.
    assert compute_transferability(**shuffled, bootstrap_samples=50) == compute_transferability(
        **data, bootstrap_samples=50
    )


@settings(max_examples=40, deadline=None)
@given(protocol_examples(), st.randoms(use_true_random=False))
def test_property_invariant_to_relabelling_classes_and_directions(data, random):
    permutation = list(range(6))
    random.shuffle(permutation)
    permutation = np.array(permutation)
    relabelled = dict(data, predictions=permutation[data["predictions"]], references=permutation[data["references"]])
    relabelled["direction"] = 3 - data["direction"]  # swap which set is called 1 and which 2
    original, result = compute_transferability(**data), compute_transferability(**relabelled)
    for name in (*SCALAR_SCORES, "known_mean_class_accuracy", "unknown_mean_class_accuracy"):
        assert result[name] == pytest.approx(original[name])
    assert result["unknown_accuracy_per_class"] == pytest.approx(
        {int(permutation[c]): a for c, a in original["unknown_accuracy_per_class"].items()}
    )
    for name in SCALAR_SCORES:
        assert result["per_direction"][1][name] == pytest.approx(original["per_direction"][2][name])


# ---- bad input -----------------------------------------------------------------------------------------------------


def test_integral_floats_read_as_labels():
    # Labels that went through a float array (1.0) are class indices; only a fraction (1.7) is refused.
    as_floats = compute_transferability([0.0, 1.0, 1.0], [0, 1.0, 0], np.array([True, True, False]))
    assert as_floats == compute_transferability([0, 1, 1], [0, 1, 0], [True, True, False])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"is_known": [True, False]}, "is_known has 2"),
        ({"references": [0, 1]}, "differ in length: 3 predictions, 2 references"),
        ({"direction": [1, 1]}, "direction has 2"),
        ({"groups": {"view": ["a", "b"]}}, "groups['view'] has 2"),
        ({"predictions": [], "references": []}, "no examples"),
        ({"is_known": [1, 1, 0]}, "is_known must be booleans"),
        ({"is_known": [True, True, True]}, "no unknown examples"),
        ({"direction": [1, 2, 2]}, "no unknown examples in direction 1"),
        ({"references": [0, 1, 5], "num_classes": 3}, "references has label 5 at index 2"),
        ({"predictions": [0, -1, 1]}, "predictions has label -1 at index 1"),
        ({"predictions": [0.0, 1.7, 1.0]}, "predictions has the non-integer label 1.7 at index 1"),
        ({"references": [0, float("nan"), 1]}, "references has nan at index 1"),
        ({"predictions": [True, False, True]}, "predictions has the boolean True at index 0"),
        ({"references": ["0", "1", "0"]}, "references has '0' (str) at index 0"),
        ({"predictions": [0, 2**70, 1]}, "predictions has label 1180591620717411303424 at index 1"),
        ({"is_known": ["yes", "yes", "no"]}, "is_known must be booleans (True = the example's fine variant"),
        ({"is_known": [True, 1, False]}, "got 1 (int) at index 1"),
        ({"prediction_scores": [[0.1, 0.9], [0.3], [0.5, 0.5]]}, "prediction_scores is ragged: row 0 has 2 scores"),
        ({"prediction_scores": [["a", "b"]] * 3}, "prediction_scores must hold numbers"),
        ({"direction": [[1], [1, 2], [2]]}, "direction cannot be read as an array"),
        ({"num_classes": "3"}, "num_classes must be a positive int"),
        ({"seed": -1}, "seed must be a non-negative int"),
        ({"prediction_scores": [[0.1, 0.9], [np.nan, 0.1], [0.5, 0.5]]}, "NaN in 1 example(s), the first at index 1"),
        ({"prediction_scores": [[0.1, 0.9]] * 3, "num_classes": 3}, "prediction_scores has 2 columns"),
        ({"prediction_scores": [[0.1, 0.9]] * 3, "references": [0, 1, 2]}, "the width of prediction_scores is 2"),
        ({"fine_references": [0, -3, 1]}, "fine_references has label -3"),
        ({"groups": {"view": ["a", None, "b"]}}, "groups['view'] has a missing value (None or NaN) at index 1"),
        ({"groups": {"azimuth": [0.0, 60.0, np.nan]}}, "groups['azimuth'] has a missing value"),
        ({"groups": ["a", "b", "c"]}, "groups must be a dict"),
        ({"bootstrap_samples": -1}, "bootstrap_samples must be a non-negative int"),
        ({"confidence_level": 95}, "confidence_level must be between 0 and 1"),
    ],
)
def test_bad_input_gets_an_error_that_names_the_problem(kwargs, message):
    inputs = {"predictions": [0, 1, 1], "references": [0, 1, 0], "is_known": [True, True, False], **kwargs}
    with pytest.raises(ValueError) as error:
        compute_transferability(**inputs)
    assert message in str(error.value)


# ---- the paper's results and the docstrings ----------------------------------------------------------------------


def test_paper_results_rows_and_their_internal_consistency():
    counts = {"coarse": 16, "fine": 5}
    for task, count in counts.items():
        for dataset in ("syn-ta", "k400-ta", "ssv2-ta"):
            rows = paper_results(dataset, task)
            assert len(rows) == count
            for row in rows:
                assert row["dataset"] == dataset and row["task"] == task
                known, unknown = row["known_accuracy"], row["unknown_accuracy"]
                assert row["absolute_drop"] == pytest.approx(known - unknown, abs=0.011)
                # HM per direction, then averaged, is at most the HM of the averaged K and U (0.00-0.24 below).
                assert -0.01 <= harmonic_mean(known, unknown) - row["harmonic_mean"] <= 0.25
    assert paper_results("k400-ta")[6] == {
        "dataset": "k400-ta",
        "task": "coarse",
        "group": "Unimodal",
        "model": "AIM",
        "known_accuracy": 95.04,
        "unknown_accuracy": 63.73,
        "absolute_drop": 31.31,
        "harmonic_mean": 76.29,
    }
    assert {row["group"] for row in paper_results("ssv2-ta", "fine")} == {"Multimodal"}


def test_paper_results_bad_names_suggest_the_right_one():
    with pytest.raises(ValueError, match=r"Unknown dataset 'synta'\. Did you mean 'syn-ta'"):
        paper_results("synta")
    with pytest.raises(ValueError, match=r"Unknown task 'coarce'\. Did you mean 'coarse'"):
        paper_results("syn-ta", "coarce")


@pytest.mark.parametrize(
    "module",
    [
        mt_metrics,
        mt_metrics.motion_transferability.transferability,
        mt_metrics.motion_transferability.inputs,
        mt_metrics.paper,
    ],
)
def test_docstring_examples_run(module):
    failed, attempted = doctest.testmod(module)
    assert attempted > 0 and failed == 0


# ---- fuzz: whatever comes in, the only failure is the metric's own error with a message ----------------------------

_SCALARS = st.one_of(
    st.integers(-3, 12),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, 1.0, 2.0, 1.7]),
    st.booleans(),
    st.text(max_size=3),
    st.none(),
)
_VALUES = st.one_of(_SCALARS, st.lists(_SCALARS, max_size=3))


def _column(n: int) -> st.SearchStrategy:
    return st.one_of(
        st.lists(_SCALARS, min_size=n, max_size=n),
        st.lists(st.integers(0, 4), min_size=n, max_size=n),
        st.lists(st.booleans(), min_size=n, max_size=n),
        st.lists(_VALUES, min_size=0, max_size=n + 1),
        _SCALARS,
    )


@st.composite
def metric_inputs(draw) -> dict:
    n = draw(st.integers(0, 6))
    inputs = {
        "predictions": draw(_column(n)),
        "references": draw(_column(n)),
        "is_known": draw(st.one_of(st.lists(st.booleans(), min_size=n, max_size=n), _column(n))),
    }
    optional = {
        "direction": _column(n),
        "prediction_scores": st.one_of(
            st.lists(st.lists(st.floats(allow_nan=True), min_size=2, max_size=2), min_size=n, max_size=n),
            st.lists(st.lists(_SCALARS, max_size=3), max_size=n + 1),
            _column(n),
        ),
        "fine_references": _column(n),
        "groups": st.one_of(st.dictionaries(st.text(max_size=2), _column(n), max_size=2), _column(n)),
        "num_classes": _SCALARS,
        "bootstrap_samples": st.one_of(st.integers(-2, 3), _SCALARS),
        "confidence_level": _SCALARS,
        "seed": _SCALARS,
    }
    for name, strategy in optional.items():
        if draw(st.booleans()):
            inputs[name] = draw(strategy)
    return inputs


@settings(max_examples=400, deadline=None)
@given(metric_inputs())
def test_fuzz_any_input_gives_scores_or_the_metrics_own_error(inputs):
    try:
        compute_transferability(**inputs)
    except (ValueError, TypeError) as error:
        # The metric's own message: one line, naming something; not NumPy's or Python's internals.
        assert raised_by_the_metric(error), f"{type(error).__name__} from outside the metric: {error}"
        assert str(error) and "\n" not in str(error), repr(str(error))


def raised_by_the_metric(error: BaseException) -> bool:
    """Whether ``error`` is one of the metric's own: a plain ValueError/TypeError whose message names the input or
    option at fault (NumPy's "setting an array element with a sequence" or Python's "'<' not supported" name none)."""
    names = ("predictions", "references", "is_known", "direction", "prediction_scores", "fine_references", "groups")
    names += ("num_classes", "bootstrap_samples", "confidence_level", "seed", "every input", "no examples")
    message = str(error)
    return type(error) in (ValueError, TypeError) and (
        any(name in message for name in names) or message.startswith(("no known", "no unknown"))
    )
