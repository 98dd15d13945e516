"""Evaluate a model on one direction of the motion-transferability protocol and write ``all_results.json``.

The model sees the ``known`` split (validation videos of the fine variants it was trained on) and the ``unknown``
split (validation videos of the held-out variants of the same coarse actions); the ``motion_transferability``
metric scores the coarse predictions. Any number of processes:

    accelerate launch examples/eval.py --dataset motion-transfer/syn-ta --config set1 --model runs/videomae-set1

``--model`` is a classifier trained by ``train.py`` (a directory or Hub id), or with ``--open_vocabulary`` an X-CLIP
checkpoint that classifies by class-name prompts; that also scores the fine base-to-novel task (known videos among
the training set's fine names, unknown videos zero-shot among the held-out set's). ``--num_clips`` > 1 averages the
class probabilities of several clips per video. ``--videos DIR`` joins a metadata-only dataset (K400-TA, SSv2-TA)
with your copy of its videos. Videos that fail to decode are skipped and listed (split, id, reason) in the record.
Per-video predictions go to ``predictions.json`` beside the record. ``--update_model_card`` adds the scores to the
model card's model-index (``README.md`` of a local ``--model``).
"""

from __future__ import annotations

import argparse

from mt_datasets.errors import add_debug_argument, run_main
from mt_models.options import add_evaluation_arguments


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_evaluation_arguments(parser)
    add_debug_argument(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = vars(parse_args(argv))  # before torch and transformers load: --help and bad values answer at once
    debug = args.pop("debug")
    from mt_models.scoring.evaluation import EvaluationInputError, EvaluationOptions, evaluate_direction

    return run_main(
        "eval.py",
        lambda: evaluate_direction(EvaluationOptions(**args)),
        (EvaluationInputError, ConnectionError),
        debug=debug,
    )


if __name__ == "__main__":
    main()
