"""The whole motion-transferability benchmark in one command: what ``make demo`` runs.

1. Generates a Syn-TA for each protocol (``motion-only``: the unknown set changes only the motion variant;
   ``paper``: as the authors' release, where set-2 classes also use other shapes and backgrounds), with the procedural
   renderer; a later run reuses what an earlier one generated.
2. Trains a coarse classifier on set 1 and on set 2 for every protocol, input modality, head and seed, and evaluates
   each on its known and unknown split with the ``motion_transferability`` metric.
3. Runs the temporal probes (frames shuffled, one frame repeated) on the first trained model: a model that uses
   motion falls towards chance under them.
4. Prints the paper-style table (Known / Unknown / D_abs / HM, averaged over both directions and the seeds, with
   bootstrap confidence intervals, and the chance level), says whether the paper's observations hold, which coarse
   actions transfer and which do not, and writes everything under ``--output_dir``: ``table.md``, ``table.csv``,
   ``known_unknown.png``, ``findings.md``, ``demo_results.json`` and every run's ``all_results.json``.

The default needs no download and learns on two CPU cores: ``resnet3d``, a 230k-parameter 3D CNN trained from scratch
on the foreground and frame differences of 8x32x32 clips (8 of the 16 generated frames, ``--modality fg+diff``), the
baseline head, one seed, on 30 clips per view and fine class, for 15 epochs on every machine (one recipe; each
training runs on the path timed fastest for it on this machine, see :mod:`mt_models.runtime.fast_path`;
``--num_epochs``, ``--num_frames`` and ``--learning_rate`` set it).
The paper's observations over three seeds, with the disentangled head and a model that also sees RGB::

    python examples/demo.py --heads baseline disentangled --compare_modalities rgb+fg+diff --seeds 0 1 2

A run that was interrupted resumes: the data it generated and the models it trained and evaluated are reused.

The same script scales up unchanged, e.g. on a GPU machine with internet::

    accelerate launch examples/demo.py --preset small --model MCG-NJU/videomae-base --modality rgb \
        --learning_rate 1e-4 --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from mt_datasets.errors import add_debug_argument, run_main
from mt_models.options import HEAD_NAMES, positive_float, positive_int

PROTOCOLS = ("motion-only", "paper")
HEADS = HEAD_NAMES
# The default backbone: the CPU preset of the convolutional family, built from its config (no download).
DEFAULT_MODEL = "resnet3d"
# The default recipe, the same on every machine (the result must not depend on the CPU it ran on), chosen for time to
# accuracy on the validation carve of the motion-only data (bench/RESULTS.md, "Time to accuracy"): 8 of each clip's
# 16 frames (half the compute of 16, and more accurate at equal epochs), 15 epochs, a peak learning rate of 2e-3.
DEFAULT_EPOCHS = 15
DEFAULT_FRAMES = 8
DEFAULT_LEARNING_RATE = 2e-3
DEFAULT_TRAIN_ARGS = (
    "--cache_clips --weight_decay 0.05 --num_warmup_epochs 1 --label_smoothing 0.1 --augment shift --dropout 0.2"
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output_dir", default="demo_results", help="where everything is written")
    parser.add_argument("--preset", default="mini", help="Syn-TA preset (mini, small, paper)")
    parser.add_argument("--size", type=int, default=64, help="frame size of the generated clips (0: the preset's)")
    parser.add_argument(
        "--clips_per_class",
        type=int,
        default=30,
        help="clips per view and fine class, split 3:2 train/val (0: preset's)",
    )
    parser.add_argument("--classes", nargs="+", default=None, help="generate only these Syn-TA classes (default: all)")
    parser.add_argument("--protocols", nargs="+", default=list(PROTOCOLS), choices=PROTOCOLS)
    parser.add_argument("--heads", nargs="+", default=["baseline"], choices=HEADS)
    parser.add_argument(
        "--modality", default="fg+diff", help="input modality of the main model (rgb, fg, diff or a '+' stack)"
    )
    parser.add_argument(
        "--compare_modalities",
        nargs="*",
        default=[],
        help="further modalities trained with the baseline head, e.g. rgb+fg+diff: does a model that sees "
        "appearance lose more when appearance shifts?",
    )
    parser.add_argument("--model", default=DEFAULT_MODEL, help=f"backbone (default: {DEFAULT_MODEL}, from scratch)")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0], help="training seeds")
    parser.add_argument("--data_seed", type=int, default=0, help="seed of the generated Syn-TA")
    parser.add_argument(
        "--num_epochs",
        type=positive_int,
        default=DEFAULT_EPOCHS,
        help=f"training epochs (default: {DEFAULT_EPOCHS}, on every machine)",
    )
    parser.add_argument(
        "--num_frames",
        type=positive_int,
        default=DEFAULT_FRAMES,
        help=f"frames the model reads of each clip, sampled uniformly (default: {DEFAULT_FRAMES})",
    )
    parser.add_argument("--batch_size", type=positive_int, default=16)
    parser.add_argument("--learning_rate", type=positive_float, default=DEFAULT_LEARNING_RATE)
    parser.add_argument("--train_args", default=DEFAULT_TRAIN_ARGS, help="further train.py options (one string)")
    parser.add_argument("--probes", default="shuffle,static", help="temporal probes run on the first model ('' = none)")
    parser.add_argument("--workers", type=int, default=2, help="rendering and decoding processes")
    parser.add_argument("--bootstrap_samples", type=int, default=1000, help="replicates of the confidence intervals")
    add_debug_argument(parser)
    args = parser.parse_args(argv)
    if len(set(args.seeds)) < len(args.seeds):
        from mt_models.experiments.protocol import repeated_seeds

        parser.error(repeated_seeds(args.seeds))
    return args


def ensure_dataset(args: argparse.Namespace, protocol: str) -> Path:
    """Generate (or resume, or reuse) the Syn-TA of one protocol; returns its directory."""
    from mt_datasets.syn_ta.generate import GenerationOptions, generate

    name = f"syn-ta-{protocol}-{args.preset}-{args.size}px-{args.clips_per_class}" + (
        "-" + "-".join(args.classes) if args.classes else ""
    )
    out = Path(args.output_dir) / "data" / name
    options = GenerationOptions.resolve(
        appearance_split=protocol,
        preset=args.preset,
        size=args.size or None,
        clips_per_class=args.clips_per_class or None,
        seed=args.data_seed,
        classes=args.classes,
    )
    print(f"[demo] Syn-TA, protocol {protocol}: {out}", flush=True)
    result = generate(out, options, workers=args.workers)
    if result.already_complete:
        print(f"[demo] {out} already holds this dataset: reused", flush=True)
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)  # before torch and transformers load: --help and bad values answer at once
    from mt_models.scoring.evaluation import EvaluationInputError
    from mt_models.train.loop import TrainingError

    errors = (ValueError, TrainingError, EvaluationInputError)
    return run_main("demo.py", lambda: _claimed(args), errors, debug=args.debug)


# What the demo writes into --output_dir (a rerun reuses it).
DEMO_MAKES = ("data", "runs", "table.md", "table.csv", "known_unknown.png", "findings.md", "demo_results.json")


def _claimed(args: argparse.Namespace) -> dict[str, Any]:
    """The demo, with --output_dir checked and held first (a folder that holds what the demo does not write, or that
    another live run holds, stops before any work)."""
    from mt_models.runtime.output_dirs import claim_output_dir

    with claim_output_dir(args.output_dir, makes=DEMO_MAKES, what="demo"):
        return _demo(args)


def _demo(args: argparse.Namespace) -> dict[str, Any]:
    from mt_datasets import get_taxonomy
    from mt_metrics import paper_results
    from mt_models.diagnosis.diagnostics import probe_accuracies
    from mt_models.experiments.findings import findings, row_name
    from mt_models.experiments.protocol import (
        TABLE_COLUMNS,
        PairedComparisons,
        per_class_scores,
        plot_known_unknown,
        pooled_predictions,
        protocol_table,
        run_label,
        run_protocol,
        write_table,
    )
    from mt_models.scoring.records import read_record

    start = time.perf_counter()
    output_dir = Path(args.output_dir)
    datasets_by_protocol = {protocol: ensure_dataset(args, protocol) for protocol in args.protocols}
    taxonomy = get_taxonomy("syn-ta")

    table_rows, keyed, eval_dirs = [], {}, {}
    grid = {args.modality: args.heads, **{m: ["baseline"] for m in args.compare_modalities if m != args.modality}}
    for protocol, dataset in datasets_by_protocol.items():
        for modality, heads in grid.items():
            print(f"[demo] {protocol}, {modality}: training and evaluating ({', '.join(heads)}; seeds {args.seeds})",
                  flush=True)  # fmt: skip
            runs = run_protocol(
                str(dataset),
                [args.model],
                output_dir=output_dir / "runs" / protocol / modality,
                heads=heads,
                seeds=args.seeds,
                num_epochs=args.num_epochs,
                batch_size=args.batch_size,
                learning_rate=args.learning_rate,
                num_workers=args.workers,
                train_args=[*args.train_args.split(), "--modality", modality, "--num_frames", str(args.num_frames)],
            )
            for head in heads:
                label = run_label(args.model, head)
                row = protocol_table(
                    {label: runs[label]}, bootstrap_samples=args.bootstrap_samples, with_paper=False
                )[0]
                row["model"] = row_name((protocol, modality, head))
                table_rows.append(row)
                keyed[(protocol, modality, head)] = row
                eval_dirs[(protocol, modality, head)] = runs[label]
    table_rows += [
        {"source": "paper", **{k: r[k] for k in TABLE_COLUMNS[1:]}} for r in paper_results("syn-ta")
    ]
    # Chance is guessing among the coarse classes the evaluated videos hold (--classes may keep only a few).
    num_classes = len({c for dirs in eval_dirs.values() for c in pooled_predictions(dirs)["references"]})
    chance = 100 / num_classes
    plot_known_unknown(table_rows, output_dir / "known_unknown.png", chance=chance)
    table_rows.append(
        {"source": "chance", "model": f"guessing 1 of {num_classes}", "known_accuracy": chance,
         "unknown_accuracy": chance, "absolute_drop": 0.0, "harmonic_mean": chance}
    )  # fmt: skip
    md_path, _ = write_table(table_rows, output_dir)
    first = (args.protocols[0], args.modality, args.heads[0])
    per_class = {
        protocol: per_class_scores(eval_dirs[(protocol, *first[1:])], taxonomy.coarse_names)
        for protocol in args.protocols
    }
    probes = None
    if args.probes:
        # The first model (first protocol, main modality, first head, first seed, trained on set 1).
        model_dir = eval_dirs[first][0].parent
        print(f"[demo] temporal probes ({args.probes}) on {model_dir}", flush=True)
        probes = probe_accuracies(
            model_dir, str(datasets_by_protocol[args.protocols[0]]), "set1", args.probes, num_workers=args.workers
        )
    # Known accuracy of every row in each direction (mean over seeds): the model must learn both ways.
    per_direction = {}
    for key, dirs in eval_dirs.items():
        records = [read_record(d) for d in dirs]
        per_direction[row_name(key)] = {
            name: 100 * sum(r.scores["known_accuracy"] for r in records if r.direction == name)
            / sum(r.direction == name for r in records)
            for name in dict.fromkeys(r.direction for r in records)
        }
    paired = PairedComparisons(eval_dirs, samples=args.bootstrap_samples)
    finding_lines = findings(
        keyed, chance, per_class=per_class, probes=probes, per_direction=per_direction, paired=paired
    )
    minutes = (time.perf_counter() - start) / 60
    (output_dir / "findings.md").write_text("\n".join(finding_lines) + "\n")
    summary = {
        "settings": vars(args),
        "minutes": round(minutes, 2),
        "rows": table_rows,
        "known_accuracy_per_direction": per_direction,
        "per_class": per_class,
        "probes": probes,
        "findings": finding_lines,
    }
    (output_dir / "demo_results.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(md_path.read_text())
    print("\n".join(finding_lines))
    print(f"\n[demo] done in {minutes:.1f} min; results in {output_dir}/ (table.md, known_unknown.png, findings.md)")
    return summary


if __name__ == "__main__":
    main()
