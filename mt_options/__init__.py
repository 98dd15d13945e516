"""The command-line options of the example scripts, light: the standard library and mt_datasets' light modules only.

``examples/*.py --help`` and a bad option value answer at once because the scripts parse their arguments with these
functions before importing :mod:`mt_models` (torch and transformers: seconds). :mod:`mt_models.options`,
:mod:`mt_models.training` and :mod:`mt_models.evaluation` re-export them, as they were their home before.

- :func:`add_dataset_arguments` (``--dataset``, ``--config``, ``--revision``, ``--videos``), every script's;
- :func:`add_training_arguments` (``train.py``, the protocol runner's ``train_args``);
- :func:`add_data_and_model_arguments` (``eval.py``, ``diagnose.py``) and :func:`add_evaluation_arguments`;
- :func:`positive_int` / :func:`positive_float`: argparse types refusing 0 or less, so nothing untrained or empty
  runs to an end that looks finished;
- the names the options choose among (:data:`AUGMENTATIONS`, :data:`HEADS`, :data:`PROBE_NAMES`), whose homes are
  here so that the parsers need not import the modules that implement them.
"""

from __future__ import annotations

import argparse

from mt_datasets.protocol import PROTOCOL_CONFIGS

__all__ = [
    "AUGMENTATIONS",
    "DEFAULT_PROMPT_TEMPLATE",
    "HEADS",
    "PROBE_NAMES",
    "add_data_and_model_arguments",
    "add_dataset_arguments",
    "add_evaluation_arguments",
    "add_training_arguments",
    "add_videos_argument",
    "positive_float",
    "positive_int",
]

# Training augmentations (mt_models.augment implements them).
AUGMENTATIONS = ("none", "shift")
# Heads the protocol runner trains (mt_models.protocol).
HEADS = ("disentangled", "baseline")
# Temporal probes, in report order (mt_models.probes registers them under these names, and checks it does).
PROBE_NAMES = ("shuffle", "reverse", "static", "slow", "fast", "plain_background")
# X-CLIP's class-name prompt (mt_models.open_vocab).
DEFAULT_PROMPT_TEMPLATE = "a video of {}."


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


def add_training_arguments(parser: argparse.ArgumentParser) -> None:
    """The command-line options of ``train.py`` (the fields of :class:`mt_models.training.TrainingOptions`), in
    groups."""
    data = parser.add_argument_group("data")
    add_dataset_arguments(data)
    data.add_argument("--num_frames", type=int, default=None, help="frames per clip (default: the backbone's)")
    data.add_argument("--sampling", default="uniform", choices=["uniform", "stride"], help="frame sampling")
    data.add_argument("--num_workers", type=int, default=2, help="DataLoader decoding processes")
    data.add_argument(
        "--cache_clips", action="store_true", help="decode the training clips once and keep them in memory"
    )
    head = parser.add_argument_group("model")
    head.add_argument("--model", required=True, help="backbone: Hub id, local directory or registered name")
    head.add_argument(
        "--modality",
        default=None,
        help="input modality: rgb, fg, diff or a '+' stack such as fg+diff (default: the backbone's; stored with "
        "the model, so eval, diagnose and pipeline() use it too)",
    )
    head.add_argument("--embedding_dim", type=int, default=256)
    head.add_argument("--dropout", type=float, default=0.0)
    head.add_argument("--fine_loss_weight", type=float, default=1.0)
    head.add_argument("--decorrelation_weight", type=float, default=1.0)
    head.add_argument("--adversarial_weight", type=float, default=0.1)
    head.add_argument("--label_smoothing", type=float, default=0.0, help="of the coarse cross-entropy")
    head.add_argument("--baseline", action="store_true", help="plain coarse classifier: every extra weight 0")
    optim = parser.add_argument_group("optimisation")
    optim.add_argument("--num_epochs", type=positive_int, default=10)
    optim.add_argument("--learning_rate", type=positive_float, default=1e-4)
    optim.add_argument("--weight_decay", type=float, default=0.05)
    optim.add_argument("--lr_scheduler_type", default="cosine", help="a transformers scheduler name")
    optim.add_argument("--num_warmup_steps", type=int, default=0)
    optim.add_argument("--num_warmup_epochs", type=float, default=0.0, help="warm-up in epochs (adds to the steps)")
    optim.add_argument(
        "--augment",
        default="none",
        choices=AUGMENTATIONS,
        help="training augmentation: 'shift' moves each clip by up to 4 pixels. Flips and time reversal are not "
        "offered: they turn a fine variant into another (left-to-right into right-to-left, appearing into "
        "disappearing) and would leak held-out variants into training",
    )
    optim.add_argument("--batch_size", type=positive_int, default=8, help="per process")
    optim.add_argument("--gradient_accumulation_steps", type=positive_int, default=1)
    optim.add_argument("--mixed_precision", default=None, choices=["no", "fp16", "bf16"])
    optim.add_argument("--seed", type=int, default=0)
    run = parser.add_argument_group("run")
    run.add_argument("--output_dir", required=True)
    run.add_argument("--checkpointing_steps", default=None, help="save the training state every N steps, or 'epoch'")
    run.add_argument(
        "--resume_from_checkpoint", default=None, help="a checkpoint directory, or 'latest' (the highest step)"
    )
    run.add_argument(
        "--overwrite_output_dir",
        action="store_true",
        help="start afresh in an --output_dir that holds another run (its checkpoints and model are deleted)",
    )
    run.add_argument(
        "--stop_after_steps",
        type=int,
        default=None,
        help="stop after N steps as if interrupted (the LR schedule still spans --num_epochs); resume later",
    )
    run.add_argument("--with_tracking", action="store_true", help="log to the trackers Accelerate finds")
    run.add_argument("--push_to_hub", action="store_true", help="upload the model and its card to --hub_model_id")
    run.add_argument("--hub_model_id", default=None, help="ORG/NAME of the model repository on the Hub")
    run.add_argument("--hub_private", action="store_true", help="create that repository as private")


def add_data_and_model_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every evaluating script shares (eval.py, diagnose.py): dataset, direction, videos and model."""
    add_dataset_arguments(parser)
    parser.add_argument("--model", required=True, help="classifier trained by train.py, or an X-CLIP checkpoint")
    parser.add_argument("--open_vocabulary", action="store_true", help="zero-shot X-CLIP with class-name prompts")
    parser.add_argument("--prompt_template", default=DEFAULT_PROMPT_TEMPLATE, help="prompt with one {} slot")


def add_evaluation_arguments(parser: argparse.ArgumentParser) -> None:
    """Every option of ``eval.py`` (the fields of :class:`mt_models.evaluation.EvaluationOptions`)."""
    add_data_and_model_arguments(parser)
    parser.add_argument("--num_clips", type=positive_int, default=1, help="clips per video; probabilities are averaged")
    parser.add_argument("--sampling", default="uniform", choices=["uniform", "stride"])
    parser.add_argument("--batch_size", type=positive_int, default=8, help="per process")
    parser.add_argument("--num_workers", type=int, default=2, help="DataLoader decoding processes")
    parser.add_argument("--mixed_precision", default=None, choices=["no", "fp16", "bf16"])
    parser.add_argument("--bootstrap_samples", type=int, default=0, help="replicates for confidence intervals")
    parser.add_argument("--seed", type=int, default=None, help="recorded seed (default: the model's training seed)")
    parser.add_argument("--output_dir", required=True, help="where all_results.json goes")
    parser.add_argument(
        "--update_model_card", action="store_true", help="add the scores to the model-index of --model's README.md"
    )
