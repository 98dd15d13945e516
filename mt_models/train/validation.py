"""A validation protocol carved out of the training set: held-out fine variants of the training set, never the test.

:func:`carve_validation` writes a derived dataset directory with the same configs as the original (``set1``,
``set2``) that ``train.py`` / :func:`mt_models.experiments.protocol.run_protocol` accept unchanged: for each training
set, in each coarse class with at least two training fine variants one variant is held out (chosen by a seeded rule,
:func:`held_out_variants`); ``train`` keeps the other variants' training videos, ``known`` their validation videos, and
``unknown`` is every video of the held-out variants (training and validation). Scores on it measure transfer to
unseen variants *within the training set*, so a model can be chosen on them without looking at the test's unknown
split.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

__all__ = ["carve_validation", "held_out_variants"]


def held_out_variants(variants_by_coarse: Mapping[int, list[int]], seed: int = 0) -> list[int]:
    """One fine variant per coarse class with >= 2 variants: ``rng.choice`` of its sorted variants, classes in order.

    >>> held_out_variants({0: [3, 1], 1: [5], 2: [7, 8, 9]}, seed=0) in ([1, 7], [1, 8], [1, 9], [3, 7], [3, 8], [3, 9])
    True
    """
    rng = np.random.default_rng(seed)
    held_out = []
    for coarse in sorted(variants_by_coarse):
        variants = sorted(set(variants_by_coarse[coarse]))
        if len(variants) >= 2:
            held_out.append(int(variants[rng.integers(len(variants))]))
    return held_out


def _read(directory: Path, pattern: str) -> pa.Table:
    return pa.concat_tables([pq.read_table(path) for path in sorted(directory.glob(pattern))])


def carve_validation(dataset_dir: str | Path, output_dir: str | Path, *, seed: int = 0) -> dict[str, list[int]]:
    """Write the validation dataset of ``dataset_dir`` (a local Hub-layout dataset) to ``output_dir``.

    Returns ``{config: held-out fine indices}``. A directory already carved with the same held-out variants is reused.
    """
    source, target = Path(dataset_dir), Path(output_dir)
    readme = (source / "README.md").read_text()
    _, header, body = readme.split("---\n", 2)
    metadata = yaml.safe_load(header)
    held: dict[str, list[int]] = {}
    files: dict[str, dict[str, pa.Table]] = {}
    for config in ("set1", "set2"):
        train = _read(source / "data", f"{config}-train-*.parquet")
        known = _read(source / "data", f"{config}-val-*.parquet")
        coarse = np.asarray(train.column("coarse_label").to_pylist())
        fine = np.asarray(train.column("fine_label").to_pylist())
        variants = {int(c): sorted({int(f) for f in fine[coarse == c]}) for c in np.unique(coarse)}
        held[config] = held_out_variants(variants, seed=seed + int(config[-1]))
        out_train = np.isin(fine, held[config])
        out_known = np.isin(np.asarray(known.column("fine_label").to_pylist()), held[config])
        files[config] = {
            "train": train.filter(pa.array(~out_train)),
            "val": known.filter(pa.array(~out_known)),
            "heldout": pa.concat_tables([train.filter(pa.array(out_train)), known.filter(pa.array(out_known))]),
        }
    marker = target / "held_out.yaml"
    if marker.is_file() and yaml.safe_load(marker.read_text()) == held:
        return held
    if target.exists():
        shutil.rmtree(target)
    (target / "data").mkdir(parents=True)
    if (source / "meta").is_dir():
        shutil.copytree(source / "meta", target / "meta")
    for config, tables in files.items():
        for split, table in tables.items():
            pq.write_table(table, target / "data" / f"{config}-{split}-00000.parquet")
    metadata["configs"] = [
        {
            "config_name": config,
            "data_files": [
                {"split": "train", "path": f"data/{config}-train-*.parquet"},
                {"split": "known", "path": f"data/{config}-val-*.parquet"},
                {"split": "unknown", "path": f"data/{config}-heldout-*.parquet"},
            ],
            **({"default": True} if config == "set1" else {}),
        }
        for config in files
    ]
    if isinstance(metadata.get("dataset_info"), list):
        metadata["dataset_info"] = [
            {key: value for key, value in info.items() if key not in ("splits", "download_size", "dataset_size")}
            for info in metadata["dataset_info"]
            if info.get("config_name") in files
        ]
    note = f"Validation protocol carved from {source.name}: held-out training variants {held}.\n\n"
    (target / "README.md").write_text("---\n" + yaml.safe_dump(metadata, sort_keys=False) + "---\n" + note + body)
    marker.write_text(yaml.safe_dump(held))
    return held
