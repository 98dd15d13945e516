"""The paper's observations, checked on a protocol table: what ``examples/demo.py`` writes to ``findings.md``.

Rows are keyed ``(protocol, modality, head)`` (Syn-TA's appearance protocol, the input modality, the classifier head)
and hold percent scores with bootstrap intervals (``*_ci_low`` / ``*_ci_high``), as
``examples/run_protocol.py``'s table makes them. Each observation is judged by the point estimates and by whether the
intervals are apart, and the text says which.
"""

from __future__ import annotations

from typing import Any

__all__ = ["findings", "row_name"]


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


def row_name(key: tuple[str, ...]) -> str:
    """A table row's name: ``("paper", "fg+diff", "baseline")`` -> ``"paper / fg+diff / baseline"``."""
    return " / ".join(key)


def findings(
    rows: dict[tuple[str, str, str], dict[str, Any]],
    chance: float,
    per_class: dict[str, dict[str, tuple[float | None, float | None]]] | None = None,
    probes: dict[str, dict[str, float]] | None = None,
    per_direction: dict[str, dict[str, float]] | None = None,
) -> list[str]:
    """The paper's observations, checked on our rows (percent scores, keyed by (protocol, modality, head)).

    Args:
        rows: table rows with bootstrap intervals.
        chance: the accuracy of guessing (100 / number of coarse classes). A row whose known-accuracy interval
            reaches twice that has learned too little motion for its drops to say much, and the lines say so.
        per_class: ``{protocol: {coarse class: (known %, unknown %)}}`` of one model, for the per-class lines.
        probes: ``{input: {"known_accuracy": %, "unknown_accuracy": %}}`` of one model, plain and under each probe.
        per_direction: ``{row name: {direction: known %}}``, to show that each row learned in both directions.
    """
    protocols = list(dict.fromkeys(key[0] for key in rows))
    modalities = list(dict.fromkeys(key[1] for key in rows))
    heads = list(dict.fromkeys(key[2] for key in rows))
    lines = ["## Does the paper's finding hold on our generated Syn-TA?", ""]
    lines.append(f"Chance is {chance:.1f}% ({100 / chance:.0f} coarse classes). Scores are coarse accuracy in percent, "
                 "averaged over both directions and the seeds, with 95% bootstrap intervals.")  # fmt: skip
    lines.append("")
    near_chance = [row_name(key) for key, row in rows.items() if row.get("known_accuracy_ci_low", 0) <= 2 * chance]
    if near_chance:
        lines += [
            f"**Caution:** the known-accuracy interval of {', '.join(near_chance)} reaches twice chance: those models "
            "learned too little for the comparisons below to test the paper's observations. Train longer, on more "
            "clips, or start from a pretrained backbone.",
            "",
        ]
    if per_direction:
        lines.append("Known accuracy per direction (mean over seeds):")
        for name, directions in per_direction.items():
            lines.append(f"- {name}: " + ", ".join(f"{d} {value:.1f}" for d, value in directions.items()))
        lines.append("")
    lines.append("1. Unknown accuracy falls below known accuracy:")
    for key, row in rows.items():
        unknown_as_known = {
            "known_accuracy": row["unknown_accuracy"],
            "known_accuracy_ci_low": row.get("unknown_accuracy_ci_low"),
            "known_accuracy_ci_high": row.get("unknown_accuracy_ci_high"),
        }
        lines.append(f"   - {row_name(key)}: K {row['known_accuracy']:.1f} vs U {row['unknown_accuracy']:.1f}: "
                     f"{_compare(row, unknown_as_known, 'known_accuracy')}")  # fmt: skip
    lines.append("2. The drop is larger under `paper` (motion and appearance change) than under `motion-only`:")
    if {"paper", "motion-only"} <= set(protocols):
        increases = {}
        for modality in modalities:
            for head in heads:
                if ("paper", modality, head) not in rows or ("motion-only", modality, head) not in rows:
                    continue
                paper, motion = rows[("paper", modality, head)], rows[("motion-only", modality, head)]
                increases[(modality, head)] = paper["absolute_drop"] - motion["absolute_drop"]
                lines.append(f"   - {modality} / {head}: D_abs {paper['absolute_drop']:.1f} vs "
                             f"{motion['absolute_drop']:.1f}: {_compare(paper, motion, 'absolute_drop')}")  # fmt: skip
        sees_rgb = [m for m in modalities if "rgb" in m.split("+")]
        motion_only = [m for m in modalities if "rgb" not in m.split("+")]
        compared = [h for h in heads if all((m, h) in increases for m in sees_rgb + motion_only)]
        if sees_rgb and motion_only and compared:
            for head in compared:
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
                         "(`--compare_modalities rgb+fg+diff`)")  # fmt: skip
    else:
        lines.append("   - not measured (needs both protocols)")
    lines.append("3. Disentangling raises unknown accuracy over the baseline:")
    if {"baseline", "disentangled"} <= set(heads):
        for protocol in protocols:
            for modality in modalities:
                if (protocol, modality, "disentangled") not in rows or (protocol, modality, "baseline") not in rows:
                    continue
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
