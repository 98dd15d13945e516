"""Coarse/fine class tables of Syn-TA, K400-TA and SSv2-TA, and the release's split lists.

The tables are package data copied from the public release of "Punching Bag vs. Punching Person: Motion
Transferability in Videos" (Abdullah et al., ICCV 2025, arXiv 2508.00085; github.com/raiyaan-abdullah/Motion-Transfer).
See ``mt_datasets/data/paper/PROVENANCE.md`` for the file-by-file origin.

Every dataset splits the fine variants of each coarse action into two disjoint sets. The protocol trains on the
train videos of set X, tests on the val videos of set X ("known": seen variants, unseen videos) and of set Y
("unknown": unseen variants of the same coarse actions), then swaps X and Y (see ``mt_datasets.protocol``).

>>> t = get_taxonomy("syn-ta")
>>> len(t.coarse_names), t.num_fine_per_set
(20, (53, 47))
>>> t.coarse_names[t.fine_to_coarse[t.fine_index("Single object arriving")]]
'arriving'
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from mt_datasets.errors import did_you_mean  # re-exported: the name's old home
from mt_datasets.protocol import FINE_SETS, SPLITS, other_set  # re-exported: the protocol's old home

__all__ = [
    "DATASET_NAMES",
    "FINE_SETS",
    "SPLITS",
    "Taxonomy",
    "get_taxonomy",
    "other_set",
    "did_you_mean",
]

DATASET_NAMES = ("syn-ta", "k400-ta", "ssv2-ta")

# Syn-TA release: clip ids 1-30 of each fine class (regular and front view) are train, 31-50 are val.
SYNTA_TRAIN_IDS = range(1, 31)
SYNTA_VAL_IDS = range(31, 51)
SYNTA_VIEWS = ("regular", "front")

# K400-TA names two fine classes differently from Kinetics-400 itself.
# The Syn-TA naming scheme spells one fine class "orbitting"; the label files (the label space) spell it "orbiting".
_SYNTA_SCHEME_SPELLING = {"orbitting": "orbiting"}

K400_TA_TO_KINETICS = {
    "drinking water or soft drinks": "drinking",
    "smoking cigarette or short object": "smoking",
}


@dataclass(frozen=True)
class Taxonomy:
    """The class tables of one dataset.

    Attributes:
        name: dataset name (``"syn-ta"``, ``"k400-ta"`` or ``"ssv2-ta"``).
        coarse_names: coarse class names; index = coarse label.
        fine_names: every fine class name of the dataset, set 1 first, then set 2; index = fine label.
        fine_to_coarse: coarse index of each fine class.
        fine_set: 1 or 2 for each fine class.
        intra_class_number: Syn-TA only, the release's number of each fine class within its coarse class.
    """

    name: str
    coarse_names: tuple[str, ...]
    fine_names: tuple[str, ...]
    fine_to_coarse: tuple[int, ...]
    fine_set: tuple[int, ...]
    intra_class_number: tuple[int, ...] = ()
    _fine_lookup: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        n = len(self.fine_names)
        if not (len(self.fine_to_coarse) == len(self.fine_set) == n):
            raise ValueError(f"{self.name}: fine tables have mismatched lengths")
        if len(set(self.fine_names)) != n:
            raise ValueError(f"{self.name}: duplicate fine class names")
        self._fine_lookup.update({f: i for i, f in enumerate(self.fine_names)})

    @property
    def num_coarse(self) -> int:
        """Number of coarse classes."""
        return len(self.coarse_names)

    @property
    def num_fine_per_set(self) -> tuple[int, int]:
        """Number of fine classes in set 1 and in set 2."""
        return (self.fine_set.count(1), self.fine_set.count(2))

    def fine_indices(self, fine_set: int) -> list[int]:
        """Dataset-level fine indices of the classes of ``fine_set`` (1 or 2), in the release's order."""
        other_set(fine_set)  # validates
        return [i for i, s in enumerate(self.fine_set) if s == fine_set]

    def fine_names_of_set(self, fine_set: int) -> list[str]:
        """Fine class names of ``fine_set``; the position in this list is the release's per-set fine label."""
        return [self.fine_names[i] for i in self.fine_indices(fine_set)]

    def fine_index(self, name: str) -> int:
        """Dataset-level fine index of a fine class name; an unknown name raises ``KeyError`` with suggestions."""
        try:
            return self._fine_lookup[name]
        except KeyError:
            raise KeyError(did_you_mean(name, self.fine_names, f"{self.name} fine class")) from None

    def coarse_index(self, name: str) -> int:
        """Coarse index of a coarse class name; an unknown name raises ``KeyError`` with suggestions."""
        try:
            return self.coarse_names.index(name)
        except ValueError:
            raise KeyError(did_you_mean(name, self.coarse_names, f"{self.name} coarse class")) from None

    def fine_classes_of(self, coarse: int) -> list[int]:
        """Fine indices of one coarse class (both sets)."""
        return [i for i, c in enumerate(self.fine_to_coarse) if c == coarse]

    # ---- Syn-TA release naming -------------------------------------------------------------------------------
    def folder(self, coarse: int) -> str:
        """Syn-TA release folder of a coarse class (``"changing color"`` -> ``"changing_color"``)."""
        return self.coarse_names[coarse].replace(" ", "_")

    def file_stem(self, fine: int) -> str:
        """Syn-TA release file stem of a fine class, e.g. ``"orbiting5"``."""
        self._require_synta("file_stem")
        return f"{self.folder(self.fine_to_coarse[fine])}{self.intra_class_number[fine]}"

    def release_path(self, fine: int, clip_id: int, view: str) -> str:
        """Release path ``<folder>/<stem>[_front]_id_<k>.mp4`` of one Syn-TA clip."""
        self._require_synta("release_path")
        if view not in SYNTA_VIEWS:
            raise ValueError(did_you_mean(view, SYNTA_VIEWS, "view"))
        suffix = "_front" if view == "front" else ""
        return f"{self.folder(self.fine_to_coarse[fine])}/{self.file_stem(fine)}{suffix}_id_{clip_id}.mp4"

    def split_of_clip_id(self, clip_id: int) -> str:
        """Syn-TA release split of a clip id: 1-30 train, 31-50 val."""
        if clip_id in SYNTA_TRAIN_IDS:
            return "train"
        if clip_id in SYNTA_VAL_IDS:
            return "val"
        raise ValueError(f"Syn-TA release clip ids run from 1 to 50, got {clip_id}")

    def split_list(self, level: str, split: str, fine_set: int) -> list[str]:
        """The release's split list ``<folder>/<file>.mp4 <label>``, one entry per clip, in the release's order.

        Args:
            level: ``"coarse"`` (label = coarse index) or ``"fine"`` (label = fine index within ``fine_set``).
            split: ``"train"`` (clip ids 1-30) or ``"val"`` (31-50).
            fine_set: 1 or 2.

        ``"\\n".join(t.split_list("coarse", "train", 1))`` equals the release's ``train_set1_coarse.txt``.
        """
        self._require_synta("split_list")
        if level not in ("coarse", "fine"):
            raise ValueError(did_you_mean(level, ("coarse", "fine"), "level"))
        if split not in SPLITS:
            raise ValueError(did_you_mean(split, SPLITS, "split"))
        ids = SYNTA_TRAIN_IDS if split == "train" else SYNTA_VAL_IDS
        lines = []
        for label_in_set, fine in enumerate(self.fine_indices(fine_set)):
            label = self.fine_to_coarse[fine] if level == "coarse" else label_in_set
            for clip_id in ids:
                for view in SYNTA_VIEWS:
                    lines.append(f"{self.release_path(fine, clip_id, view)} {label}")
        return lines

    def _require_synta(self, what: str) -> None:
        if not self.intra_class_number:
            raise ValueError(f"{what} exists for Syn-TA only, not {self.name!r}")

    # ---- Kinetics naming ------------------------------------------------------------------------------------
    def source_name(self, fine: int) -> str:
        """The fine class's name in the source dataset (Kinetics-400 for K400-TA; otherwise the name itself)."""
        name = self.fine_names[fine]
        return K400_TA_TO_KINETICS.get(name, name) if self.name == "k400-ta" else name


def _read_csv(relative: str) -> list[dict[str, str]]:
    path = resources.files("mt_datasets") / "data" / "paper" / relative
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _names(relative: str) -> list[str]:
    rows = _read_csv(relative)
    if [int(r["id"]) for r in rows] != list(range(len(rows))):
        raise ValueError(f"{relative}: ids are not 0..{len(rows) - 1} in order")
    return [r["name"].strip() for r in rows]


def _fix_scheme_spelling(name: str) -> str:
    for wrong, right in _SYNTA_SCHEME_SPELLING.items():
        name = name.replace(wrong, right)
    return name


def _synta() -> Taxonomy:
    coarse = _names("labels/synthetic_motion_head_labels.csv")
    scheme = _read_csv("labels/synta_naming_scheme.csv")
    by_name = {_fix_scheme_spelling(r["Fine Class"]): r for r in scheme}
    fine, to_coarse, sets, numbers = [], [], [], []
    for fine_set in FINE_SETS:
        for name in _names(f"labels/synta_set{fine_set}_labels.csv"):
            row = by_name[name]
            if int(row["Set"]) != fine_set:
                raise ValueError(f"Syn-TA naming scheme puts {name!r} in set {row['Set']}, labels in set {fine_set}")
            fine.append(name)
            to_coarse.append(int(row["Coarse class id"]))
            sets.append(fine_set)
            numbers.append(int(row["Intra class no."]))
    return Taxonomy("syn-ta", tuple(coarse), tuple(fine), tuple(to_coarse), tuple(sets), tuple(numbers))


def _from_mapping(name: str, dataset_column: str, coarse_file: str, set_files: tuple[str, str]) -> Taxonomy:
    coarse = _names(coarse_file)
    mapping = {
        (int(r["set"]), int(r["fine_id_in_set"])): r
        for r in _read_csv("derived/coarse_to_fine_mapping_K400TA_SSv2TA.csv")
        if r["dataset"] == dataset_column
    }
    fine, to_coarse, sets = [], [], []
    for fine_set, set_file in zip(FINE_SETS, set_files, strict=True):
        for i, fine_name in enumerate(_names(set_file)):
            row = mapping[(fine_set, i)]
            if row["fine_class"].strip() != fine_name or coarse[int(row["coarse_id"])] != row["coarse_class"].strip():
                raise ValueError(f"{name}: mapping row {row} disagrees with {set_file}")
            fine.append(fine_name)
            to_coarse.append(int(row["coarse_id"]))
            sets.append(fine_set)
    return Taxonomy(name, tuple(coarse), tuple(fine), tuple(to_coarse), tuple(sets))


def get_taxonomy(name: str) -> Taxonomy:
    """The class tables of ``"syn-ta"``, ``"k400-ta"`` or ``"ssv2-ta"`` (case and ``_`` / ``-`` insensitive)."""
    key = str(name).lower().replace("_", "-")
    return _load_taxonomy(key, key if key in DATASET_NAMES else str(name))


@cache
def _load_taxonomy(key: str, name: str) -> Taxonomy:
    if key == "syn-ta":
        return _synta()
    if key == "k400-ta":
        return _from_mapping(
            key,
            "K400-TA",
            "labels/k400_ta_coarse_labels.csv",
            ("labels/kinetics_400_205_set1_labels.csv", "labels/k400_ta_set2_labels.csv"),
        )
    if key == "ssv2-ta":
        return _from_mapping(
            key,
            "SSv2-TA",
            "labels/ssv2_coarse_labels.csv",
            ("labels/ssv2_149_set1_labels_distribution3.csv", "labels/ssv2_set2_labels.csv"),
        )
    raise ValueError(did_you_mean(name, DATASET_NAMES, "dataset name"))
