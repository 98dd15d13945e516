"""The evaluation protocol in one place: fine sets, splits, dataset configs, directions and the shard groups they read.

Every dataset splits the fine variants of each coarse action into two disjoint fine sets. Config ``setX`` trains on
the train videos of set X and tests on the val videos of set X (``known``: seen variants, unseen videos) and of the
other set Y (``unknown``: unseen variants of the same coarse actions); the direction ``"setX->setY"`` names that run,
and the two directions are averaged.

>>> training_set_of("set2"), other_set(2), direction(2)
(2, 1, 'set2->set1')
>>> CONFIG_SPLITS["set1"]
{'train': 'set1-train', 'known': 'set1-val', 'unknown': 'set2-val'}
"""

from __future__ import annotations

from mt_datasets.errors import did_you_mean

__all__ = [
    "CONFIG_SPLITS",
    "FINE_SETS",
    "PROTOCOL_CONFIGS",
    "SPLITS",
    "TEST_SPLITS",
    "direction",
    "group_name",
    "other_set",
    "training_set_of",
]

FINE_SETS = (1, 2)
# The release's splits of every fine set; a dataset row's ``split`` is one of them.
SPLITS = ("train", "val")
# The two test splits of a protocol config: val videos of the trained fine set, and of the held-out one.
TEST_SPLITS = ("known", "unknown")

# The dataset configs of the protocol: config "setX" trains on fine set X (known) and holds out the other (unknown).
PROTOCOL_CONFIGS = {f"set{fine_set}": fine_set for fine_set in FINE_SETS}


def other_set(fine_set: int) -> int:
    """The held-out fine set of a training set: 1 -> 2, 2 -> 1."""
    if fine_set not in FINE_SETS:
        raise ValueError(f"fine_set must be 1 or 2, got {fine_set!r}")
    return 3 - fine_set


def training_set_of(config: str) -> int:
    """The fine set a protocol config trains on: ``"set1"`` -> 1, ``"set2"`` -> 2."""
    if config not in PROTOCOL_CONFIGS:
        raise ValueError(did_you_mean(config, list(PROTOCOL_CONFIGS), "protocol config"))
    return PROTOCOL_CONFIGS[config]


def direction(training_set: int) -> str:
    """The name of a protocol run in results records: ``"set1->set2"`` (trained on set 1, set 2 held out)."""
    return f"set{training_set}->set{other_set(training_set)}"


def group_name(fine_set: int, split: str) -> str:
    """The shard group of the rows of one fine set and split, ``"set1-train"``: the prefix of its Parquet files."""
    return f"set{fine_set}-{split}"


def _config_splits() -> dict[str, dict[str, str]]:
    splits = {}
    for config, trained in PROTOCOL_CONFIGS.items():
        splits[config] = {
            "train": group_name(trained, "train"),
            "known": group_name(trained, "val"),
            "unknown": group_name(other_set(trained), "val"),
        }
    # "all" is datasets' keyword for the union of a config's splits (load_dataset(..., "all", split="all")), so it
    # cannot name a split itself; config "all" has one split per group instead.
    splits["all"] = {
        group_name(fine_set, split).replace("-", "_"): group_name(fine_set, split)
        for fine_set in FINE_SETS
        for split in SPLITS
    }
    return splits


# config -> split -> (fine set, split) group whose shards it reads; the one place the protocol meets the file layout.
CONFIG_SPLITS: dict[str, dict[str, str]] = _config_splits()
