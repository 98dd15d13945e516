"""The paper's observations, checked on a protocol table: what ``examples/demo.py`` writes to ``findings.md``.

Rows are keyed ``(protocol, modality, head)`` (Syn-TA's appearance protocol, the input modality, the classifier head)
and hold percent scores with bootstrap intervals (``*_ci_low`` / ``*_ci_high``), as
``examples/run_protocol.py``'s table makes them. Each observation is judged by a paired statistic, never by whether
two separate intervals overlap:

1. known above unknown: the row's own bootstrap interval of the drop K - U (both scored on each resample);
2. the drop larger under ``paper`` than under ``motion-only``: the paired interval of the difference of the two drops,
   the coarse classes resampled jointly for both appearance splits (they share classes, not videos); and whether a
   model that sees RGB loses more from the appearance shift than a motion-only one: the interval of the difference of
   those differences, the classes resampled jointly for all four rows;
3. a head above the baseline in unknown accuracy: the paired interval of the difference on the same videos.

The paired statistics come from a :class:`mt_models.experiments.protocol.PairedComparisons` over the rows' evaluations;
without one, observations 2 and 3 are judged by the point estimates alone, and the text says so.
"""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["PairedSource", "findings", "row_name"]


class PairedSource(Protocol):
    """What :func:`findings` asks for paired statistics (:class:`mt_models.experiments.protocol.PairedComparisons` is
    one)."""

    def difference(self, first: Any, second: Any, statistic: str) -> dict[str, Any]: ...

    def contrast(self, keys: list[Any], weights: list[float], statistic: str) -> dict[str, Any]: ...


def _paired_verdict(result: dict[str, Any] | None, point: float) -> str:
    """``holds`` / ``does not hold`` for a difference that should be positive, with its paired interval in percent."""
    if result is None:
        return ("holds by the point estimates (no paired interval computed)" if point > 0
                else "does not hold (point estimates; no paired interval computed)")  # fmt: skip
    difference, (low, high) = 100 * result["difference"], (100 * result["interval"][0], 100 * result["interval"][1])
    stated = f"difference {difference:+.1f}, paired 95% interval [{low:+.1f}, {high:+.1f}]"
    if difference <= 0:
        return f"does not hold ({stated})"
    if low > 0:
        return f"holds ({stated}, excludes 0)"
    return f"holds by the point estimate only ({stated}, includes 0)"


def row_name(key: tuple[str, ...]) -> str:
    """A table row's name: ``("paper", "fg+diff", "baseline")`` -> ``"paper / fg+diff / baseline"``."""
    return " / ".join(key)


def findings(
    rows: dict[tuple[str, str, str], dict[str, Any]],
    chance: float,
    per_class: dict[str, dict[str, tuple[float | None, float | None]]] | None = None,
    probes: dict[str, dict[str, float]] | None = None,
    per_direction: dict[str, dict[str, float]] | None = None,
    paired: PairedSource | None = None,
) -> list[str]:
    """The paper's observations, checked on our rows (percent scores, keyed by (protocol, modality, head)).

    Args:
        rows: table rows with bootstrap intervals.
        chance: the accuracy of guessing (100 / number of coarse classes). A row whose known-accuracy interval
            reaches twice that has learned too little motion for its drops to say much, and the lines say so.
        per_class: ``{protocol: {coarse class: (known %, unknown %)}}`` of one model, for the per-class lines.
        probes: ``{input: {"known_accuracy": %, "unknown_accuracy": %}}`` of one model, plain and under each probe.
        per_direction: ``{row name: {direction: known %}}``, to show that each row learned in both directions.
        paired: the paired statistics between rows (see the module docstring).
    """
    protocols = list(dict.fromkeys(key[0] for key in rows))
    modalities = list(dict.fromkeys(key[1] for key in rows))
    heads = list(dict.fromkeys(key[2] for key in rows))
    lines = _preamble(rows, chance, per_direction)
    lines += _observation_1_unknown_below_known(rows)
    lines += _observation_2_drop_grows_with_appearance(rows, protocols, modalities, heads, paired)
    lines += _observation_3_disentangling_helps(rows, protocols, modalities, heads, paired)
    if per_class:
        lines += _observation_4_which_motions_transfer(per_class)
    if probes:
        lines += _observation_5_uses_motion(probes)
    return lines


def _preamble(
    rows: dict[tuple[str, str, str], dict[str, Any]], chance: float, per_direction: dict[str, dict[str, float]] | None
) -> list[str]:
    """The title, what the scores are, a caution for rows near chance, the known accuracy per direction."""
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
    return lines


def _observation_1_unknown_below_known(rows: dict[tuple[str, str, str], dict[str, Any]]) -> list[str]:
    """Each row's drop from known to unknown accuracy, with its bootstrap interval."""
    lines = ["1. Unknown accuracy falls below known accuracy:"]
    for key, row in rows.items():
        drop, low, high = row["absolute_drop"], row.get("absolute_drop_ci_low"), row.get("absolute_drop_ci_high")
        if drop <= 0:
            verdict = "does not hold"
        elif low is None:
            verdict = "holds by the point estimates (no interval computed)"
        else:
            verdict = f"holds (drop {drop:.1f}, 95% interval [{low:.1f}, {high:.1f}]" + (
                ", excludes 0)" if low > 0 else ", includes 0: not significant)"
            )
        lines.append(f"   - {row_name(key)}: K {row['known_accuracy']:.1f} vs U {row['unknown_accuracy']:.1f}: "
                     f"{verdict}")  # fmt: skip
    return lines


def _observation_2_drop_grows_with_appearance(
    rows: dict[tuple[str, str, str], dict[str, Any]],
    protocols: list[str],
    modalities: list[str],
    heads: list[str],
    paired: PairedSource | None,
) -> list[str]:
    """The drop under ``paper`` against ``motion-only`` per modality and head, then whether it grows more for a model
    that sees appearance than for one that sees only motion (a paired contrast)."""
    lines = ["2. The drop is larger under `paper` (motion and appearance change) than under `motion-only`:"]
    if not {"paper", "motion-only"} <= set(protocols):
        return lines + ["   - not measured (needs both protocols)"]
    increases = {}
    for modality in modalities:
        for head in heads:
            if ("paper", modality, head) not in rows or ("motion-only", modality, head) not in rows:
                continue
            paper, motion = rows[("paper", modality, head)], rows[("motion-only", modality, head)]
            increases[(modality, head)] = paper["absolute_drop"] - motion["absolute_drop"]
            result = paired and paired.difference(
                ("paper", modality, head), ("motion-only", modality, head), "absolute_drop"
            )
            lines.append(f"   - {modality} / {head}: D_abs {paper['absolute_drop']:.1f} vs "
                         f"{motion['absolute_drop']:.1f}: "
                         f"{_paired_verdict(result, increases[(modality, head)])}")  # fmt: skip
    sees_rgb = [m for m in modalities if "rgb" in m.split("+")]
    motion_only = [m for m in modalities if "rgb" not in m.split("+")]
    compared = [h for h in heads if all((m, h) in increases for m in sees_rgb + motion_only)]
    if not (sees_rgb and motion_only and compared):
        return lines + ["   - appearance use not measured: run an RGB modality beside a motion-only one "
                        "(`--compare_modalities rgb+fg+diff`)"]  # fmt: skip
    for head in compared:
        rgb, motion = sees_rgb[0], motion_only[0]
        with_rgb, without = increases[(rgb, head)], increases[(motion, head)]
        keys = [(p, m, head) for m in (rgb, motion) for p in ("paper", "motion-only")]
        result = paired and paired.contrast(keys, [1.0, -1.0, -1.0, 1.0], "absolute_drop")
        lines.append(
            f"   - a model that sees appearance ({rgb}) loses more when appearance shifts than one that sees "
            f"only motion ({motion}), {head} head: the drop grows by {with_rgb:.1f} vs {without:.1f} points: "
            f"{_paired_verdict(result, with_rgb - without)}"
        )
    return lines


def _observation_3_disentangling_helps(
    rows: dict[tuple[str, str, str], dict[str, Any]],
    protocols: list[str],
    modalities: list[str],
    heads: list[str],
    paired: PairedSource | None,
) -> list[str]:
    """Each head's unknown accuracy against the baseline's on the same protocol and modality (paired)."""
    lines = ["3. Disentangling raises unknown accuracy over the baseline:"]
    others = [head for head in heads if head != "baseline"]
    if "baseline" not in heads or not others:
        return lines + ["   - not measured (needs the baseline and another head: `--heads baseline disentangled`)"]
    for head in others:
        for protocol in protocols:
            for modality in modalities:
                if (protocol, modality, head) not in rows or (protocol, modality, "baseline") not in rows:
                    continue
                ours, base = rows[(protocol, modality, head)], rows[(protocol, modality, "baseline")]
                result = paired and paired.difference(
                    (protocol, modality, head), (protocol, modality, "baseline"), "unknown_accuracy"
                )
                point = ours["unknown_accuracy"] - base["unknown_accuracy"]
                lines.append(f"   - {protocol} / {modality} / {head}: U {ours['unknown_accuracy']:.1f} vs "
                             f"{base['unknown_accuracy']:.1f}: {_paired_verdict(result, point)}")  # fmt: skip
    return lines


def _observation_4_which_motions_transfer(
    per_class: dict[str, dict[str, tuple[float | None, float | None]]],
) -> list[str]:
    """The coarse classes that transfer best and worst (unknown / known accuracy), per protocol."""
    lines = ["4. Which motions transfer (per coarse class, first model; unknown / known accuracy):"]
    for protocol, classes in per_class.items():
        ratios = {
            name: (unknown / known if known else 0.0)
            for name, (known, unknown) in classes.items()
            if known is not None and unknown is not None
        }
        ordered = sorted(ratios, key=ratios.get, reverse=True)
        # Up to four each way, never more than half: with few classes no class is both best and worst.
        shown = min(4, len(ordered) // 2)
        if not shown:
            lines.append(f"   - {protocol}: too few classes with known and unknown videos to rank")
            continue
        best = ", ".join(f"{n} ({classes[n][1]:.0f}/{classes[n][0]:.0f})" for n in ordered[:shown])
        worst = ", ".join(f"{n} ({classes[n][1]:.0f}/{classes[n][0]:.0f})" for n in ordered[-shown:][::-1])
        lines.append(f"   - {protocol}: transfer best: {best}; worst: {worst}")
    return lines


def _observation_5_uses_motion(probes: dict[str, dict[str, float]]) -> list[str]:
    """The first model's accuracy plain and under each temporal probe, and whether a probe halves it."""
    plain = probes["plain"]
    lines = ["5. Does the model use motion? Accuracy of the first model under the temporal probes:"]
    for name, scores in probes.items():
        lines.append(f"   - {name}: K {scores['known_accuracy']:.1f}, U {scores['unknown_accuracy']:.1f}")
    fallen = [n for n, sc in probes.items() if n != "plain" and sc["known_accuracy"] < plain["known_accuracy"] / 2]
    if fallen:
        lines.append(f"   - it uses motion: known accuracy falls by half or more under {', '.join(fallen)}")
    else:
        lines.append("   - no probe halves its known accuracy: the model may rely on single frames")
    return lines
