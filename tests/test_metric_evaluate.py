"""The evaluate module mt_metrics/motion_transferability: loading both ways, add / add_batch / compute, its card."""

from __future__ import annotations

import ast
import doctest
import re

import evaluate
import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from test_metric import make_protocol_data, metric_inputs, raised_by_the_metric

import mt_metrics
from mt_metrics import EVALUATE_MODULE_DIR, compute_transferability, paper_results

CARD = EVALUATE_MODULE_DIR / "README.md"
GROUP_NAMES = ("view", "background")


def group_columns(n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(9)
    return {"view": rng.choice(["regular", "front"], n), "background": rng.choice(["wall", "sky", "floor"], n)}


def test_loaded_by_path_from_any_cwd_add_batch_and_add_equal_the_core(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = make_protocol_data(n=300)
    groups = group_columns(300)
    metric = mt_metrics.load(
        config_name="top5", with_direction=True, with_fine_references=True, group_names=list(GROUP_NAMES)
    )
    assert isinstance(metric, evaluate.Metric) and metric.name == "motion_transferability"
    rows = [{name: groups[name][i] for name in GROUP_NAMES} for i in range(300)]

    def extra_inputs(where: int | slice) -> dict:
        """The inputs beyond predictions and references (named alike by ``add`` and ``add_batch``) of rows ``where``."""
        named = ("is_known", "prediction_scores", "direction", "fine_references")
        return {name: data[name][where] for name in named} | {"groups": rows[where]}

    for start in range(0, 280, 70):  # four batches, then the last 20 one by one
        batch = slice(start, start + 70)
        metric.add_batch(
            predictions=data["predictions"][batch], references=data["references"][batch], **extra_inputs(batch)
        )
    for i in range(280, 300):
        metric.add(prediction=data["predictions"][i], reference=data["references"][i], **extra_inputs(i))
    result = metric.compute(bootstrap_samples=300, seed=5)

    expected = compute_transferability(**data, groups=groups, bootstrap_samples=300, seed=5)
    assert result == expected
    assert set(result["per_group"]) == set(GROUP_NAMES) and "known_top5_accuracy" in result


def test_loaded_by_name_from_any_directory_equals_the_core(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # import mt_metrics registered the module with evaluate
    data = make_protocol_data(n=120, seed=1)
    metric = evaluate.load("motion_transferability")
    assert list(metric.features) == ["predictions", "references", "is_known"]
    # direction given to compute as a keyword covering every example, in the order given
    result = metric.compute(
        predictions=data["predictions"],
        references=data["references"],
        is_known=data["is_known"],
        direction=data["direction"],
    )
    expected = compute_transferability(
        data["predictions"], data["references"], data["is_known"], direction=data["direction"]
    )
    assert result == expected and list(result["per_direction"]) == [1, 2]


def test_core_errors_pass_through_compute_and_bad_config_names_are_named():
    metric = mt_metrics.load(with_direction=True)
    metric.add_batch(predictions=[0, 1, 0], references=[0, 1, 1], is_known=[True, False, True], direction=[1, 1, 2])
    with pytest.raises(ValueError, match="no unknown examples in direction 2"):
        metric.compute()
    with pytest.raises(ValueError, match=r"Unknown config name 'top-5'\. Did you mean 'top5'"):
        mt_metrics.load(config_name="top-5")
    with pytest.raises(ValueError, match="group_names must be a list"):
        mt_metrics.load(group_names="view")


def test_space_app_launches_the_gradio_widget_on_the_hub_module():
    # gradio is not installed here, so app.py is read, not run.
    tree = ast.parse((EVALUATE_MODULE_DIR / "app.py").read_text())
    calls = {
        node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id: node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
    }
    assert calls["load"].args[0].value == "motion-transfer/motion_transferability"
    assert "launch_gradio_widget" in calls


def test_card_has_the_space_header_and_evaluate_sections():
    text = CARD.read_text()
    header = yaml.safe_load(text.split("---\n")[1])
    assert header["app_file"] == "app.py" and header["sdk"] == "gradio"
    assert {"evaluate", "metric"} <= set(header["tags"])
    headings = re.findall(r"^#+ (.+)$", text, flags=re.MULTILINE)
    for section in (
        "Metric Description",
        "How to Use",
        "Inputs",
        "Output Values",
        "Values from Popular Papers",
        "Examples",
        "Limitations and Bias",
        "Citation(s)",
    ):
        assert section in headings


def test_card_paper_tables_equal_the_paper_results():
    text = CARD.read_text()
    for dataset, title in (("syn-ta", "Syn-TA"), ("k400-ta", "K400-TA"), ("ssv2-ta", "SSv2-TA")):
        table = text.split(f"#### {title} (coarse task)")[1].split("\n\n")[1]
        rows = [line.strip("|").split("|") for line in table.splitlines()[2:]]
        expected = paper_results(dataset)
        assert len(rows) == len(expected)
        for cells, row in zip(rows, expected, strict=True):
            model, group, *numbers = (c.strip() for c in cells)
            assert (model, group) == (row["model"], row["group"])
            scores = ("known_accuracy", "unknown_accuracy", "absolute_drop", "harmonic_mean")
            assert [float(x) for x in numbers] == [row[s] for s in scores]


def test_examples_in_the_card_and_the_docstring_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # evaluate.load("motion_transferability") resolves from anywhere after the import
    parser = doctest.DocTestParser()
    # Code fences end a Markdown example; blank them so doctest does not read them as expected output.
    card = re.sub(r"^```.*$", "", CARD.read_text(), flags=re.MULTILINE)
    sources = {"card": card, "kwargs": mt_metrics.load().inputs_description}
    for name, text in sources.items():
        test = parser.get_doctest(text, {"evaluate": evaluate, "mt_metrics": mt_metrics}, name, str(CARD), 0)
        runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
        runner.run(test)
        assert runner.summarize(verbose=False) == (0, len(test.examples)), name
        assert len(test.examples) >= 8


def test_card_lists_every_output_of_the_core():
    data = make_protocol_data(n=80, seed=2)
    outputs = compute_transferability(**data, groups={"view": group_columns(80)["view"]}, bootstrap_samples=10)
    text = CARD.read_text()
    documented = set(re.findall(r"\*\*(\w+)\*\*", text.split("### Output Values")[1].split("####")[0]))
    assert set(outputs) <= documented


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"is_known": ["yes", "no"]}, "is_known must be booleans"),
        ({"predictions": [1.7, 0]}, "predictions has the non-integer label 1.7 at index 0"),
        ({"predictions": [float("nan"), 0]}, "predictions has nan at index 0"),
        ({"references": [0, None]}, "references has None (NoneType) at index 1"),
        ({"prediction_scores": [[0.1, 0.9], [0.5]]}, "prediction_scores is ragged: row 0 has 2 scores but row 1 has 1"),
        ({"prediction_scores": [[0.1, 0.9], [float("nan"), 0.5]]}, "prediction_scores contains NaN"),
    ],
)
def test_the_module_refuses_what_its_features_would_silently_convert(inputs, message):
    # evaluate's typed features would read "no" as True, 1.7 as 1, and fail on NaN without naming the field.
    batch = {"predictions": [0, 1], "references": [0, 1], "is_known": [True, False], **inputs}
    metric = mt_metrics.load(config_name="top5" if "prediction_scores" in inputs else "default")
    with pytest.raises(ValueError, match=re.escape(message)):
        metric.compute(**batch)
    with pytest.raises(ValueError, match="is_known must be booleans"):
        metric.add(prediction=0, reference=0, is_known="yes")
    with pytest.raises(ValueError, match="predictions has the non-integer label 0.5"):
        metric.add(predictions=0.5, references=0, is_known=True)  # evaluate takes the feature names in add too
    # Integral floats are class indices, as in the core.
    assert (
        mt_metrics.load().compute(predictions=[0.0, 1.0], references=[0, 1], is_known=[True, False])["known_accuracy"]
        == 1.0
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(metric_inputs())
def test_fuzz_the_module_gives_scores_or_the_metrics_own_error(inputs):
    inputs.pop("groups", None)  # group names are fixed when the module is loaded
    metric = mt_metrics.load(config_name="top5", with_direction=True, with_fine_references=True)
    try:
        metric.compute(**inputs)
    except (ValueError, TypeError) as error:
        assert raised_by_the_metric(error), f"{type(error).__name__} from outside the metric: {error}"
