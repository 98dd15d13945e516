"""The options every script that runs a model on one protocol direction takes (``train.py``, ``eval.py``).

:class:`RunOptions` holds the dataset and its direction, the model, the output directory and how clips are loaded
and batched; :class:`mt_models.training.TrainingOptions` and :class:`mt_models.evaluation.EvaluationOptions` extend
it with their own. :func:`add_dataset_arguments` adds the dataset's command-line options to a parser or group.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from mt_datasets.protocol import PROTOCOL_CONFIGS

__all__ = ["RunOptions", "add_dataset_arguments"]


@dataclass(kw_only=True)
class RunOptions:
    """What ``train.py`` and ``eval.py`` both take (see their ``--help``)."""

    dataset: str
    model: str
    output_dir: str
    config: str = "set1"
    revision: str | None = None
    sampling: str = "uniform"
    batch_size: int = 8
    num_workers: int = 2
    mixed_precision: str | None = "auto"


def add_dataset_arguments(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """``--dataset``, ``--config`` (the protocol direction) and ``--revision``, as every script takes them."""
    parser.add_argument("--dataset", required=True, help="Hub id or local directory of a motion-transfer dataset")
    parser.add_argument("--config", default="set1", choices=list(PROTOCOL_CONFIGS), help="protocol direction")
    parser.add_argument("--revision", default=None, help="dataset revision (branch, tag or commit) on the Hub")
