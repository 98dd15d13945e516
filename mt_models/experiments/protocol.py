"""The full motion-transferability protocol as library code: the train/eval grid, pooling, the table and the chart.

:func:`run_protocol` trains and evaluates every model x head x seed in both directions, in this process
(:func:`mt_models.train.loop.train`, :func:`mt_models.scoring.evaluation.evaluate_direction`), so
``accelerate launch examples/run_protocol.py ...`` distributes all of it. :func:`pooled_scores` pools the per-video
predictions of several evaluations (directions, seeds) into the paper's direction-averaged scores;
:func:`per_class_scores` gives each coarse class's pooled known and unknown accuracy; :func:`protocol_table`,
:func:`write_table` and :func:`plot_known_unknown` make the paper-style table and bar chart. A grid run again after an
interruption skips the trainings whose evaluation was written.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import mt_metrics
from mt_datasets.protocol import PROTOCOL_CONFIGS
from mt_models.options import HEADS  # its home is light: the scripts' --help shows it
from mt_models.scoring.evaluation import PREDICTIONS_FILENAME, evaluate_direction, evaluation_options, read_predictions
from mt_models.scoring.records import RESULTS_FILENAME, read_record
from mt_models.train.loop import train, training_options

__all__ = [
    "HEADS",
    "PairedComparisons",
    "compare_runs",
    "TABLE_COLUMNS",
    "per_class_scores",
    "plot_known_unknown",
    "pooled_predictions",
    "pooled_scores",
    "protocol_outputs",
    "protocol_table",
    "repeated_seeds",
    "run_label",
    "run_protocol",
    "write_table",
]

TABLE_COLUMNS = ("source", "model", "known_accuracy", "unknown_accuracy", "absolute_drop", "harmonic_mean")


def run_label(model: str, head: str) -> str:
    """The label of a model x head in the table and the output tree: ``<model dir name>-<head>``."""
    return f"{Path(model.rstrip('/')).name}-{head}"


def repeated_seeds(seeds: Sequence[int]) -> str | None:
    """One line when ``seeds`` names a seed twice (it would be trained once and pooled twice: intervals too narrow,
    shown as more seeds than ran); else None."""
    repeated = sorted({seed for seed in seeds if list(seeds).count(seed) > 1})
    if not repeated:
        return None
    return (
        f"--seeds {' '.join(map(str, seeds))} names seed {', '.join(map(str, repeated))} more than once: each seed is "
        f"one training, pooled once; give each seed once (e.g. --seeds {' '.join(map(str, dict.fromkeys(seeds)))})"
    )


def protocol_outputs(models: Sequence[str], heads: Sequence[str], open_vocabulary_models: Sequence[str] = ()) -> tuple:
    """What a protocol grid writes into its output directory: one folder per run label, the table and the chart."""
    labels = [run_label(model, head) for model in models for head in heads]
    labels += [run_label(model, "zero-shot") for model in open_vocabulary_models]
    return (*labels, "table.md", "table.csv", "known_unknown.png")


def run_protocol(
    dataset: str,
    models: Sequence[str] = (),
    *,
    output_dir: str | Path,
    heads: Sequence[str] = ("disentangled",),
    open_vocabulary_models: Sequence[str] = (),
    seeds: Sequence[int] = (0,),
    num_epochs: int = 10,
    batch_size: int = 8,
    learning_rate: float = 1e-4,
    num_workers: int = 2,
    num_clips: int = 1,
    bootstrap_samples: int = 0,
    train_args: Sequence[str] = (),
    eval_args: Sequence[str] = (),
    videos: str | None = None,
) -> dict[str, list[Path]]:
    """Train and evaluate every model x head x seed in both directions; returns ``{run label: [eval dirs]}``.

    Args:
        dataset: Hub id or local directory of a motion-transfer dataset.
        models: backbones to train (Hub ids, directories or registered names).
        output_dir: everything goes under it: ``<label>/seed<k>/<config>/`` holds the trained model and its eval.
        heads: head designs (:data:`HEADS`), e.g. ``"disentangled"`` (the default loss weights, or those in
            ``train_args``) and ``"baseline"``; each is trained with ``--head <name>``.
        open_vocabulary_models: X-CLIP checkpoints evaluated zero-shot with class-name prompts (no training).
        seeds: training seeds; results are averaged over them.
        num_epochs, batch_size, learning_rate, num_workers: training options (see ``train.py --help``).
        num_clips: clips per video at evaluation.
        bootstrap_samples: replicates for confidence intervals in each record (the table bootstraps separately).
        train_args, eval_args: extra command-line arguments of ``train.py`` / ``eval.py`` (e.g. ``["--cache_clips"]``).
        videos: your copy of the videos of a metadata-only ``dataset`` (K400-TA, SSv2-TA), for training and eval.

    ``output_dir`` is checked and held first (:func:`mt_models.runtime.output_dirs.claim_output_dir`); repeated seeds
    are refused (:func:`repeated_seeds`).
    """
    for head in heads:
        if head not in HEADS:
            raise ValueError(f"unknown head {head!r}; choose from {HEADS}")
    if not models and not open_vocabulary_models:
        raise ValueError("nothing to run: give models to train and/or open_vocabulary_models")
    if repeated_seeds(seeds):
        raise ValueError(repeated_seeds(seeds))
    from mt_models.runtime.output_dirs import claim_output_dir

    makes = protocol_outputs(models, heads, open_vocabulary_models)
    with claim_output_dir(output_dir, makes=makes, what="protocol run"):
        return _run_grid(
            dataset, models, output_dir=output_dir, heads=heads, open_vocabulary_models=open_vocabulary_models,
            seeds=seeds, num_epochs=num_epochs, batch_size=batch_size, learning_rate=learning_rate,
            num_workers=num_workers, num_clips=num_clips, bootstrap_samples=bootstrap_samples,
            train_args=train_args, eval_args=eval_args, videos=videos,
        )  # fmt: skip


def _run_grid(
    dataset: str,
    models: Sequence[str],
    *,
    output_dir: str | Path,
    heads: Sequence[str],
    open_vocabulary_models: Sequence[str],
    seeds: Sequence[int],
    num_epochs: int,
    batch_size: int,
    learning_rate: float,
    num_workers: int,
    num_clips: int,
    bootstrap_samples: int,
    train_args: Sequence[str],
    eval_args: Sequence[str],
    videos: str | None,
) -> dict[str, list[Path]]:
    from tqdm.auto import tqdm

    from mt_models.runtime.fast_path import process_state

    output_dir = Path(output_dir)
    common = ["--dataset", dataset, "--num_workers", str(num_workers), "--batch_size", str(batch_size)]
    common += ["--videos", str(videos)] if videos else []
    evaluation = [*common, "--num_clips", str(num_clips), "--bootstrap_samples", str(bootstrap_samples), *eval_args]
    # (label, model to evaluate, train arguments or None for zero-shot, config, eval dir)
    grid: list[tuple[str, str, list[str] | None, str, Path]] = []
    for model in models:
        for head in heads:
            label = run_label(model, head)
            for seed in seeds:
                for config in PROTOCOL_CONFIGS:
                    run_dir = output_dir / label / f"seed{seed}" / config
                    arguments = [*common, "--config", config, "--model", model, "--output_dir", str(run_dir)]
                    # A run the grid did not finish (trained, not evaluated) is trained again from the start.
                    arguments += ["--seed", str(seed), "--num_epochs", str(num_epochs), "--overwrite_output_dir"]
                    arguments += ["--learning_rate", str(learning_rate), "--head", head]
                    grid.append((label, str(run_dir), [*arguments, *train_args], config, run_dir / "eval"))
    for model in open_vocabulary_models:
        label = run_label(model, "zero-shot")
        grid += [(label, model, None, config, output_dir / label / config) for config in PROTOCOL_CONFIGS]

    runs: dict[str, list[Path]] = {}
    bar = tqdm(grid, desc="protocol", unit="run", disable=not process_state().is_main_process)
    for label, model, arguments, config, eval_dir in bar:
        bar.set_postfix_str(f"{label} {config}")
        runs.setdefault(label, []).append(eval_dir)
        finished = (eval_dir / RESULTS_FILENAME).is_file() and (eval_dir / PREDICTIONS_FILENAME).is_file()
        if arguments is not None and finished:
            continue  # trained and evaluated by an earlier, interrupted run of the same grid: not redone
        if arguments is not None:
            train(training_options(arguments))
        zero_shot = ["--open_vocabulary"] if arguments is None else []
        evaluate_direction(
            evaluation_options(
                [*evaluation, "--config", config, "--model", model, "--output_dir", str(eval_dir), *zero_shot]
            )
        )
    return runs


def pooled_predictions(eval_dirs: Sequence[str | Path]) -> dict[str, list]:
    """The decoded videos' predictions of several evaluations, pooled: each evaluation is one "direction".

    Returns ``{"predictions", "references", "is_known", "direction"}`` lists, in the metric's argument names.
    """
    pooled: dict[str, list] = {"predictions": [], "references": [], "is_known": [], "direction": []}
    for number, eval_dir in enumerate(eval_dirs):
        per_video = read_predictions(eval_dir)
        for split, decoded, prediction, reference in zip(
            per_video["split"], per_video["decoded"], per_video["prediction"], per_video["reference"], strict=True
        ):
            if decoded:
                pooled["predictions"].append(prediction)
                pooled["references"].append(reference)
                pooled["is_known"].append(split == "known")
                pooled["direction"].append(number)
    return pooled


def compare_runs(
    first_dirs: Sequence[str | Path],
    second_dirs: Sequence[str | Path],
    *,
    statistic: str = "unknown_accuracy",
    samples: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """Paired bootstrap of ``statistic(first) - statistic(second)``, pooled over directions and seeds.

    Two runs of the same grid (e.g. two heads or two modalities) on the same dataset are scored on the same videos:
    their difference is bootstrapped on the same resampled videos (:func:`mt_metrics.paired_difference`). Runs on
    different datasets (two appearance splits) share only the classes: the classes are resampled jointly
    (:func:`mt_metrics.paired_cluster_difference`). Which applies is decided by whether the evaluations hold the same
    videos (the same dataset, revision and config for each evaluation, and the same references in the same order).
    """
    first, second = pooled_predictions(first_dirs), pooled_predictions(second_dirs)
    evaluated = [
        [(r.dataset, r.dataset_revision, r.config) for r in map(read_record, dirs)]
        for dirs in (first_dirs, second_dirs)
    ]
    same_videos = evaluated[0] == evaluated[1] and all(
        first[k] == second[k] for k in ("references", "is_known", "direction")
    )
    if same_videos:
        return mt_metrics.paired_difference(
            first["predictions"], second["predictions"], first["references"], first["is_known"],
            strata={"direction": first["direction"]}, statistic=statistic, samples=samples, seed=seed,
        )  # fmt: skip
    return mt_metrics.paired_cluster_difference(first, second, statistic=statistic, samples=samples, seed=seed)


class PairedComparisons:
    """Paired bootstrap comparisons between the rows of a protocol grid, keyed as the caller keys its eval dirs.

    Args:
        eval_dirs: ``{row key: [eval dirs of the row's seeds and directions]}``.
        samples: bootstrap replicates; seed: their generator's seed.
    """

    def __init__(self, eval_dirs: Mapping[Any, Sequence[str | Path]], *, samples: int = 1000, seed: int = 0):
        self.eval_dirs, self.samples, self.seed = eval_dirs, samples, seed

    def difference(self, first: Any, second: Any, statistic: str) -> dict[str, Any]:
        """``statistic(first) - statistic(second)`` (:func:`compare_runs`)."""
        return compare_runs(
            self.eval_dirs[first], self.eval_dirs[second], statistic=statistic, samples=self.samples, seed=self.seed
        )

    def contrast(self, keys: Sequence[Any], weights: Sequence[float], statistic: str) -> dict[str, Any]:
        """``sum(weight * statistic(row))``, the classes resampled jointly for every row
        (:func:`mt_metrics.paired_cluster_contrast`)."""
        results = [pooled_predictions(self.eval_dirs[key]) for key in keys]
        return mt_metrics.paired_cluster_contrast(
            results, weights, statistic=statistic, samples=self.samples, seed=self.seed
        )


def pooled_scores(eval_dirs: Sequence[str | Path], *, bootstrap_samples: int = 0, seed: int = 0) -> dict[str, Any]:
    """Scores of several evaluations (directions, seeds) pooled: each is one "direction" of the metric.

    The metric averages known/unknown accuracy and HM over directions, so pooling ``seeds x {set1, set2}``
    evaluations gives the mean over seeds of the paper's direction-averaged scores, with bootstrap intervals.
    """
    return mt_metrics.compute_transferability(
        **pooled_predictions(eval_dirs), bootstrap_samples=bootstrap_samples, seed=seed
    )


def per_class_scores(
    eval_dirs: Sequence[str | Path], class_names: Sequence[str]
) -> dict[str, tuple[float | None, float | None]]:
    """``{coarse class name: (known %, unknown %)}`` over pooled evaluations (``None`` where a class has no video)."""
    pooled = pooled_predictions(eval_dirs)
    scores = mt_metrics.compute_transferability(**pooled, groups={"class": pooled["references"]})
    result = {}
    for index, group in scores["per_group"]["class"].items():
        known, unknown = group["known_accuracy"], group["unknown_accuracy"]
        result[class_names[int(index)]] = (
            None if known is None else 100 * known,
            None if unknown is None else 100 * unknown,
        )
    return result


def protocol_table(
    runs: dict[str, Sequence[str | Path]], *, bootstrap_samples: int = 0, with_paper: bool = True
) -> list[dict[str, Any]]:
    """Rows of the protocol table (percent): ours (one per run label), then the paper's for the same dataset.

    Each of our rows may carry ``*_ci_low`` / ``*_ci_high`` columns when ``bootstrap_samples`` > 0.
    """
    rows: list[dict[str, Any]] = []
    dataset_names: set[str] = set()
    for label, eval_dirs in runs.items():
        for eval_dir in eval_dirs:
            dataset_names.add(read_record(eval_dir).extra.get("taxonomy", ""))
        scores = pooled_scores(eval_dirs, bootstrap_samples=bootstrap_samples)
        row: dict[str, Any] = {"source": "ours", "model": label}
        for name in TABLE_COLUMNS[2:]:
            row[name] = 100 * scores[name]
            if bootstrap_samples:
                low, high = scores["confidence_intervals"][name]
                row[f"{name}_ci_low"], row[f"{name}_ci_high"] = 100 * low, 100 * high
        rows.append(row)
    dataset_names.discard("")
    if with_paper and len(dataset_names) == 1:
        for paper_row in mt_metrics.paper_results(dataset_names.pop()):
            rows.append({"source": "paper", **{k: paper_row[k] for k in TABLE_COLUMNS[1:]}})
    return rows


def write_table(rows: Sequence[dict[str, Any]], output_dir: str | Path) -> tuple[Path, Path]:
    """Write the rows as ``table.md`` (rounded, the paper's column names) and ``table.csv`` (full precision)."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    columns = list(dict.fromkeys(key for row in rows for key in row))
    csv_path = output_dir / "table.csv"
    with csv_path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    titles = {"known_accuracy": "Known", "unknown_accuracy": "Unknown", "absolute_drop": "D_abs", "harmonic_mean": "HM"}
    lines = ["| Source | Model | " + " | ".join(titles.values()) + " |", "|---|---|" + "---:|" * len(titles)]
    for row in rows:
        cells = []
        for name in titles:
            cell = f"{row[name]:.1f}"
            if f"{name}_ci_low" in row:
                cell += f" [{row[f'{name}_ci_low']:.1f}, {row[f'{name}_ci_high']:.1f}]"
            cells.append(cell)
        lines.append(f"| {row['source']} | {row['model']} | " + " | ".join(cells) + " |")
    md_path = output_dir / "table.md"
    md_path.write_text("\n".join(lines) + "\n")
    return md_path, csv_path


def plot_known_unknown(rows: Sequence[dict[str, Any]], path: str | Path, *, chance: float | None = None) -> Path:
    """Bar chart of known vs unknown accuracy per model (ours first, then the paper's), saved as PNG.

    Rows with ``*_ci_low`` / ``*_ci_high`` columns get their confidence intervals as error bars; ``chance`` (percent)
    draws the accuracy of guessing as a dashed line.
    """
    import matplotlib

    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt
    import numpy as np

    labels = [f"{row['model']}{' (paper)' if row['source'] == 'paper' else ''}" for row in rows]
    positions = np.arange(len(rows))
    figure, axes = plt.subplots(figsize=(max(6.0, 0.5 * len(rows) + 2), 4.5))
    for offset, name, title in ((-0.2, "known_accuracy", "Known"), (0.2, "unknown_accuracy", "Unknown")):
        axes.bar(positions + offset, [row[name] for row in rows], 0.4, label=title)
        with_interval = [k for k, row in enumerate(rows) if f"{name}_ci_low" in row]
        if with_interval:
            axes.errorbar(
                positions[with_interval] + offset,
                [rows[k][name] for k in with_interval],
                yerr=[
                    [rows[k][name] - rows[k][f"{name}_ci_low"] for k in with_interval],
                    [rows[k][f"{name}_ci_high"] - rows[k][name] for k in with_interval],
                ],
                fmt="none",
                ecolor="black",
                capsize=2,
                linewidth=1,
            )
    if chance is not None:
        axes.axhline(chance, color="grey", linestyle="--", linewidth=1, label=f"chance ({chance:.1f}%)")
    axes.set_xticks(positions, labels, rotation=60, ha="right", fontsize=8)
    axes.set_ylabel("coarse accuracy (%), 95% intervals")
    axes.set_ylim(0, 100)
    axes.legend()
    figure.tight_layout()
    path = Path(path)
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path
