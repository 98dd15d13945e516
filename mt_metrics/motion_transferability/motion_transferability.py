"""Motion transferability: how well a video classifier recognises unseen fine variants of the actions it learned."""

import difflib
from collections.abc import Sequence

import datasets
import evaluate

# Files beside this script: evaluate copies the files the script itself imports into its modules cache with the script
# (locally and from the Hub), not the files they import: each file of the core is imported here.
from .inputs import check_inputs
from .transferability import compute_transferability

_CITATION = """\
@inproceedings{abdullah2025punching,
  title     = {Punching Bag vs. Punching Person: Motion Transferability in Videos},
  author    = {Abdullah, Raiyaan and Claypoole, Jared and Cogswell, Michael and Divakaran, Ajay and Rawat, Yogesh},
  booktitle = {Proceedings of the IEEE/CVF International Conference on Computer Vision (ICCV)},
  year      = {2025},
  eprint    = {2508.00085},
  archivePrefix = {arXiv},
}
"""

_DESCRIPTION = """\
Motion transferability measures whether an action recognition model that learned a coarse action ("punching") from
some fine variants ("punching bag") recognises it in variants it never saw ("punching person"). The fine variants of
every coarse class are split into two sets; a model trained on one set is tested on unseen videos of that set
("known") and on videos of the other set ("unknown"), then the sets are swapped (the two "directions").

Scores, all fractions in [0, 1]: known accuracy K and unknown accuracy U (averaged over directions), the absolute drop
K - U, the relative drop (K - U) / K, and the harmonic mean 2KU / (K + U), computed per direction and then averaged as
in the paper. Also mean-class accuracies, per-class unknown accuracy, top-5 variants when per-class scores are given,
per-fine-class and per-group breakdowns, and bootstrap confidence intervals.

This module is a thin shell over `compute_transferability` of `transferability.py`, the NumPy file beside it and the one
implementation of the scores (the `motion-transfer` package re-exports it as `mt_metrics.compute_transferability`).
It needs `evaluate` and `numpy` only.
"""

_KWARGS_DESCRIPTION = """
Features (per example; give them to `add`, `add_batch` or `compute`):
    predictions (`int`): predicted class index.
    references (`int`): true class index (the coarse class for the coarse task).
    is_known (`bool`): True when the example's fine variant was in the training set, False when it was not.
    prediction_scores (`list` of `float`): per-class scores; only with the config "top5", and adds the top-5 scores.
    direction (`int`): the fine set the model was trained on (1 or 2); only when loaded with `with_direction=True`.
    fine_references (`int`): fine class index; only when loaded with `with_fine_references=True`.
    groups (`dict` of `str` -> `str`): the example's value of each group, e.g. {"view": "front", "shape": "cube"};
        only when loaded with `group_names=[...]` (bin numeric factors into strings first).
    Features travel through `add_batch` and through evaluate's multi-process gathering. Outside those,
    `direction`, `fine_references` and `groups` (a dict of name -> list) are also accepted by `compute` as keyword
    arguments covering every example in the order added.

Args (keyword arguments of `compute`):
    num_classes (`int`, optional): number of classes, to check labels against (defaults to the scores' width).
    bootstrap_samples (`int`): bootstrap replicates for confidence intervals; 0 (default) for none.
    confidence_level (`float`): coverage of the percentile intervals. Defaults to 0.95.
    seed (`int`): seed of the bootstrap. Defaults to 0.

Returns:
    known_accuracy (`float`): top-1 accuracy on known examples, averaged over directions.
    unknown_accuracy (`float`): top-1 accuracy on unknown examples, averaged over directions.
    absolute_drop (`float`): known_accuracy - unknown_accuracy.
    relative_drop (`float` or `None`): absolute_drop / known_accuracy (None when known_accuracy is 0).
    harmonic_mean (`float`): 2KU / (K + U) per direction, then averaged.
    known_mean_class_accuracy, unknown_mean_class_accuracy (`float`): mean of per-class accuracies.
    unknown_accuracy_per_class (`dict` of `int` -> `float`): unknown accuracy of each class.
    num_known, num_unknown (`int`): example counts.
    per_direction (`dict`): every score above for each direction (key 0 when there is no direction feature).
    known_top5_accuracy, unknown_top5_accuracy, top5_absolute_drop, top5_relative_drop, top5_harmonic_mean
        (`float`): with the config "top5".
    per_fine_class (`dict`): known / unknown accuracy, drop and counts of each fine class, with fine references.
    per_group (`dict`): `per_group[name][value]` = known / unknown accuracy, drop and counts of that group value's
        examples alone; an accuracy with no examples is None (not 0).
    confidence_intervals (`dict` of `str` -> (`float`, `float`)): percentile bootstrap intervals of known_accuracy,
        unknown_accuracy, absolute_drop and harmonic_mean, when bootstrap_samples > 0 (also in each group's scores).

Examples:

    One direction: a model trained on set 1, scored on set-1 (known) and set-2 (unknown) validation videos.
    >>> metric = evaluate.load("motion_transferability")
    >>> results = metric.compute(
    ...     predictions=[0, 1, 2, 2, 0, 1, 1, 0],
    ...     references=[0, 1, 2, 2, 0, 1, 2, 2],
    ...     is_known=[True, True, True, True, False, False, False, False],
    ... )
    >>> results["known_accuracy"], results["unknown_accuracy"], results["absolute_drop"]
    (1.0, 0.5, 0.5)

    Both directions at once, batch by batch, with per-group scores:
    >>> metric = evaluate.load("motion_transferability", with_direction=True, group_names=["view"])
    >>> metric.add_batch(
    ...     predictions=[0, 1, 1, 1], references=[0, 1, 0, 1], is_known=[True, True, False, False],
    ...     direction=[1, 1, 1, 1], groups=[{"view": "front"}, {"view": "side"}, {"view": "front"}, {"view": "side"}],
    ... )
    >>> metric.add_batch(
    ...     predictions=[0, 1, 0, 0], references=[0, 1, 0, 1], is_known=[True, True, False, False],
    ...     direction=[2, 2, 2, 2], groups=[{"view": "front"}, {"view": "side"}, {"view": "front"}, {"view": "side"}],
    ... )
    >>> results = metric.compute()
    >>> results["harmonic_mean"], results["per_group"]["view"]["side"]["unknown_accuracy"]
    (0.6666666666666666, 0.5)

    Top-5 from per-class scores:
    >>> metric = evaluate.load("motion_transferability", "top5")
    >>> results = metric.compute(
    ...     predictions=[1, 0], references=[1, 1], is_known=[True, False],
    ...     prediction_scores=[[0.1, 0.9], [0.6, 0.4]],
    ... )
    >>> results["unknown_accuracy"], results["unknown_top5_accuracy"]
    (0.0, 1.0)
"""

# The two feature sets: without and with per-class scores, chosen by the config name.
CONFIG_NAMES = ("default", "top5")


def _unknown_config_message(name: str) -> str:
    """The error for a config name that is not one of CONFIG_NAMES, suggesting the closest."""
    close = difflib.get_close_matches(name, CONFIG_NAMES, n=1, cutoff=0.5)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return f"Unknown config name {name!r}.{hint} Valid config names: {', '.join(map(repr, CONFIG_NAMES))}."


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class MotionTransferability(evaluate.Metric):
    """Known / unknown accuracy, drops and harmonic mean of the motion-transferability protocol."""

    def __init__(
        self,
        *args,
        with_direction: bool = False,
        with_fine_references: bool = False,
        group_names: Sequence[str] = (),
        **kwargs,
    ):
        # Set before evaluate's __init__, which calls _info() to build the features.
        self.with_direction = bool(with_direction)
        self.with_fine_references = bool(with_fine_references)
        if isinstance(group_names, str):
            raise ValueError(f"group_names must be a list of names, e.g. [{group_names!r}], not a string")
        self.group_names = tuple(group_names)
        super().__init__(*args, **kwargs)

    def _info(self):
        if self.config_name not in CONFIG_NAMES:
            # "top5" adds the prediction_scores feature.
            raise ValueError(_unknown_config_message(self.config_name))
        features = {
            "predictions": datasets.Value("int32"),
            "references": datasets.Value("int32"),
            "is_known": datasets.Value("bool"),
        }
        if self.config_name == "top5":
            features["prediction_scores"] = datasets.List(datasets.Value("float32"))
        if self.with_direction:
            features["direction"] = datasets.Value("int32")
        if self.with_fine_references:
            features["fine_references"] = datasets.Value("int32")
        if self.group_names:
            features["groups"] = {name: datasets.Value("string") for name in self.group_names}
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(features),
            homepage="https://github.com/raiyaan-abdullah/Motion-Transfer",
            reference_urls=["https://arxiv.org/abs/2508.00085"],
        )

    def add_batch(self, *, predictions=None, references=None, **kwargs):
        """Check the batch as given (evaluate's typed features would read "no" as True and 1.7 as 1), then store it."""
        self._check(predictions, references, kwargs)
        return super().add_batch(predictions=predictions, references=references, **kwargs)

    def add(self, *, prediction=None, reference=None, **kwargs):
        """Check one example as given, then store it."""
        # evaluate also takes the feature names themselves (add(predictions=3, ...)): check what it will store.
        given = {"predictions": prediction, "references": reference, **kwargs}
        as_batch = {name: [value] for name, value in given.items() if value is not None}
        self._check(as_batch.pop("predictions", None), as_batch.pop("references", None), as_batch)
        return super().add(prediction=prediction, reference=reference, **kwargs)

    def _check(self, predictions, references, columns):
        if predictions is None and references is None and all(value is None for value in columns.values()):
            return  # nothing given: evaluate computes over what was added before
        check_inputs(
            predictions,
            references,
            columns.get("is_known"),
            direction=columns.get("direction"),
            prediction_scores=columns.get("prediction_scores"),
            fine_references=columns.get("fine_references"),
        )

    def _compute(
        self,
        predictions,
        references,
        is_known,
        prediction_scores=None,
        direction=None,
        fine_references=None,
        groups=None,
        num_classes=None,
        bootstrap_samples=0,
        confidence_level=0.95,
        seed=0,
    ):
        if self.group_names and groups is not None and not isinstance(groups, dict):
            # The groups feature arrives as one {name: value} row per example; the core takes {name: values}.
            groups = {name: [row[name] for row in groups] for name in self.group_names}
        return compute_transferability(
            predictions,
            references,
            is_known,
            direction=direction,
            prediction_scores=prediction_scores,
            fine_references=fine_references,
            groups=groups,
            num_classes=num_classes,
            bootstrap_samples=bootstrap_samples,
            confidence_level=confidence_level,
            seed=seed,
        )
