"""The paper's reference results, to compare one's own scores with.

The tables of the public release's README ("Punching Bag vs. Punching Person: Motion Transferability in Videos",
Abdullah et al., ICCV 2025; see ``mt_datasets/data/paper/PROVENANCE.md``), shipped as package data.

>>> rows = paper_results("syn-ta")
>>> rows[0]["model"], rows[0]["known_accuracy"], rows[0]["unknown_accuracy"]
('ResNet50', 66.66, 29.93)
"""

from __future__ import annotations

import csv
from importlib import resources
from typing import Any

from mt_datasets.errors import did_you_mean
from mt_datasets.taxonomy import DATASET_NAMES

__all__ = ["PAPER_TASKS", "paper_results"]

PAPER_TASKS = ("coarse", "fine")

# Column prefix of each dataset in the release's result tables.
_TABLE_PREFIX = {"syn-ta": "synta", "k400-ta": "k400", "ssv2-ta": "ssv2"}
# The table's column suffix -> the name compute_transferability gives that score.
_SCORES = {
    "known": "known_accuracy",
    "unknown": "unknown_accuracy",
    "dabs": "absolute_drop",
    "hm": "harmonic_mean",
}
# The fine-task table lists only open-vocabulary models, all CLIP-based (the paper's "multimodal" group).
_FINE_TASK_GROUP = "Multimodal"


def paper_results(dataset: str = "syn-ta", task: str = "coarse") -> list[dict[str, Any]]:
    """The paper's result rows for one dataset and task, in the paper's order.

    Args:
        dataset: ``"syn-ta"``, ``"k400-ta"`` or ``"ssv2-ta"``.
        task: ``"coarse"`` (every model) or ``"fine"`` (base-to-novel fine classes; open-vocabulary models only).

    Returns:
        One dict per model: ``dataset``, ``task``, ``group`` (``"Unimodal"``, ``"Multimodal"`` or ``"DomainGen"``),
        ``model``, and ``known_accuracy``, ``unknown_accuracy``, ``absolute_drop``, ``harmonic_mean`` in **percent**,
        exactly as printed in the paper (each the average of the two set directions; HM computed per direction,
        then averaged). :func:`mt_metrics.compute_transferability` returns fractions: multiply its scores by 100
        to compare.

    Raises:
        ValueError: for an unknown dataset or task (with a "did you mean" suggestion).
    """
    if dataset not in _TABLE_PREFIX:
        raise ValueError(did_you_mean(dataset, DATASET_NAMES, "dataset"))
    if task not in PAPER_TASKS:
        raise ValueError(did_you_mean(task, PAPER_TASKS, "task"))
    prefix = _TABLE_PREFIX[dataset]
    path = resources.files("mt_datasets") / "data" / "paper" / "results" / f"{task}_results_readme.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    return [
        {
            "dataset": dataset,
            "task": task,
            "group": row.get("group", _FINE_TASK_GROUP),
            "model": row["model"],
            **{score: float(row[f"{prefix}_{column}"]) for column, score in _SCORES.items()},
        }
        for row in table
    ]
