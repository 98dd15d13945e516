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

# A name comes from the first module whose __all__ has it (the light layout first); the old module's private names
# from the writer, which was that module.
__getattr__ = lazy_exports(
    __name__,
    {"CONFIG_SPLITS": "mt_datasets.protocol", "DatasetMismatchError": "mt_datasets.errors"},
    modules=("mt_datasets.hub.layout", "mt_datasets.hub.cards", "mt_datasets.hub.writer"),
)
