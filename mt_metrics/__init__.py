"""Motion-transferability scores: the NumPy core, the `evaluate` module, the paper's reference results, and paired
bootstrap comparisons of two models (:mod:`mt_metrics.comparison`).

``import mt_metrics`` also makes ``evaluate.load("motion_transferability")`` find the module shipped in this package
(see :func:`register_with_evaluate`).

>>> from mt_metrics import compute_transferability
>>> compute_transferability([0, 1, 1, 1], [0, 1, 0, 1], [True, True, False, False])["absolute_drop"]
0.5
"""

from __future__ import annotations

import sys
from typing import Any

from mt_metrics.comparison import COMPARISON_STATISTICS, paired_cluster_difference, paired_difference
from mt_metrics.motion_transferability import transferability
from mt_metrics.motion_transferability.transferability import (
    TOP_K,
    accuracy,
    compute_transferability,
    harmonic_mean,
    mean_class_accuracy,
    per_class_accuracy,
    top_k_accuracy,
)
from mt_metrics.paper import PAPER_TASKS, paper_results
from mt_metrics.registration import EVALUATE_MODULE_DIR, register_with_evaluate

__all__ = [
    "COMPARISON_STATISTICS",
    "EVALUATE_MODULE_DIR",
    "PAPER_TASKS",
    "TOP_K",
    "accuracy",
    "compute_transferability",
    "harmonic_mean",
    "load",
    "mean_class_accuracy",
    "paired_cluster_difference",
    "paired_difference",
    "paper_results",
    "per_class_accuracy",
    "register_with_evaluate",
    "top_k_accuracy",
]

# The core's one home is the evaluate module's directory (so the Space runs on evaluate + numpy); the old import
# path ``mt_metrics.transferability`` names the same module object.
sys.modules.setdefault(f"{__name__}.transferability", transferability)

register_with_evaluate()


def load(**kwargs: Any) -> Any:
    """The ``motion_transferability`` evaluate module (an ``evaluate.Metric``), loaded from this package's directory.

    Keyword arguments go to ``evaluate.load``: the config name (``config_name="top5"`` adds ``prediction_scores``),
    ``with_direction``, ``with_fine_references``, ``group_names``, and evaluate's own ``num_process``,
    ``process_id``, ``experiment_id``, ``cache_dir``, ... See the module's card
    (``mt_metrics/motion_transferability/README.md``). ``evaluate.load("motion_transferability", ...)`` gives the
    same module after ``import mt_metrics``.
    """
    import evaluate  # imported here: evaluate pulls in datasets and pandas, which the NumPy core does not need

    return evaluate.load(str(EVALUATE_MODULE_DIR), **kwargs)
