"""The full motion-transferability protocol: both directions, then the paper's table and a bar chart.

For every model and head it trains on set 1 and evaluates (known = set-1 val, unknown = set-2 val), trains on set 2
and evaluates, for every seed; X-CLIP checkpoints given with ``--open_vocabulary_models`` are evaluated zero-shot.
Then it pools the per-video predictions of both directions and reports Known, Unknown, D_abs and HM (HM per
direction, then averaged, the paper's convention), in percent, beside the paper's reference rows for the dataset:

    python examples/run_protocol.py --dataset motion-transfer/syn-ta --models MCG-NJU/videomae-base \\
        --heads baseline disentangled --num_epochs 10 --output_dir protocol_results

writes ``protocol_results/table.md``, ``table.csv`` and ``known_unknown.png``. Every step runs in this process
(:mod:`mt_models.experiments.protocol`), so ``accelerate launch examples/run_protocol.py ...`` distributes all of it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from mt_datasets.errors import add_debug_argument, run_main
from mt_models.options import HEADS, add_videos_argument, positive_float, positive_int


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", required=True)
    add_videos_argument(parser)
    parser.add_argument("--models", nargs="*", default=[], help="backbones to train")
    parser.add_argument("--heads", nargs="+", default=["disentangled"], choices=HEADS)
    parser.add_argument("--open_vocabulary_models", nargs="*", default=[], help="X-CLIP checkpoints, zero-shot")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--num_epochs", type=positive_int, default=10)
    parser.add_argument("--batch_size", type=positive_int, default=8)
    parser.add_argument("--learning_rate", type=positive_float, default=1e-4)
    parser.add_argument("--num_workers", type=int, default=2)
    parser.add_argument("--num_clips", type=int, default=1)
    parser.add_argument("--bootstrap_samples", type=int, default=0, help="bootstrap replicates for the table's CIs")
    parser.add_argument("--train_args", default="", help="extra train.py arguments, one string")
    parser.add_argument("--output_dir", required=True)
    add_debug_argument(parser)
    args = parser.parse_args(argv)
    if not args.models and not args.open_vocabulary_models:
        parser.error("nothing to run: give --models to train and/or --open_vocabulary_models to evaluate zero-shot")
    if len(set(args.seeds)) < len(args.seeds):
        from mt_models.experiments.protocol import repeated_seeds

        parser.error(repeated_seeds(args.seeds))
    return args


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    args = parse_args(argv)  # before torch and transformers load: --help and bad values answer at once
    from mt_models.scoring.evaluation import EvaluationInputError
    from mt_models.train.loop import TrainingError

    return run_main("run_protocol.py", lambda: _run(args), (EvaluationInputError, TrainingError), debug=args.debug)


def _run(args: argparse.Namespace) -> list[dict[str, Any]]:
    from mt_models.experiments.protocol import protocol_outputs
    from mt_models.runtime.output_dirs import claim_output_dir
    from mt_models.scoring.evaluation import EvaluationInputError

    makes = protocol_outputs(args.models, args.heads, args.open_vocabulary_models)
    # Checked and held before any work, through the table and the chart.
    with claim_output_dir(args.output_dir, makes=makes, what="protocol run", error=EvaluationInputError):
        return _run_and_tabulate(args)


def _run_and_tabulate(args: argparse.Namespace) -> list[dict[str, Any]]:
    from mt_models.experiments.protocol import plot_known_unknown, protocol_table, run_protocol, write_table
    from mt_models.runtime.fast_path import process_state

    runs = run_protocol(
        args.dataset,
        args.models,
        output_dir=args.output_dir,
        heads=args.heads,
        open_vocabulary_models=args.open_vocabulary_models,
        seeds=args.seeds,
        num_epochs=args.num_epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        num_workers=args.num_workers,
        num_clips=args.num_clips,
        train_args=args.train_args.split(),
        videos=args.videos,
    )
    rows: list[dict[str, Any]] = []
    if process_state().is_main_process:
        rows = protocol_table(runs, bootstrap_samples=args.bootstrap_samples)
        md_path, csv_path = write_table(rows, args.output_dir)
        png_path = plot_known_unknown(rows, Path(args.output_dir) / "known_unknown.png")
        print(md_path.read_text())
        print(json.dumps({"table_md": str(md_path), "table_csv": str(csv_path), "chart": str(png_path)}))
    return rows


if __name__ == "__main__":
    main()
