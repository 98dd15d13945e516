"""The on-disk layout of a dataset directory: file names, the format version, and reading it back.

    README.md                             YAML: configs set1 / set2 / all, dataset_info, licence; the card body
    data/set{S}-{split}-{NNNNN}.parquet   rows of fine set S (1 or 2) and split train / val (the "group" set{S}-{split})
    meta/info.json                        the typed info record (format version, dataset, features, the writer's info)
    meta/shards.json                      the manifest: committed shards, their size, sha256, rows and video ids

Configs never copy data: ``set1`` = {train: ``set1-train-*``, known: ``set1-val-*``, unknown: ``set2-val-*``},
``set2`` the reverse, ``all`` = one split per group (the configs, ``CONFIG_SPLITS``, are the protocol's,
:mod:`mt_datasets.protocol`; their file patterns, :func:`config_data_files`, are here). Until a build or generation
finishes, README.md is the mark of an unfinished directory (:func:`write_incomplete_card`). The one home of these
names: the writer (:mod:`mt_datasets.hub.writer`), its cards (:mod:`mt_datasets.hub.cards`), ``verify``,
``publish`` and the generator import them.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from mt_datasets.errors import did_you_mean
from mt_datasets.files import atomic_write_bytes
from mt_datasets.protocol import CONFIG_SPLITS

__all__ = [
    "DATA_DIR",
    "FORMAT_VERSION",
    "INCOMPLETE_HINT",
    "INCOMPLETE_MARKER",
    "INFO_FILE",
    "MANIFEST_FILE",
    "config_data_files",
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


def config_data_files(config: str) -> dict[str, str]:
    """The ``data_files`` patterns of one config: split name -> glob relative to the dataset directory."""
    if config not in CONFIG_SPLITS:
        raise ValueError(did_you_mean(config, list(CONFIG_SPLITS), "config"))
    # The ".parquet" suffix keeps hidden "*.parquet.tmp" files of an interrupted write out of every config.
    return {split: f"{DATA_DIR}/{group}-*.parquet" for split, group in CONFIG_SPLITS[config].items()}


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
