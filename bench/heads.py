"""Which head design transfers best? Train head variants like the demo and compare each with the baseline, paired.

Each variant is a head name plus option overrides, ``head[:option=value,...]``, e.g.
``disentangled:fine_loss_weight=1,decorrelation_weight=0,adversarial_weight=0``. Every variant is trained and evaluated
on the demo's data, seeds and schedule (``examples/demo.py``'s options and defaults, which this script also takes),
both directions, every ``--protocols`` appearance split, with :func:`mt_models.experiments.protocol.run_protocol`.
Reported per variant and split: known, unknown and drop (pooled over directions and seeds), and the paired bootstrap
interval of the difference in unknown accuracy against ``--reference``
(:func:`mt_models.experiments.protocol.compare_runs`: the same videos, resampled within direction x seed x
known/unknown, for both models).

With ``--select_on validation`` (the default) every variant is first trained on validation protocols carved out of
the training set (:func:`mt_models.train.validation.carve_validation`: one held-out fine variant per coarse class, one
carve per ``--validation_seeds`` entry), every split's carve before any test run. The rule, fixed before any run:
the *chosen* variant is the one other than ``--reference`` with the highest unknown accuracy there (mean over the
carves and the splits; :func:`chosen_variant`), never chosen on the test's unknown split. Then the test protocol
trains the reference and the chosen variant only (``--test_variants all``: every variant) and compares them, paired,
with the per-class unknown accuracy of the classes that do not transfer today (and of any ``--classes`` given: a cut
of Syn-TA). With ``--select_on none`` and two variants, the other one is the chosen. Writes ``heads.md`` and
``heads.json`` under ``--output_dir``::

    python bench/heads.py --variants baseline disentangled slowfast:slow_segments=1 pooled_delta --seeds 0 1 2

``--quick`` (what ``make test`` runs) is a smoke run of the same path: the baseline and the default head, one
protocol, two coarse classes of small clips, one epoch, fp32 eager (unless ``MT_MIXED_PRECISION`` / ``MT_COMPILE``
say otherwise), in a temporary directory unless ``--output_dir`` is given; options given beside it still apply. The
last line printed is the summary as JSON.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from mt_datasets import get_taxonomy
from mt_models.experiments.protocol import compare_runs, per_class_scores, pooled_scores, run_label, run_protocol
from mt_models.models.classifier import HEAD_NAMES
from mt_models.train.validation import carve_validation

HARD_CLASSES = ("occlusion", "not colliding", "departing", "moving in a path")
# --quick: the demo's options of a smoke run (tests/test_demo.py's cut-down Syn-TA), before the ones given
QUICK_VARIANTS = ["baseline", "disentangled"]
QUICK_DEMO_ARGS = [
    "--protocols", "motion-only", "--classes", "rising", "falling", "--clips_per_class", "2", "--size", "32",
    "--num_epochs", "1", "--bootstrap_samples", "50", "--workers", "1",
]  # fmt: skip


def _demo() -> Any:
    """``examples/demo.py`` as a module (its dataset generation and its defaults)."""
    path = Path(__file__).resolve().parents[1] / "examples" / "demo.py"
    spec = importlib.util.spec_from_file_location("motion_transfer_demo", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def parse_variant(spec: str) -> tuple[str, list[str]]:
    """``"head:a=1,b=2"`` -> ``("head", ["--a", "1", "--b", "2"])``; raises ``ValueError`` naming a bad part."""
    head, _, options = spec.partition(":")
    if head not in HEAD_NAMES:
        raise ValueError(f"variant {spec!r}: head must be one of {HEAD_NAMES}, got {head!r}")
    arguments: list[str] = []
    for item in filter(None, options.split(",")):
        name, equals, value = item.partition("=")
        if not equals or not name or not value:
            raise ValueError(f"variant {spec!r}: options are name=value, got {item!r}")
        arguments += [f"--{name}", value]
    return head, arguments


def heads_table(rows: list[dict[str, Any]]) -> str:
    """The Markdown table of the rows (percent): split, variant, known, unknown, drop, difference with interval."""
    lines = [
        "| Split | Variant | Val. unknown | Known | Unknown | D_abs | U - ref. [95% paired] | P(diff <= 0) |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        val = "" if row.get("validation_unknown") is None else f"{row['validation_unknown']:.1f}"
        diff = row.get("difference")
        cells = "" if diff is None else f"{diff['difference']:+.1f} [{diff['low']:+.1f}, {diff['high']:+.1f}]"
        fraction = "" if diff is None else f"{diff['fraction_at_most_zero']:.3f}"
        lines.append(
            f"| {row['split']} | {row['variant']} | {val} | {row['known']:.1f} | {row['unknown']:.1f} | "
            f"{row['drop']:.1f} | {cells} | {fraction} |"
        )
    return "\n".join(lines) + "\n"


def _train_all(
    demo_args: argparse.Namespace, dataset: Path, out: Path, variants: list[str], seeds: list[int]
) -> dict[str, list[Path]]:
    """Train with ``seeds`` and evaluate every variant on ``dataset`` as the demo does; ``{variant: eval dirs}``."""
    eval_dirs = {}
    for spec in variants:
        head, overrides = parse_variant(spec)
        runs = run_protocol(
            str(dataset), [demo_args.model], output_dir=out / spec.replace(":", "-").replace(",", "-"), heads=[head],
            seeds=seeds, num_epochs=demo_args.num_epochs, batch_size=demo_args.batch_size,
            learning_rate=demo_args.learning_rate, num_workers=demo_args.workers,
            train_args=[*demo_args.train_args.split(), "--modality", demo_args.modality,
                        "--num_frames", str(demo_args.num_frames), *overrides],
        )  # fmt: skip
        eval_dirs[spec] = runs[run_label(demo_args.model, head)]
    return eval_dirs


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Compare the head variants of ``argv`` (this script's options, then the demo's); returns the summary."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", nargs="+", default=None, help="head[:option=value,...] each (default: all)")
    parser.add_argument("--reference", default="baseline", help="the variant every other one is compared with")
    parser.add_argument("--select_on", choices=["validation", "none"], default="validation")
    parser.add_argument(
        "--validation_seeds", type=int, nargs="+", default=[0],
        help="seeds of the held-out variants' choice: one validation carve each, the winner has the best mean",
    )  # fmt: skip
    parser.add_argument(
        "--validation_training_seeds", type=int, nargs="+", default=None,
        help="training seeds on the validation carves (default: the first of --seeds)",
    )  # fmt: skip
    parser.add_argument(
        "--test_variants", choices=["chosen", "all"], default="chosen",
        help="variants trained on the test protocol: the reference and the chosen one (default), or all",
    )  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="a smoke run of two heads on a tiny Syn-TA (seconds)")
    own, rest = parser.parse_known_args(argv)
    variants = list(dict.fromkeys([own.reference, *(own.variants or (QUICK_VARIANTS if own.quick else HEAD_NAMES))]))
    for spec in variants:
        parse_variant(spec)
    if own.quick:
        rest = [*QUICK_DEMO_ARGS, *rest]
        # Runs of one step: timing the candidate paths (mt_models.runtime.autotune) would cost more than the runs
        # themselves.
        os.environ.setdefault("MT_MIXED_PRECISION", "no")
        os.environ.setdefault("MT_COMPILE", "no")
        if not any(arg.split("=")[0] == "--output_dir" for arg in rest):
            with tempfile.TemporaryDirectory(prefix="bench-heads-") as scratch:
                return _compare(own, variants, [*rest, "--output_dir", scratch])
    return _compare(own, variants, rest)


def _compare(own: argparse.Namespace, variants: list[str], demo_argv: list[str]) -> dict[str, Any]:
    """Train, evaluate and compare ``variants`` with the demo's options ``demo_argv``; writes, returns the summary."""
    demo = _demo()
    demo_args = demo.parse_args(demo_argv)
    output_dir = Path(demo_args.output_dir)
    names = get_taxonomy("syn-ta").coarse_names
    data_dirs = {protocol: demo.ensure_dataset(demo_args, protocol) for protocol in demo_args.protocols}
    validation: dict[str, dict[str, list[float]]] = {}
    validation_seeds = own.validation_training_seeds or demo_args.seeds[:1]
    for protocol, dataset in data_dirs.items():
        for carve in own.validation_seeds if own.select_on == "validation" else ():
            carved = output_dir / "data" / f"{dataset.name}-validation-{carve}"
            carve_validation(dataset, carved, seed=carve)
            val_out = output_dir / "validation" / protocol / str(carve)
            val_dirs = _train_all(demo_args, carved, val_out, variants, validation_seeds)
            for spec, dirs in val_dirs.items():
                score = 100 * pooled_scores(dirs)["unknown_accuracy"]
                validation.setdefault(spec, {}).setdefault(protocol, []).append(score)
    chosen = chosen_variant(validation, variants, own.reference)
    tested = variants if own.test_variants == "all" else [v for v in variants if v in (own.reference, chosen)]
    rows, per_class = [], {}
    for protocol, dataset in data_dirs.items():
        test_dirs = _train_all(demo_args, dataset, output_dir / "runs" / protocol, tested, demo_args.seeds)
        for spec, dirs in test_dirs.items():
            scores = pooled_scores(dirs)
            row = {"split": protocol, "variant": spec, "known": 100 * scores["known_accuracy"],
                   "unknown": 100 * scores["unknown_accuracy"], "drop": 100 * scores["absolute_drop"],
                   "validation_unknown": _mean(validation.get(spec, {}).get(protocol))}  # fmt: skip
            if spec != own.reference:
                result = compare_runs(dirs, test_dirs[own.reference], samples=demo_args.bootstrap_samples)
                low, high = result["interval"]
                row["difference"] = {"difference": 100 * result["difference"], "low": 100 * low, "high": 100 * high,
                                     "fraction_at_most_zero": result["fraction_at_most_zero"]}  # fmt: skip
            rows.append(row)
        per_class[protocol] = {spec: per_class_scores(dirs, names) for spec, dirs in test_dirs.items()}
    lines = ["## Head variants", "", heads_table(rows)]
    if validation:
        lines += ["Validation unknown accuracy (held-out training variants; mean over carves and splits): "
                  + ", ".join(f"`{spec}` {_validation_mean(validation, spec):.1f}" for spec in variants)
                  + ".", ""]  # fmt: skip
    if chosen is not None:
        how = "highest validation unknown accuracy of the variants other than the reference" if validation else "given"
        lines += [f"Chosen: `{chosen}` ({how}).", ""]
        classes = [name for name in (*HARD_CLASSES, *(demo_args.classes or ())) if name in names]
        lines += ["| Split | Class | Unknown, reference | Unknown, chosen |", "|---|---|---:|---:|"]
        for protocol, by_variant in per_class.items():
            for name in dict.fromkeys(classes):
                ref, win = (by_variant[spec].get(name, (None, None))[1] for spec in (own.reference, chosen))
                if ref is not None or win is not None:
                    lines.append(f"| {protocol} | {name} | {_percent(ref)} | {_percent(win)} |")
    (output_dir / "heads.md").write_text("\n".join(lines) + "\n")
    summary = {"variants": variants, "reference": own.reference, "select_on": own.select_on, "winner": chosen,
               "tested": tested, "validation_unknown": validation, "rows": rows, "per_class": per_class,
               "settings": vars(demo_args)}  # fmt: skip
    (output_dir / "heads.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    print("\n".join(lines))
    print(json.dumps({"bench": "heads", **{key: summary[key] for key in ("variants", "winner", "rows")}}, default=str))
    return summary


def chosen_variant(validation: dict[str, dict[str, list[float]]], variants: list[str], reference: str) -> str | None:
    """The variant to test against ``reference``: the one other than it with the highest mean validation unknown
    accuracy (over carves and splits; the first in ``variants`` on a tie); without validation scores, the only other
    variant if there is exactly one, else ``None``."""
    others = [spec for spec in variants if spec != reference]
    if validation:
        return max(others, key=lambda spec: _validation_mean(validation, spec), default=None)
    return others[0] if len(others) == 1 else None


def _validation_mean(validation: dict[str, dict[str, list[float]]], spec: str) -> float:
    """``spec``'s validation unknown accuracy, the mean over carves and splits (-inf without any)."""
    mean = _mean(sum(validation.get(spec, {}).values(), []))
    return float("-inf") if mean is None else mean


def _mean(values: list[float] | None) -> float | None:
    """The mean of validation scores (carves, splits), ``None`` without any."""
    return float(np.mean(values)) if values else None


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
