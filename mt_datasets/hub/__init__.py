"""The Hub format of a dataset directory: how it is laid out, written, described, locked, checked and published.

- ``layout``: file names, configs' data files, format version; reading the info record and the manifest back.
- ``writer``: :class:`HubDatasetWriter`, Parquet shards with a ``Video`` column, the schema, the row checks.
- ``cards``: the dataset card (the README's YAML and its body from ``hub_cards/``).
- ``locks``: one writer per dataset directory.
- ``verify``: a dataset directory checked against its manifest (``mt-datasets verify``).
- ``publish``: a checked dataset directory, or the metric's Space, uploaded (``mt-datasets publish``).

The package exports what the writer's module exported when it was ``mt_datasets/hub.py``, imported on first use
(``from mt_datasets.hub import HubDatasetWriter, read_info``), so that importing one light module (``layout``,
``locks``) does not import ``datasets`` and ``pyarrow``.
"""

from mt_datasets._exports import lazy_exports

_LAYOUT_NAMES = (
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
)
_WRITER_NAMES = (
    "BASE_COLUMNS",
    "DEFAULT_SHARD_SIZE_BYTES",
    "PRETTY_NAMES",
    "HubDatasetWriter",
    "dataset_counts",
    "dataset_features",
)
# public name -> module that defines it; any other name (the old module's private ones) comes from the writer
_EXPORTS = {
    **dict.fromkeys(_LAYOUT_NAMES, "mt_datasets.hub.layout"),
    **dict.fromkeys(("CARD_DIR", "card_context_of", "card_yaml", "render_card"), "mt_datasets.hub.cards"),
    "CONFIG_SPLITS": "mt_datasets.protocol",
    "DatasetMismatchError": "mt_datasets.errors",
    **dict.fromkeys(_WRITER_NAMES, "mt_datasets.hub.writer"),
}

__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS, default="mt_datasets.hub.writer")
