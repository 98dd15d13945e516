"""The on-disk layout of a dataset directory: file names, the format version, and reading it back.

    README.md                             YAML: configs set1 / set2 / all, dataset_info, licence; the card body
    data/set{S}-{split}-{NNNNN}.parquet   rows of fine set S (1 or 2) and split train / val (the "group" set{S}-{split})
    meta/info.json                        the typed info record (format version, dataset, features, the writer's info)
    meta/shards.json                      the manifest: committed shards, their size, sha256, rows and video ids

Configs never copy data: ``set1`` = {train: ``set1-train-*``, known: ``set1-val-*``, unknown: ``set2-val-*``},
``set2`` the reverse, ``all`` = one split per group. Until a build or generation finishes, README.md is the mark of an
unfinished directory (:func:`write_incomplete_card`). The one home of these names: the writer
(:mod:`mt_datasets.hub`), its cards (:mod:`mt_datasets.cards`), ``verify``, ``publish`` and the generator import them.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from mt_datasets.files import atomic_write_bytes
from mt_datasets.taxonomy import FINE_SETS, SPLITS, did_you_mean, other_set

__all__ = [
    "CONFIG_SPLITS",
    "DATA_DIR",
    "FORMAT_VERSION",
    "INCOMPLETE_HINT",
    "INCOMPLETE_MARKER",
    "INFO_FILE",
    "MANIFEST_FILE",
    "config_data_files",
    "dataset_counts",
    "group_name",
    "is_incomplete",
    "read_info",
    "read_manifest",
    "sha256_of",
    "write_incomplete_card",
]

FORMAT_VERSION = "1.0"
INFO_FILE = "meta/info.json"
MANIFEST_FILE = "meta/shards.json"
DATA_DIR = "data"
# The README of an unfinished directory: its configs point at a "file" whose name tells load_dataset users what to do
# (datasets answers "Unable to find '<that name>'"), and its body says the same.
INCOMPLETE_MARKER = "<!-- mt-datasets: incomplete -->"
INCOMPLETE_HINT = "INCOMPLETE - this build or generation did not finish - rerun the same command to resume"


def group_name(fine_set: int, split: str) -> str:
    """The shard group of a fine set and split, ``set{S}-{split}`` (shards ``data/set{S}-{split}-NNNNN.parquet``)."""
    return f"set{fine_set}-{split}"


def _config_splits() -> dict[str, dict[str, str]]:
    splits = {}
    for trained in FINE_SETS:
        held_out = other_set(trained)
        splits[f"set{trained}"] = {
            "train": group_name(trained, "train"),
            "known": group_name(trained, "val"),
            "unknown": group_name(held_out, "val"),
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


def config_data_files(config: str) -> dict[str, str]:
    """The ``data_files`` patterns of one config: split name -> glob relative to the dataset directory."""
    if config not in CONFIG_SPLITS:
        raise ValueError(did_you_mean(config, list(CONFIG_SPLITS), "config"))
    # The ".parquet" suffix keeps hidden "*.parquet.tmp" files of an interrupted write out of every config.
    return {split: f"{DATA_DIR}/{group}-*.parquet" for split, group in CONFIG_SPLITS[config].items()}


def read_info(out_dir: str | Path) -> dict[str, Any]:
    """The info record of a dataset directory (``meta/info.json``): ``format_version``, ``dataset``, ``features``,
    ``info`` (the writer's ``info`` argument)."""
    path = Path(out_dir) / INFO_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: {out_dir} is not a dataset directory written by HubDatasetWriter")
    return json.loads(path.read_text())


def read_manifest(out_dir: str | Path) -> dict[str, Any]:
    """The manifest of a dataset directory (``meta/shards.json``): ``format_version`` and ``shards``, one entry per
    committed shard (``file``, ``group``, ``num_rows``, ``num_bytes``, ``file_bytes``, ``sha256``, ``video_ids``); an
    empty one when there is none yet."""
    out_dir = Path(out_dir)
    path = out_dir / MANIFEST_FILE
    if not path.is_file():
        return {"format_version": FORMAT_VERSION, "shards": []}
    return json.loads(path.read_text())


def write_incomplete_card(out_dir: str | Path) -> None:
    """Mark ``out_dir`` as unfinished: a README whose configs make ``load_dataset`` fail with the hint to rerun the
    command, and whose text says so. :meth:`HubDatasetWriter.finalize` replaces it with the dataset's card."""
    configs = "".join(
        f'- config_name: {config}\n  data_files:\n  - split: train\n    path: "{INCOMPLETE_HINT}"\n'
        for config in CONFIG_SPLITS
    )
    body = (
        f"{INCOMPLETE_MARKER}\n# Incomplete dataset directory\n\n"
        "The command that writes this directory (`mt-datasets syn-ta generate`, `k400-ta build`, `ssv2-ta build` or "
        "`syn-ta convert`) did not finish: it was interrupted or failed. Rerun the same command to resume; the rows "
        "already written are kept. `meta/presence.md`, where present, says what a build found.\n"
    )
    atomic_write_bytes(Path(out_dir) / "README.md", f"---\nconfigs:\n{configs}---\n{body}".encode())


def is_incomplete(out_dir: str | Path) -> bool:
    """Whether ``out_dir``'s README is the mark of an unfinished build or generation."""
    readme = Path(out_dir) / "README.md"
    try:
        with open(readme, encoding="utf-8") as handle:
            return INCOMPLETE_MARKER in handle.read(4096)
    except (OSError, UnicodeDecodeError):
        return False


def sha256_of(path: str | Path) -> str:
    """The sha256 hex digest of a file (as recorded per shard in ``meta/shards.json``), read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(2**20), b""):
            digest.update(block)
    return digest.hexdigest()


def dataset_counts(out_dir: str | Path) -> dict[str, Any]:
    """Row counts of a dataset directory, from its committed shards.

    Returns ``{"num_rows": int, "groups": {"set1-train": n, "set1-val": n, "set2-train": n, "set2-val": n},
    "configs": {config: {split: n}} (as loaded: set1 / set2 train, known, unknown; all set1_train ... set2_val),
    "coarse": {coarse name: {group: n}}, "fine": {fine name: {"train": n, "val": n}}}``; every class of the dataset's
    taxonomy is listed, with zeros where it has no rows.
    """
    import pyarrow.parquet as pq

    from mt_datasets.taxonomy import get_taxonomy

    out_dir = Path(out_dir)
    taxonomy = get_taxonomy(read_info(out_dir)["dataset"])
    groups = {group_name(s, split): 0 for s in FINE_SETS for split in SPLITS}
    coarse = {name: dict.fromkeys(groups, 0) for name in taxonomy.coarse_names}
    fine = {name: dict.fromkeys(SPLITS, 0) for name in taxonomy.fine_names}
    for entry in read_manifest(out_dir)["shards"]:
        group = entry["group"]
        groups[group] += entry["num_rows"]
        table = pq.read_table(out_dir / entry["file"], columns=["coarse_label", "fine_label"])
        split = group.split("-")[1]
        for c, f in zip(table.column("coarse_label").to_pylist(), table.column("fine_label").to_pylist(), strict=True):
            coarse[taxonomy.coarse_names[c]][group] += 1
            fine[taxonomy.fine_names[f]][split] += 1
    configs = {
        config: {split: groups[group] for split, group in splits.items()} for config, splits in CONFIG_SPLITS.items()
    }
    return {"num_rows": sum(groups.values()), "groups": groups, "configs": configs, "coarse": coarse, "fine": fine}
