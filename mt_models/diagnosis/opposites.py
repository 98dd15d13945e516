"""Syn-TA's opposite coarse classes (each the other's motion played backwards) and how often a model confuses them.

A model blind to the order of frames cannot tell "appearing" from "disappearing": its confusion of such a pair is low
on plain clips only if it reads the direction of time, and rises when the clips are reversed (the ``reverse`` probe of
:mod:`mt_models.diagnosis.probes`). :mod:`mt_models.diagnosis.diagnostics` reports both.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mt_datasets.taxonomy import Taxonomy

__all__ = ["OPPOSITE_PAIRS", "opposite_pairs", "pair_confusion"]

# Syn-TA coarse classes that are each other's motion played backwards: a model blind to the order of frames
# cannot tell them apart.
OPPOSITE_PAIRS: tuple[tuple[str, str], ...] = (
    ("appearing", "disappearing"),
    ("rising", "falling"),
    ("arriving", "departing"),
    ("expanding", "shrinking"),
    ("merging", "cloning"),
)


def opposite_pairs(taxonomy: Taxonomy) -> list[tuple[int, int]]:
    """The coarse indices of :data:`OPPOSITE_PAIRS` in ``taxonomy`` (empty for datasets without those classes)."""
    names = set(taxonomy.coarse_names)
    return [
        (taxonomy.coarse_index(a), taxonomy.coarse_index(b)) for a, b in OPPOSITE_PAIRS if a in names and b in names
    ]


def pair_confusion(
    predictions: Sequence[int] | np.ndarray,
    references: Sequence[int] | np.ndarray,
    pairs: Sequence[tuple[int, int]],
    class_names: Sequence[str] | None = None,
) -> list[dict]:
    """How often each class of an opposite pair is taken for the other.

    For each pair ``(a, b)``: ``a_as_b`` / ``b_as_a`` (counts of videos of one predicted as the other), ``num_a`` /
    ``num_b`` (videos of each), and ``confusion`` = ``(a_as_b + b_as_a) / (num_a + num_b)``, ``None`` when neither
    class has videos (not 0: nothing was measured). A model that reads the direction of time has a low confusion on
    plain clips and a high one on reversed clips.

    >>> row = pair_confusion(predictions=[1, 1, 0, 2], references=[0, 1, 1, 2], pairs=[(0, 1)])[0]
    >>> row["a_as_b"], row["b_as_a"], row["confusion"]
    (1, 1, 0.6666666666666666)
    """
    predictions = np.asarray(predictions, dtype=np.int64)
    references = np.asarray(references, dtype=np.int64)
    if predictions.shape != references.shape:
        raise ValueError(f"predictions {predictions.shape} and references {references.shape} differ in shape")
    rows = []
    for a, b in pairs:
        of_a, of_b = references == a, references == b
        a_as_b, b_as_a = int(np.sum(predictions[of_a] == b)), int(np.sum(predictions[of_b] == a))
        total = int(of_a.sum() + of_b.sum())
        row = {"pair": [a, b], "a_as_b": a_as_b, "b_as_a": b_as_a, "num_a": int(of_a.sum()), "num_b": int(of_b.sum())}
        if class_names is not None:
            row["names"] = [class_names[a], class_names[b]]
        row["confusion"] = (a_as_b + b_as_a) / total if total else None
        rows.append(row)
    return rows
