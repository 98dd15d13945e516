"""The options every script that runs a model on one protocol direction takes (``train.py``, ``eval.py``).

:class:`RunOptions` holds the dataset and its direction, the model, the output directory and how clips are loaded
and batched; :class:`mt_models.training.TrainingOptions` and :class:`mt_models.evaluation.EvaluationOptions` extend
it with their own. :func:`add_dataset_arguments` adds the dataset's command-line options to a parser or group.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from mt_datasets.protocol import PROTOCOL_CONFIGS

__all__ = ["RunOptions", "add_dataset_arguments", "add_videos_argument", "positive_float", "positive_int"]


def positive_int(value: str) -> int:
    """argparse type: an integer > 0 (epochs, batch size, clips): 0 or less would run nothing and look finished."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an integer") from None
    if number <= 0:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return number


def positive_float(value: str) -> float:
    """argparse type: a number > 0 (a learning rate)."""
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not number > 0 or number == float("inf"):
        raise argparse.ArgumentTypeError(f"{value} must be a positive number")
    return number


@dataclass(kw_only=True)
class RunOptions:
    """What ``train.py`` and ``eval.py`` both take (see their ``--help``)."""

    dataset: str
    model: str
    output_dir: str
    config: str = "set1"
    revision: str | None = None
    videos: str | None = None
    sampling: str = "uniform"
    batch_size: int = 8
    num_workers: int = 2
    mixed_precision: str | None = None


def add_dataset_arguments(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """``--dataset``, ``--config`` (the protocol direction), ``--revision`` and ``--videos``, as every script takes
    them."""
    parser.add_argument("--dataset", required=True, help="Hub id or local directory of a motion-transfer dataset")
    parser.add_argument("--config", default="set1", choices=list(PROTOCOL_CONFIGS), help="protocol direction")
    parser.add_argument("--revision", default=None, help="dataset revision (branch, tag or commit) on the Hub")
    add_videos_argument(parser)


def add_videos_argument(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """``--videos DIR``: the user's copy of the videos of a metadata-only dataset (K400-TA, SSv2-TA)."""
    parser.add_argument(
        "--videos", default=None, help="folder of your videos, to join with a metadata-only dataset (K400-TA, SSv2-TA)"
    )
