"""The diagnosis of a model as a report for a person: Markdown tables and PNG plots beside the JSON.

:func:`render_report` reads the record that :func:`mt_models.diagnosis.diagnostics.build_diagnosis` makes (a dict or a
``diagnosis.json``) and writes into one directory ``report.md``, ``diagnosis.json`` (the data it was made from) and
the plots: known / unknown accuracy per value of each factor, the change each probe makes, and the known and unknown
confusion matrices. Plots are drawn with matplotlib's Agg canvas (no display, no global pyplot state), so reports can be
made on servers and in worker processes.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from mt_models.diagnosis.diagnostics import read_diagnosis, write_diagnosis

__all__ = ["REPORT_FILENAME", "render_report"]

REPORT_FILENAME = "report.md"
KNOWN_COLOR, UNKNOWN_COLOR = "#1f77b4", "#d62728"


def _percent(value: float | None, note: str = "n/a") -> str:
    return note if value is None else f"{100 * value:.1f}"


def _signed(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:+.1f}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _value_order(value: str) -> tuple:
    """Bins and numbers in numeric order, other labels alphabetically after them."""
    match = re.match(r"^\[?(-?\d+(?:\.\d+)?)", value)
    return (0, float(match.group(1)), value) if match else (1, 0.0, value)


def _short(label: str, limit: int = 28) -> str:
    """Tick labels stay readable: long class names are cut (the Markdown table beside the plot has them whole)."""
    return label if len(label) <= limit else label[: limit - 1] + "\u2026"


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def _save(figure: Figure, path: Path) -> str:
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    return path.name


def _plot_factor(name: str, values: Mapping[str, Mapping[str, Any]], out_dir: Path) -> str:
    labels = sorted(values, key=_value_order)
    x = np.arange(len(labels))
    figure = Figure(figsize=(max(5.0, 0.7 * len(labels) + 2), 4.5))
    axes = figure.add_subplot()
    for offset, kind, color in ((-0.2, "known", KNOWN_COLOR), (0.2, "unknown", UNKNOWN_COLOR)):
        heights = [values[v][f"{kind}_accuracy"] for v in labels]
        present = [i for i, h in enumerate(heights) if h is not None]
        axes.bar(x[present] + offset, [100 * heights[i] for i in present], width=0.4, color=color, label=kind)
        for i in (i for i, h in enumerate(heights) if h is None):
            # An empty subset is not an accuracy of 0: mark it instead of drawing a zero bar.
            axes.text(x[i] + offset, 2, f"no {kind}", rotation=90, ha="center", va="bottom", fontsize=7, color=color)
    rotate = len(labels) > 4 or max(map(len, labels)) > 12
    axes.set_xticks(
        x, [_short(v) for v in labels], rotation=30 if rotate else 0, ha="right" if rotate else "center", fontsize=8
    )
    axes.set_ylim(0, 105)
    axes.set_ylabel("accuracy (%)")
    axes.set_title(f"accuracy per {name}")
    axes.legend(fontsize=8)
    return _save(figure, out_dir / f"factor_{_safe_name(name)}.png")


def _plot_probe_changes(probes: Mapping[str, Mapping[str, Any]], out_dir: Path) -> str:
    names = list(probes)
    x = np.arange(len(names))
    figure = Figure(figsize=(max(5.0, 0.9 * len(names) + 2), 3.6))
    axes = figure.add_subplot()
    for offset, kind, color in ((-0.2, "known", KNOWN_COLOR), (0.2, "unknown", UNKNOWN_COLOR)):
        axes.bar(
            x + offset, [100 * probes[n]["change"][f"{kind}_accuracy"] for n in names], 0.4, color=color, label=kind
        )
    axes.axhline(0, color="black", linewidth=0.8)
    axes.set_xticks(x, names, rotation=20, ha="right")
    axes.set_ylabel("accuracy change vs plain (points)")
    axes.set_title("what each probe does to accuracy")
    axes.legend(fontsize=8)
    return _save(figure, out_dir / "probe_changes.png")


def _plot_confusion(kind: str, matrix: list[list[int]], class_names: list[str], out_dir: Path) -> str:
    counts = np.asarray(matrix, dtype=np.float64)
    totals = counts.sum(axis=1, keepdims=True)
    # Row-normalised: each true class's spread over predictions, comparable between large and small classes.
    rates = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    size = max(4.0, 0.35 * len(class_names) + 2)
    figure = Figure(figsize=(size + 1, size))
    axes = figure.add_subplot()
    image = axes.imshow(rates, cmap="viridis", vmin=0, vmax=1)
    ticks = np.arange(len(class_names))
    axes.set_xticks(ticks, class_names, rotation=90, fontsize=7)
    axes.set_yticks(ticks, class_names, fontsize=7)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    axes.set_title(f"{kind} confusion (row-normalised)")
    figure.colorbar(image, ax=axes, fraction=0.046)
    return _save(figure, out_dir / f"confusion_{kind}.png")


def _summary_lines(diagnosis: Mapping[str, Any]) -> list[str]:
    plain = diagnosis["plain"]
    about = [
        f"- **{key}**: `{diagnosis[key]}`" for key in ("model", "dataset", "config", "direction") if key in diagnosis
    ]
    rows = [
        [
            _percent(plain["known_accuracy"]),
            _percent(plain["unknown_accuracy"]),
            _percent(plain["absolute_drop"]),
            _percent(plain["harmonic_mean"]),
            str(plain["num_known"]),
            str(plain["num_unknown"]),
        ]
    ]
    return [
        *about,
        "",
        "## Unmodified input",
        "",
        *_table(["known %", "unknown %", "drop (points)", "harmonic mean %", "known videos", "unknown videos"], rows),
    ]


def _probe_lines(diagnosis: Mapping[str, Any], plot: str | None) -> list[str]:
    probes = diagnosis["probes"]
    if not probes:
        return []
    rows = [
        [
            f"`{name}`",
            probe["description"],
            _percent(probe["scores"]["known_accuracy"]),
            _percent(probe["scores"]["unknown_accuracy"]),
            _signed(probe["change"]["known_accuracy"]),
            _signed(probe["change"]["unknown_accuracy"]),
        ]
        for name, probe in probes.items()
    ]
    lines = [
        "",
        "## Temporal probes",
        "",
        "The same videos under input transformations; the change is in percentage points from the unmodified input. "
        "A model that uses motion loses accuracy under `shuffle`, `reverse` and `static`; one that leans on "
        "appearance barely moves.",
        "",
        *_table(["probe", "what it does", "known %", "unknown %", "known change", "unknown change"], rows),
    ]
    return lines + (["", f"![probe changes]({plot})"] if plot else [])


def _pair_lines(diagnosis: Mapping[str, Any]) -> list[str]:
    plain = diagnosis["opposite_pairs"]
    if not plain:
        return []
    reverse = diagnosis["probes"].get("reverse", {}).get("pair_confusion")
    header = ["pair", "videos", "confused (plain) %"] + (["confused (reversed) %"] if reverse else [])
    rows = []
    for k, row in enumerate(plain):
        cells = [" / ".join(row["names"]), str(row["num_a"] + row["num_b"]), _percent(row["confusion"], "no videos")]
        if reverse:
            cells.append(_percent(reverse[k]["confusion"], "no videos"))
        rows.append(cells)
    return [
        "",
        "## Opposite pairs",
        "",
        "Each pair's motions are each other played backwards. Confusion = share of the pair's videos predicted as "
        "the other class; a model that reads the direction of time is rarely confused on plain clips and often on "
        "reversed ones.",
        "",
        *_table(header, rows),
    ]


def _factor_lines(per_group: Mapping[str, Mapping[str, Any]], plots: Mapping[str, str]) -> list[str]:
    if not per_group:
        return []
    lines = [
        "",
        "## Per factor",
        "",
        "Known / unknown accuracy of the videos with each value alone. A value with no known or no unknown videos "
        "has no accuracy there (not 0).",
    ]
    for name, values in per_group.items():
        rows = [
            [
                f"`{value}`",
                _percent(values[value]["known_accuracy"], "no known examples"),
                _percent(values[value]["unknown_accuracy"], "no unknown examples"),
                _signed(values[value]["absolute_drop"]) if values[value]["absolute_drop"] is not None else "n/a",
                str(values[value]["num_known"]),
                str(values[value]["num_unknown"]),
            ]
            for value in sorted(values, key=_value_order)
        ]
        lines += ["", f"### {name}", ""]
        lines += _table([name, "known %", "unknown %", "drop (points)", "known videos", "unknown videos"], rows)
        lines += ["", f"![accuracy per {name}]({plots[name]})"]
    return lines


def _fall_lines(diagnosis: Mapping[str, Any], confusion_plots: Mapping[str, str]) -> list[str]:
    rows = [
        [f["name"], _percent(f["known_accuracy"]), _percent(f["unknown_accuracy"]), _signed(-f["fall"])]
        for f in diagnosis["largest_unknown_falls"]
    ]
    lines = ["", "## Classes that transfer worst", ""]
    lines += _table(["class", "known %", "unknown %", "change (points)"], rows) if rows else ["(no class to rank)"]
    lines += ["", "## Confusion matrices", ""]
    return lines + [f"![{kind} confusion]({plot})" for kind, plot in confusion_plots.items()]


def render_report(diagnosis: Mapping[str, Any] | str | os.PathLike, out_dir: str | os.PathLike) -> Path:
    """Write ``report.md``, ``diagnosis.json`` and the PNG plots of a diagnosis into ``out_dir``; returns the report.

    Args:
        diagnosis: the record of :func:`mt_models.diagnosis.diagnostics.build_diagnosis`, or a path to its
            ``diagnosis.json``.
        out_dir: the report directory (created).
    """
    if not isinstance(diagnosis, Mapping):
        diagnosis = read_diagnosis(diagnosis)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_diagnosis(diagnosis, out_dir)
    per_group = diagnosis["plain"].get("per_group", {})
    factor_plots = {name: _plot_factor(name, values, out_dir) for name, values in per_group.items()}
    probe_plot = _plot_probe_changes(diagnosis["probes"], out_dir) if diagnosis["probes"] else None
    confusion_plots = {
        kind: _plot_confusion(kind, matrix, diagnosis["class_names"], out_dir)
        for kind, matrix in diagnosis["confusion_matrices"].items()
    }
    lines = [
        "# What the model relies on",
        "",
        *_summary_lines(diagnosis),
        *_probe_lines(diagnosis, probe_plot),
        *_pair_lines(diagnosis),
        *_factor_lines(per_group, factor_plots),
        *_fall_lines(diagnosis, confusion_plots),
        "",
        f"Made by motion-transfer {diagnosis.get('package_version', '?')} from `{Path('diagnosis.json')}`.",
        "",
    ]
    path = out_dir / REPORT_FILENAME
    path.write_text("\n".join(lines))
    return path
