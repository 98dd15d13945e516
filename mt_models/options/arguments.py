"""The command-line options of the example scripts, light: the standard library and mt_datasets' light modules only.

``examples/*.py --help`` and a bad option value answer at once because the scripts parse their arguments with these
functions before importing :mod:`mt_models` (torch and transformers: seconds). :mod:`mt_models.options`,
:mod:`mt_models.train.loop` and :mod:`mt_models.scoring.evaluation` re-export them, as they were their home before.

- :func:`add_dataset_arguments` (``--dataset``, ``--config``, ``--revision``, ``--videos``), every script's;
- :func:`add_training_arguments` (``train.py``, the protocol runner's ``train_args``);
- :func:`add_data_and_model_arguments` (``eval.py``, ``diagnose.py``) and :func:`add_evaluation_arguments`;
- :func:`positive_int` / :func:`positive_float`: argparse types refusing 0 or less, so nothing untrained or empty
  runs to an end that looks finished;
- the head options (:class:`HeadOptions`, :func:`add_head_arguments`), ``--mixed_precision`` and ``--compile``
  (:func:`add_precision_argument`, :func:`add_compile_arguments`), and the names the options choose among
  (:data:`AUGMENTATIONS`, :data:`HEAD_NAMES`, :data:`PROBE_NAMES`), whose homes are here so that the parsers need not
  import the modules that implement them (:mod:`mt_models.models.classifier`, :mod:`mt_models.models.heads`,
  :mod:`mt_models.runtime.fast_path` re-export them).
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, fields
from typing import Any

from mt_datasets.protocol import PROTOCOL_CONFIGS

__all__ = [
    "AUGMENTATIONS",
    "COMPILE_CHOICES",
    "COMPILE_ENVIRONMENT",
    "HEAD_NAMES",
    "HEAD_TERMS",
    "HEAD_WEIGHT_DEFAULTS",
    "PRECISION_CHOICES",
    "PRECISION_ENVIRONMENT",
    "TEMPORAL_HEAD_NAMES",
    "HeadOptions",
    "add_compile_arguments",
    "add_head_arguments",
    "add_precision_argument",
    "DEFAULT_PROMPT_TEMPLATE",
    "HEADS",
    "PROBE_NAMES",
    "add_data_and_model_arguments",
    "add_dataset_arguments",
    "add_evaluation_arguments",
    "add_training_arguments",
    "add_videos_argument",
    "environment_choice",
    "positive_float",
    "positive_int",
]

# Training augmentations (mt_models.train.augment implements them).
AUGMENTATIONS = ("none", "shift")
# The classifier's head designs (mt_models.models.heads implements them; the protocol runner trains any of them).
HEAD_NAMES = ("baseline", "disentangled", "hierarchical", "vrex", "supcon", "mix", "slowfast", "pooled_delta")
# The two-temporal-scale heads (mt_models.models.temporal_heads): they read the backbone's per-time features.
TEMPORAL_HEAD_NAMES = ("slowfast", "pooled_delta")
# The fine / decorrelation / adversarial / fine-marginal weights and the fine branch's gradient scale each head takes
# when they are not given (``None``). "disentangled" may use every term, "hierarchical" the fine loss and the fine
# marginal; the other heads must leave the weights at 0. The gradient scale matters only where there is a fine branch.
# The disentangled defaults are the design chosen on the validation protocol (bench/finding.md): a read-only fine
# branch whose within-coarse marginal is added to the coarse logits.
HEAD_WEIGHT_DEFAULTS = {
    head: {
        "fine_loss_weight": 1.0 if head in ("disentangled", "hierarchical", *TEMPORAL_HEAD_NAMES) else 0.0,
        "decorrelation_weight": 0.0,
        "adversarial_weight": 0.0,
        "fine_marginal_weight": 1.0 if head in ("disentangled", "hierarchical") else 0.0,
        "fine_gradient_scale": 0.0 if head == "disentangled" else 1.0,
    }
    for head in HEAD_NAMES
}
# The weighted terms each head has (the others must stay 0).
HEAD_TERMS = {
    "disentangled": ("fine_loss_weight", "decorrelation_weight", "adversarial_weight", "fine_marginal_weight"),
    "hierarchical": ("fine_loss_weight", "fine_marginal_weight"),
    **{head: ("fine_loss_weight", "fine_marginal_weight") for head in TEMPORAL_HEAD_NAMES},
}
HEADS = HEAD_NAMES
# Temporal probes, in report order (mt_models.diagnosis.probes registers them under these names, and checks it does).
PROBE_NAMES = ("shuffle", "reverse", "static", "slow", "fast", "plain_background")
# X-CLIP's class-name prompt (mt_models.models.open_vocab).
DEFAULT_PROMPT_TEMPLATE = "a video of {}."


PRECISION_CHOICES = ("auto", "no", "bf16", "fp16")
COMPILE_CHOICES = ("auto", "yes", "no")
# Environment variables that change the defaults of ``--mixed_precision`` and ``--compile`` (an explicit option wins),
# e.g. to keep a test suite or a quick experiment eager without editing every command.
PRECISION_ENVIRONMENT, COMPILE_ENVIRONMENT = "MT_MIXED_PRECISION", "MT_COMPILE"


def environment_choice(variable: str, choices: tuple[str, ...], default: str = "auto") -> str:
    """The value of the environment variable ``variable`` (``default`` when unset), checked against ``choices``.

    Raises:
        ValueError: in one line naming the variable, its value and the choices.
    """
    value = os.environ.get(variable, default)
    if value not in choices:
        raise ValueError(f"${variable}={value!r} is not one of {', '.join(choices)}: fix or unset it")
    return value


def _environment_default(variable: str, choices: tuple[str, ...]) -> str:
    """:func:`environment_choice` as an option's default: a bad value ends the parse in one line at once."""
    try:
        return environment_choice(variable, choices)
    except ValueError as error:  # as argparse ends a bad option: one line, exit status 2
        print(f"{os.path.basename(sys.argv[0])}: error: {error}", file=sys.stderr)
        raise SystemExit(2) from None


def add_precision_argument(parser: Any) -> None:
    """``--mixed_precision`` as train, eval and diagnose take it (``auto`` by default: :func:`choose_fast_path`)."""
    parser.add_argument(
        "--mixed_precision",
        default=_environment_default(PRECISION_ENVIRONMENT, PRECISION_CHOICES),
        choices=PRECISION_CHOICES,
        help="autocast precision; auto: fp32 or bf16, whichever runs this model faster here, timed on its first "
        f"run and cached (fp16: CUDA only) (default: auto, or ${PRECISION_ENVIRONMENT})",
    )


def add_compile_arguments(parser: Any) -> None:
    """``--compile`` and ``--channels_last`` as ``train.py`` takes them."""
    parser.add_argument(
        "--compile",
        default=_environment_default(COMPILE_ENVIRONMENT, COMPILE_CHOICES),
        choices=COMPILE_CHOICES,
        help="torch.compile the model; auto: where a compiler works and compiling is timed to pay back within the "
        "run (falls back to eager mode, saying so) "
        f"(default: auto, or ${COMPILE_ENVIRONMENT})",
    )
    parser.add_argument(
        "--channels_last",
        default="auto",
        choices=COMPILE_CHOICES,
        help="channels_last_3d memory format for 3D convolutions; auto: when compiled",
    )


@dataclass(kw_only=True)
class HeadOptions:
    """The options of the classifier's heads and loss that ``train.py`` takes (one ``--option`` each).

    Attributes:
        head: the head design, one of :data:`HEAD_NAMES` (see :mod:`mt_models.models.heads`).
        embedding_dim: size of the coarse and of the fine embedding.
        dropout: dropout on the backbone features before each projection.
        fine_loss_weight: weight of the fine cross-entropy (0 = no fine branch); "disentangled" and "hierarchical".
        decorrelation_weight: weight of the cross-covariance penalty (needs the fine branch); "disentangled".
        adversarial_weight: weight of the gradient-reversal within-coarse fine adversary; "disentangled".
        fine_marginal_weight: weight of the fine logits' within-coarse log-mean-exp added to the coarse logits (the
            fine prediction marginalised to the coarse level); "disentangled" and "hierarchical".
        fine_gradient_scale: factor on the gradient that the fine branch sends into the shared backbone features
            (1 = trained jointly, 0 = the fine branch only reads the features); heads with a fine branch.
            These five are ``None`` until resolved to the head's defaults (:meth:`resolve_head_options`).
        label_smoothing: label smoothing of the coarse cross-entropy (0 = none).
        invariance_weight: weight of the V-REx penalty ("vrex"), of the spread of the fine variants' mean coarse
            embeddings ("pooled_delta").
        contrastive_weight: weight of the cross-variant supervised contrastive loss ("supcon").
        temperature: temperature of that loss ("supcon").
        mix_alpha: the Beta(mix_alpha, mix_alpha) distribution of the mixing weight ("mix").
        slow_segments: time steps of the slow (low-frame-rate) summary the coarse branch reads ("slowfast").
    """

    head: str = "disentangled"
    embedding_dim: int = 256
    dropout: float = 0.0
    fine_loss_weight: float | None = None
    decorrelation_weight: float | None = None
    adversarial_weight: float | None = None
    fine_marginal_weight: float | None = None
    fine_gradient_scale: float | None = None
    label_smoothing: float = 0.0
    invariance_weight: float = 1.0
    contrastive_weight: float = 0.5
    temperature: float = 0.1
    mix_alpha: float = 2.0
    slow_segments: int = 2

    def resolve_head_options(self) -> None:
        """Give the weights left at ``None`` the defaults of ``head``; raise ``ValueError`` on an unknown head."""
        if self.head not in HEAD_NAMES:
            raise ValueError(f"head must be one of {HEAD_NAMES}, got {self.head!r}")
        for name, default in HEAD_WEIGHT_DEFAULTS[self.head].items():
            if getattr(self, name) is None:
                setattr(self, name, default)


_HEAD_HELP = {
    "head": "head design (mt_models.models.heads): " + ", ".join(HEAD_NAMES),
    "fine_loss_weight": "fine CE weight (default: the head's: 1 for disentangled, hierarchical, slowfast and "
    "pooled_delta, else 0)",
    "decorrelation_weight": "cross-covariance weight, disentangled head (default 0)",
    "adversarial_weight": "within-coarse adversary weight, disentangled head (default 0)",
    "fine_marginal_weight": "weight of the fine logits' within-coarse log-mean-exp in the coarse logits (default: 1 "
    "for disentangled and hierarchical, else 0)",
    "fine_gradient_scale": "factor on the fine branch's gradient into the backbone, 0 = the fine branch only reads it "
    "(default: 0 for disentangled, 1 for hierarchical)",
    "label_smoothing": "of the coarse cross-entropy",
    "invariance_weight": "V-REx penalty weight (vrex head); weight of the fine variants' spread in the coarse "
    "embedding (pooled_delta head)",
    "contrastive_weight": "cross-variant supervised contrastive weight (supcon head)",
    "temperature": "temperature of the contrastive loss (supcon head)",
    "mix_alpha": "Beta(a, a) of the mixing weight (mix head)",
    "slow_segments": "time steps of the slow summary the coarse branch reads (slowfast head)",
}


def add_head_arguments(group: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """One ``--option`` per :class:`HeadOptions` field, with its default, and ``--baseline`` (= ``--head baseline``)."""
    for option in fields(HeadOptions):
        kind = {"head": str, "embedding_dim": int, "slow_segments": positive_int}.get(option.name, float)
        choices = HEAD_NAMES if option.name == "head" else None
        group.add_argument(
            f"--{option.name}", type=kind, default=option.default, choices=choices, help=_HEAD_HELP.get(option.name)
        )
    group.add_argument("--baseline", action="store_true", help="plain coarse classifier: the same as --head baseline")


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
    """The command-line options of ``train.py`` (the fields of :class:`mt_models.train.loop.TrainingOptions`), in
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
    add_head_arguments(head)
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
    add_precision_argument(optim)
    add_compile_arguments(optim)
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
    """Every option of ``eval.py`` (the fields of :class:`mt_models.scoring.evaluation.EvaluationOptions`)."""
    add_data_and_model_arguments(parser)
    parser.add_argument("--num_clips", type=positive_int, default=1, help="clips per video; probabilities are averaged")
    parser.add_argument("--sampling", default="uniform", choices=["uniform", "stride"])
    parser.add_argument("--batch_size", type=positive_int, default=8, help="per process")
    parser.add_argument("--num_workers", type=int, default=2, help="DataLoader decoding processes")
    add_precision_argument(parser)
    parser.add_argument("--bootstrap_samples", type=int, default=0, help="replicates for confidence intervals")
    parser.add_argument("--seed", type=int, default=None, help="recorded seed (default: the model's training seed)")
    parser.add_argument("--output_dir", required=True, help="where all_results.json goes")
    parser.add_argument(
        "--update_model_card",
        action="store_true",
        help="add the scores to the model-index of --model's README.md (a Hub id's card is pushed back to the Hub)",
    )
