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
on the foreground and frame differences of 16x32x32 clips (``--modalities fg+diff``), the baseline head, one seed.
The paper's observations over three seeds, with a model that also sees RGB and with the disentangled head::

    python examples/demo.py --modalities fg+diff rgb+fg+diff --heads baseline disentangled --seeds 0 1 2

The same script scales up unchanged, e.g. on a GPU machine with internet::

    accelerate launch examples/demo.py --preset small --model MCG-NJU/videomae-base --modalities rgb \
        --learning_rate 1e-4 --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import time
from pathlib import Path
from typing import Any

from mt_datasets import get_taxonomy
from mt_datasets.syn_ta.generate import GenerationOptions, generate
from mt_metrics import paper_results

PROTOCOLS = ("motion-only", "paper")
HEADS = ("baseline", "disentangled")
# The default backbone: the CPU preset of the convolutional family, built from its config (no download).
DEFAULT_MODEL = "resnet3d"
DEFAULT_TRAIN_ARGS = (
    "--cache_clips --weight_decay 0.05 --num_warmup_epochs 1 --label_smoothing 0.1 --augment shift --dropout 0.2"
)


def _run_protocol_module():
    """examples/run_protocol.py, imported from beside this file wherever the demo is run from."""
    spec = importlib.util.spec_from_file_location(
        "mt_examples_run_protocol", Path(__file__).with_name("run_protocol.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output_dir", default="demo_results", help="where everything is written")
    parser.add_argument("--preset", default="mini", help="Syn-TA preset (mini, small, paper)")
    parser.add_argument("--size", type=int, default=64, help="frame size of the generated clips (0: the preset's)")
    parser.add_argument(
        "--clips_per_class",
        type=int,
        default=10,
        help="clips per view and fine class, split 3:2 train/val (0: preset's)",
    )
    parser.add_argument("--classes", nargs="+", default=None, help="generate only these Syn-TA classes (default: all)")
    parser.add_argument("--protocols", nargs="+", default=list(PROTOCOLS), choices=PROTOCOLS)
    parser.add_argument("--heads", nargs="+", default=["baseline"], choices=HEADS)
    parser.add_argument(
        "--modalities",
        nargs="+",
        default=["fg+diff"],
        help="input modalities to compare (rgb, fg, diff or '+' stacks); each trains its own models",
    )
    parser.add_argument("--model", default=DEFAULT_MODEL, help=f"backbone (default: {DEFAULT_MODEL}, from scratch)")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0], help="training seeds")
    parser.add_argument("--data_seed", type=int, default=0, help="seed of the generated Syn-TA")
    parser.add_argument("--num_epochs", type=int, default=12)
    parser.add_argument("--batch_size", type=int, default=16)
    parser.add_argument("--learning_rate", type=float, default=2e-3)
    parser.add_argument("--train_args", default=DEFAULT_TRAIN_ARGS, help="further train.py options (one string)")
    parser.add_argument("--probes", default="shuffle,static", help="temporal probes run on the first model ('' = none)")
    parser.add_argument("--workers", type=int, default=2, help="rendering and decoding processes")
    parser.add_argument("--bootstrap_samples", type=int, default=1000, help="replicates of the confidence intervals")
    return parser.parse_args(argv)


def ensure_dataset(args: argparse.Namespace, protocol: str) -> Path:
    """Generate (or resume, or reuse) the Syn-TA of one protocol; returns its directory."""
    name = f"syn-ta-{protocol}-{args.preset}-{args.size}px-{args.clips_per_class}" + (
        "-" + "-".join(args.classes) if args.classes else ""
    )
    out = Path(args.output_dir) / "data" / name
    options = GenerationOptions.resolve(
        protocol=protocol,
        preset=args.preset,
        size=args.size or None,
        clips_per_class=args.clips_per_class or None,
        seed=args.data_seed,
        classes=args.classes,
    )
    print(f"[demo] Syn-TA, protocol {protocol}: {out}", flush=True)
    generate(out, options, workers=args.workers)
    return out


def _interval(row: dict[str, Any], name: str) -> tuple[float, float] | None:
    low, high = row.get(f"{name}_ci_low"), row.get(f"{name}_ci_high")
    return None if low is None else (low, high)


def _compare(first: dict[str, Any], second: dict[str, Any], name: str) -> str:
    """How clearly ``first[name] > second[name]``: by the point estimates and the overlap of their intervals."""
    a, b = first[name], second[name]
    ia, ib = _interval(first, name), _interval(second, name)
    if a <= b:
        return "does not hold"
    if ia and ib and ia[0] > ib[1]:
        return "holds (intervals apart)"
    return "holds by the point estimates, but the intervals overlap"


def _row_name(key: tuple[str, str, str]) -> str:
    return " / ".join(key)


def findings(
    rows: dict[tuple[str, str, str], dict[str, Any]],
    chance: float,
    per_class: dict[str, dict[str, tuple[float | None, float | None]]] | None = None,
    probes: dict[str, dict[str, float]] | None = None,
) -> list[str]:
    """The paper's observations, checked on our rows (percent scores, keyed by (protocol, modality, head)).

    Args:
        rows: table rows with bootstrap intervals.
        chance: the accuracy of guessing (100 / number of coarse classes). A row whose known-accuracy interval
            reaches twice that has learned too little motion for its drops to say much, and the lines say so.
        per_class: ``{protocol: {coarse class: (known %, unknown %)}}`` of one model, for the per-class lines.
        probes: ``{input: {"known_accuracy": %, "unknown_accuracy": %}}`` of one model, plain and under each probe.
    """
    protocols = list(dict.fromkeys(key[0] for key in rows))
    modalities = list(dict.fromkeys(key[1] for key in rows))
    heads = list(dict.fromkeys(key[2] for key in rows))
    lines = ["## Does the paper's finding hold on our generated Syn-TA?", ""]
    lines.append(f"Chance is {chance:.1f}% ({100 / chance:.0f} coarse classes). Scores are coarse accuracy in percent, "
                 "averaged over both directions and the seeds, with 95% bootstrap intervals.")  # fmt: skip
    lines.append("")
    near_chance = [_row_name(key) for key, row in rows.items() if row.get("known_accuracy_ci_low", 0) <= 2 * chance]
    if near_chance:
        lines += [
            f"**Caution:** the known-accuracy interval of {', '.join(near_chance)} reaches twice chance: those models "
            "learned too little for the comparisons below to test the paper's observations. Train longer, on more "
            "clips, or start from a pretrained backbone.",
            "",
        ]
    lines.append("1. Unknown accuracy falls below known accuracy:")
    for key, row in rows.items():
        unknown_as_known = {
            "known_accuracy": row["unknown_accuracy"],
            "known_accuracy_ci_low": row.get("unknown_accuracy_ci_low"),
            "known_accuracy_ci_high": row.get("unknown_accuracy_ci_high"),
        }
        lines.append(f"   - {_row_name(key)}: K {row['known_accuracy']:.1f} vs U {row['unknown_accuracy']:.1f}: "
                     f"{_compare(row, unknown_as_known, 'known_accuracy')}")  # fmt: skip
    lines.append("2. The drop is larger under `paper` (motion and appearance change) than under `motion-only`:")
    if {"paper", "motion-only"} <= set(protocols):
        increases = {}
        for modality in modalities:
            for head in heads:
                paper, motion = rows[("paper", modality, head)], rows[("motion-only", modality, head)]
                increases[(modality, head)] = paper["absolute_drop"] - motion["absolute_drop"]
                lines.append(f"   - {modality} / {head}: D_abs {paper['absolute_drop']:.1f} vs "
                             f"{motion['absolute_drop']:.1f}: {_compare(paper, motion, 'absolute_drop')}")  # fmt: skip
        sees_rgb = [m for m in modalities if "rgb" in m.split("+")]
        motion_only = [m for m in modalities if "rgb" not in m.split("+")]
        if sees_rgb and motion_only:
            for head in heads:
                with_rgb = max(increases[(m, head)] for m in sees_rgb)
                without = max(increases[(m, head)] for m in motion_only)
                verdict = "more" if with_rgb > without else "not more"
                lines.append(
                    f"   - a model that sees appearance ({'/'.join(sees_rgb)}) loses {verdict} when appearance shifts "
                    f"than one that sees only motion ({'/'.join(motion_only)}), {head} head: the drop grows by "
                    f"{with_rgb:.1f} vs {without:.1f} points (point estimates)"
                )
        else:
            lines.append("   - appearance use not measured: run an RGB modality beside a motion-only one "
                         "(`--modalities fg+diff rgb+fg+diff`)")  # fmt: skip
    else:
        lines.append("   - not measured (needs both protocols)")
    lines.append("3. Disentangling raises unknown accuracy over the baseline:")
    if {"baseline", "disentangled"} <= set(heads):
        for protocol in protocols:
            for modality in modalities:
                dis, base = rows[(protocol, modality, "disentangled")], rows[(protocol, modality, "baseline")]
                lines.append(f"   - {protocol} / {modality}: U {dis['unknown_accuracy']:.1f} vs "
                             f"{base['unknown_accuracy']:.1f}: {_compare(dis, base, 'unknown_accuracy')}")  # fmt: skip
    else:
        lines.append("   - not measured (needs both heads: `--heads baseline disentangled`)")
    if per_class:
        lines.append("4. Which motions transfer (per coarse class, first model; unknown / known accuracy):")
        for protocol, classes in per_class.items():
            ratios = {
                name: (unknown / known if known else 0.0)
                for name, (known, unknown) in classes.items()
                if known is not None and unknown is not None
            }
            ordered = sorted(ratios, key=ratios.get, reverse=True)
            best = ", ".join(f"{n} ({classes[n][1]:.0f}/{classes[n][0]:.0f})" for n in ordered[:4])
            worst = ", ".join(f"{n} ({classes[n][1]:.0f}/{classes[n][0]:.0f})" for n in ordered[-4:][::-1])
            lines.append(f"   - {protocol}: transfer best: {best}; worst: {worst}")
    if probes:
        plain = probes["plain"]
        lines.append("5. Does the model use motion? Accuracy of the first model under the temporal probes:")
        for name, scores in probes.items():
            lines.append(f"   - {name}: K {scores['known_accuracy']:.1f}, U {scores['unknown_accuracy']:.1f}")
        fallen = [n for n, sc in probes.items() if n != "plain" and sc["known_accuracy"] < plain["known_accuracy"] / 2]
        if fallen:
            lines.append(f"   - it uses motion: known accuracy falls by half or more under {', '.join(fallen)}")
        else:
            lines.append("   - no probe halves its known accuracy: the model may rely on single frames")
    return lines


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    start = time.perf_counter()
    output_dir = Path(args.output_dir)
    run_protocol = _run_protocol_module()
    datasets_by_protocol = {protocol: ensure_dataset(args, protocol) for protocol in args.protocols}
    taxonomy = get_taxonomy("syn-ta")
    chance = 100 / taxonomy.num_coarse

    table_rows, keyed, eval_dirs = [], {}, {}
    for protocol, dataset in datasets_by_protocol.items():
        for modality in args.modalities:
            print(f"[demo] {protocol}, {modality}: training and evaluating ({', '.join(args.heads)}; seeds "
                  f"{args.seeds})", flush=True)  # fmt: skip
            runs = run_protocol.run_protocol(
                str(dataset),
                [args.model],
                output_dir=output_dir / "runs" / protocol / modality,
                heads=args.heads,
                seeds=args.seeds,
                num_epochs=args.num_epochs,
                batch_size=args.batch_size,
                learning_rate=args.learning_rate,
                num_workers=args.workers,
                train_args=[*args.train_args.split(), "--modality", modality],
            )
            for head in args.heads:
                label = run_protocol.run_label(args.model, head)
                row = run_protocol.protocol_table(
                    {label: runs[label]}, bootstrap_samples=args.bootstrap_samples, with_paper=False
                )[0]
                row["model"] = _row_name((protocol, modality, head))
                table_rows.append(row)
                keyed[(protocol, modality, head)] = row
                eval_dirs[(protocol, modality, head)] = runs[label]
    table_rows += [
        {"source": "paper", **{k: r[k] for k in run_protocol.TABLE_COLUMNS[1:]}} for r in paper_results("syn-ta")
    ]
    md_path, _ = run_protocol.write_table(table_rows, output_dir)
    run_protocol.plot_known_unknown(table_rows, output_dir / "known_unknown.png")
    first = (args.protocols[0], args.modalities[0], args.heads[0])
    per_class = {
        protocol: run_protocol.per_class_scores(eval_dirs[(protocol, *first[1:])], taxonomy.coarse_names)
        for protocol in args.protocols
    }
    finding_lines = findings(keyed, chance, per_class=per_class)
    minutes = (time.perf_counter() - start) / 60
    (output_dir / "findings.md").write_text("\n".join(finding_lines) + "\n")
    summary = {"settings": vars(args), "minutes": round(minutes, 2), "rows": table_rows, "findings": finding_lines}
    (output_dir / "demo_results.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(md_path.read_text())
    print("\n".join(finding_lines))
    print(f"\n[demo] done in {minutes:.1f} min; results in {output_dir}/ (table.md, known_unknown.png, findings.md)")
    return summary


if __name__ == "__main__":
    main()
