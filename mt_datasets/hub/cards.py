"""The dataset cards: the README's YAML (configs, dataset_info, licence, tags) and its body from ``hub_cards/``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import datasets

from mt_datasets.hub.layout import FORMAT_VERSION, config_data_files
from mt_datasets.protocol import CONFIG_SPLITS
from mt_datasets.taxonomy import Taxonomy, did_you_mean

__all__ = ["CARD_DIR", "card_context_of", "card_yaml", "render_card"]

# In a checkout (and an editable install) the repository folder hub_cards/; installed, mt_datasets/templates/.
_SOURCE_CARDS = Path(__file__).resolve().parents[2] / "hub_cards"
CARD_DIR = _SOURCE_CARDS if _SOURCE_CARDS.is_dir() else Path(__file__).resolve().parents[1] / "templates"


def card_context_of(taxonomy: Taxonomy, counts: Mapping[str, Any], features: datasets.Features) -> dict[str, Any]:
    """The variables every card template gets (documented at the top of ``hub_cards/dataset_card_base.md.j2``)."""
    fine_counts = counts["fine"]
    classes = []
    for c, coarse_name in enumerate(taxonomy.coarse_names):
        fine_rows = [
            {
                "name": taxonomy.fine_names[f],
                "fine_set": taxonomy.fine_set[f],
                "train": fine_counts[taxonomy.fine_names[f]]["train"],
                "val": fine_counts[taxonomy.fine_names[f]]["val"],
            }
            for f in taxonomy.fine_classes_of(c)
        ]
        classes.append({"index": c, "name": coarse_name, "counts": counts["coarse"][coarse_name], "fine": fine_rows})
    return {
        "dataset": taxonomy.name,
        "num_coarse": taxonomy.num_coarse,
        "num_fine_per_set": taxonomy.num_fine_per_set,
        "num_rows": counts["num_rows"],
        "groups": counts["groups"],
        "configs": counts["configs"],
        "config_data_files": {config: config_data_files(config) for config in CONFIG_SPLITS},
        "classes": classes,
        "columns": [{"name": name, "type": _feature_type(feature)} for name, feature in features.items()],
        "has_video": "video" in features,
        "format_version": FORMAT_VERSION,
    }


def _feature_type(feature: Any) -> str:
    if isinstance(feature, datasets.ClassLabel):
        return f"ClassLabel ({feature.num_classes} names)"
    if isinstance(feature, datasets.Value):
        return feature.dtype
    return type(feature).__name__


def render_card(template: str | Path, context: Mapping[str, Any]) -> str:
    """Render a Jinja2 card template: a file name in ``hub_cards/`` or a path to a template file.

    Undefined variables raise (``StrictUndefined``), so a template never silently prints an empty value.
    """
    import jinja2

    path = Path(template)
    search = [str(CARD_DIR)]
    name = str(template)
    if path.is_file():
        search.insert(0, str(path.parent.resolve()))
        name = path.name
    elif not (CARD_DIR / name).is_file():
        available = sorted(p.name for p in CARD_DIR.glob("*.j2"))
        raise FileNotFoundError(did_you_mean(name, available, f"card template (in {CARD_DIR})"))
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(search),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    return env.get_template(name).render(**context)


def _size_category(num_rows: int) -> str:
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if num_rows < limit:
            return label
    return "1M<n<10M"


def card_yaml(
    shards: Mapping[str, Mapping[str, Any]],
    features: datasets.Features,
    counts: Mapping[str, Any],
    license: str,
    pretty_name: str,
    tags: list[str],
    missing: set[str],
) -> str:
    from datasets.info import DatasetInfo, DatasetInfosDict
    from datasets.utils.metadata import MetadataConfigs
    from huggingface_hub import DatasetCardData

    group_bytes: dict[str, int] = {}
    group_file_bytes: dict[str, int] = {}
    for entry in shards.values():
        group_bytes[entry["group"]] = group_bytes.get(entry["group"], 0) + entry["num_bytes"]
        group_file_bytes[entry["group"]] = group_file_bytes.get(entry["group"], 0) + entry["file_bytes"]
    configs, infos = {}, {}
    for config, all_splits in CONFIG_SPLITS.items():
        splits = {split: group for split, group in all_splits.items() if group not in missing}
        if not splits:
            continue
        patterns = config_data_files(config)
        data_files = [{"split": split, "path": patterns[split]} for split in splits]
        configs[config] = {"data_files": data_files}
        split_dict = datasets.SplitDict()
        for split, group in splits.items():
            split_dict.add(
                datasets.SplitInfo(
                    name=split, num_bytes=group_bytes.get(group, 0), num_examples=counts["configs"][config][split]
                )
            )
        infos[config] = DatasetInfo(
            features=features,
            splits=split_dict,
            # A shard read by two splits of a config (none today) is downloaded once.
            download_size=sum(group_file_bytes.get(g, 0) for g in set(splits.values())),
            dataset_size=sum(s.num_bytes for s in split_dict.values()),
        )
    card_data = DatasetCardData(
        license=license,
        task_categories=["video-classification"],
        pretty_name=pretty_name,
        tags=["motion-transferability", "video", *tags],
        size_categories=[_size_category(counts["num_rows"])],
    )
    # set1 is the default config; when set1 has no rows at all, the first config left is.
    configs[next(iter(configs))]["default"] = True
    MetadataConfigs(configs).to_dataset_card_data(card_data)
    DatasetInfosDict(infos).to_dataset_card_data(card_data)
    return card_data.to_yaml() + "\n"
