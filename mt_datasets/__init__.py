"""Make, publish, load and decode the motion-transferability datasets Syn-TA, K400-TA and SSv2-TA.

The light parts import eagerly; the rest (which pull in ``datasets``, ``torch`` or FFmpeg) load on first use::

    from mt_datasets import get_taxonomy, attach_videos, read_clip, HubDatasetWriter
"""

from __future__ import annotations

from mt_datasets._exports import lazy_exports
from mt_datasets.taxonomy import DATASET_NAMES, Taxonomy, get_taxonomy

__version__ = "0.1.0"

# public name -> module that defines it (imported lazily by __getattr__)
_LAZY = {
    "attach_videos": "mt_datasets.sources.attach",
    "HubDatasetWriter": "mt_datasets.hub.writer",
    "DatasetMismatchError": "mt_datasets.errors",
    "dataset_features": "mt_datasets.hub.writer",
    "VideoDecodeError": "mt_datasets.errors",
    "PublishError": "mt_datasets.errors",
    "did_you_mean": "mt_datasets.errors",
    "VideoInfo": "mt_datasets.video",
    "probe_video": "mt_datasets.video",
    "read_clip": "mt_datasets.video",
    "read_clips": "mt_datasets.video",
    "read_frames": "mt_datasets.video",
    "build_k400_ta": "mt_datasets.sources.kinetics",
    "build_ssv2_ta": "mt_datasets.sources.ssv2",
}

__all__ = ["DATASET_NAMES", "Taxonomy", "get_taxonomy", "__version__", *_LAZY]


__getattr__ = lazy_exports(__name__, _LAZY)
