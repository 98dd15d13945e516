"""Make, publish, load and decode the motion-transferability datasets Syn-TA, K400-TA and SSv2-TA."""

from mt_datasets.taxonomy import DATASET_NAMES, Taxonomy, get_taxonomy

__version__ = "0.1.0"

__all__ = ["DATASET_NAMES", "Taxonomy", "get_taxonomy", "__version__"]
