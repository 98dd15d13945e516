"""Train a disentangled coarse/fine video classifier on one direction of the motion-transferability protocol.

Config ``set1`` trains on the training videos of the fine variants of set 1 (``eval.py`` then tests on set-1
validation videos, "known", and set-2 ones, "unknown"); ``set2`` the reverse. Runs on one CPU, one GPU or many
processes alike:

    accelerate launch examples/train.py --dataset motion-transfer/syn-ta --config set1 \\
        --model MCG-NJU/videomae-base-finetuned-kinetics --output_dir runs/videomae-set1

``--model`` is a backbone: a Hub id, a local checkpoint directory, or a registered name (``mt_models.list_backbones()``,
loading its default checkpoint). The trained classifier is saved with ``save_pretrained`` into ``--output_dir``, with
``train_results.json`` beside it. ``--checkpointing_steps N`` (or ``epoch``) saves the full training state
(model, optimizer, scheduler, RNGs) to ``output_dir/step_N`` (``epoch_E``); ``--resume_from_checkpoint`` continues
from one (or from the latest with ``latest``), skipping the batches already seen, and ends with the same weights as an
uninterrupted run. ``--push_to_hub --hub_model_id ORG/NAME`` uploads the model with its card.
"""

from __future__ import annotations

import argparse

from mt_datasets.errors import add_debug_argument, run_main
from mt_models.options import add_training_arguments


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_training_arguments(parser)
    add_debug_argument(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = vars(parse_args(argv))  # before torch and transformers load: --help and bad values answer at once
    debug = args.pop("debug")
    from mt_models.train.loop import TrainingError, TrainingOptions, train

    # Options are checked (TrainingOptions) before any dataset or model loads; a mistyped dataset or model, being
    # offline, a full disk or Ctrl-C end in one line.
    return run_main("train.py", lambda: train(TrainingOptions(**args)), (TrainingError, ConnectionError), debug=debug)


if __name__ == "__main__":
    main()
