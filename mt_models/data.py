"""A torch Dataset and DataLoader over a loaded Hugging Face dataset of videos.

Videos are decoded in the DataLoader's worker processes with :func:`mt_datasets.video.read_clips` from the
``datasets.Video(decode=False)`` value (bytes and/or path), resized and cropped there in uint8 (clips of different
sizes then batch, and cross the process boundary small), and normalised later on the accelerator
(:func:`mt_models.preprocess.normalize`).

A video that fails to decode is not dropped: its item keeps its place with zero frames, ``decoded=False`` and
``IGNORE_INDEX`` labels. Dropping it would change batch sizes, and Accelerate's ``gather_for_metrics`` trims the
padding of the last batch by counting samples, so a dropped sample would silently shift which samples are kept.
Training ignores such rows through the labels; evaluation filters them after gathering and counts them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import datasets
import torch
from torch.utils.data import DataLoader, Dataset

from mt_datasets.errors import VideoDecodeError
from mt_datasets.protocol import PROTOCOL_CONFIGS, training_set_of  # re-exported: their old home
from mt_datasets.taxonomy import DATASET_NAMES, Taxonomy, get_taxonomy
from mt_datasets.video import read_clips
from mt_models.labels import IGNORE_INDEX
from mt_models.preprocess import InputSpec, resize_and_crop

__all__ = ["PROTOCOL_CONFIGS", "VideoClipDataset", "make_dataloader", "taxonomy_of", "training_set_of"]


def taxonomy_of(dataset: datasets.Dataset | datasets.DatasetDict) -> Taxonomy:
    """The taxonomy whose coarse and fine names are the dataset's ``coarse_label`` / ``fine_label`` ClassLabels."""
    features = next(iter(dataset.values())).features if isinstance(dataset, datasets.DatasetDict) else dataset.features
    try:
        coarse, fine = features["coarse_label"].names, features["fine_label"].names
    except (KeyError, AttributeError):
        raise ValueError(
            f"the dataset needs ClassLabel columns coarse_label and fine_label; its features are {features}"
        ) from None
    for name in DATASET_NAMES:
        taxonomy = get_taxonomy(name)
        if list(taxonomy.coarse_names) == list(coarse) and list(taxonomy.fine_names) == list(fine):
            return taxonomy
    raise ValueError(
        f"the dataset's labels ({len(coarse)} coarse, {len(fine)} fine classes) match none of {DATASET_NAMES}; "
        "load a dataset written by mt_datasets (its fine_label ClassLabel lists every fine class, set 1 then set 2)"
    )


class VideoClipDataset(Dataset):
    """Items of a video dataset as uint8 clips with labels, decoded on access.

    Each item is a dict: ``frames`` uint8 ``(T, 3, h, w)`` (or ``(num_clips, T, 3, h, w)`` when ``num_clips > 1``),
    ``coarse_label``, ``fine_label`` (head id, ``IGNORE_INDEX`` for a class outside the head), ``dataset_fine_label``,
    ``index`` (row number) and ``decoded`` (``False`` for a video that could not be decoded).

    Args:
        dataset: a ``datasets.Dataset`` with columns ``video``, ``coarse_label`` and ``fine_label``.
        input_spec: the model's input spec (clip length and crop).
        num_clips: clips per video (multi-view testing); 1 for training.
        sampling / stride: frame sampling, as for :func:`mt_datasets.video.read_clips`.
        fine_label_map: ``{dataset fine id: head fine id}``; ``None`` keeps the dataset's ids.
        backend: decoding backend (``"auto"``, ``"torchcodec"`` or ``"pyav"``).
    """

    def __init__(
        self,
        dataset: datasets.Dataset,
        input_spec: InputSpec,
        *,
        num_clips: int = 1,
        sampling: str = "uniform",
        stride: int = 2,
        fine_label_map: Mapping[int, int] | None = None,
        backend: str = "auto",
    ):
        missing = {"video", "coarse_label", "fine_label"} - set(dataset.column_names)
        if missing:
            raise ValueError(f"dataset lacks the columns {sorted(missing)}; it has {dataset.column_names}")
        if num_clips < 1:
            raise ValueError(f"num_clips must be >= 1, got {num_clips}")
        # Only the bytes/path travel to the workers; decoding happens there, once, at the clip's frames.
        self.dataset = dataset.select_columns(["video", "coarse_label", "fine_label"]).cast_column(
            "video", datasets.Video(decode=False)
        )
        self.input_spec = input_spec
        self.num_clips = num_clips
        self.sampling, self.stride, self.backend = sampling, stride, backend
        self.fine_label_map = dict(fine_label_map) if fine_label_map is not None else None

    def __len__(self) -> int:
        return len(self.dataset)

    def _empty_frames(self) -> torch.Tensor:
        shape = (self.input_spec.num_frames, 3, *self.input_spec.crop_size)
        return torch.zeros((self.num_clips, *shape) if self.num_clips > 1 else shape, dtype=torch.uint8)

    def __getitem__(self, index: int) -> dict[str, Any]:
        row = self.dataset[index]
        fine = int(row["fine_label"])
        head_fine = fine if self.fine_label_map is None else self.fine_label_map.get(fine, IGNORE_INDEX)
        try:
            clips = read_clips(
                row["video"],
                self.input_spec.num_frames,
                self.num_clips,
                sampling=self.sampling,
                stride=self.stride,
                backend=self.backend,
            )
        except VideoDecodeError:
            return {
                "frames": self._empty_frames(),
                "coarse_label": IGNORE_INDEX,
                "fine_label": IGNORE_INDEX,
                "dataset_fine_label": fine,
                "index": index,
                "decoded": False,
            }
        clips = resize_and_crop(clips, self.input_spec)
        return {
            "frames": clips if self.num_clips > 1 else clips[0],
            "coarse_label": int(row["coarse_label"]),
            "fine_label": head_fine,
            "dataset_fine_label": fine,
            "index": index,
            "decoded": True,
        }


class CachedClipDataset(Dataset):
    """A clip dataset decoded once and kept in memory: later epochs skip decoding.

    Exact, because a ``VideoClipDataset`` item is deterministic (fixed frame sampling, centre crop, no random
    augmentation). Memory is ``len(dataset) x T x 3 x crop`` bytes, e.g. 100 MB for 2,000 8-frame 64x64 clips.
    Decoding runs once through a DataLoader with ``num_workers`` processes, with a progress bar.
    """

    def __init__(self, dataset: VideoClipDataset, *, num_workers: int = 2, show_progress: bool = True):
        from tqdm.auto import tqdm

        loader = DataLoader(
            dataset, batch_size=None, num_workers=num_workers, prefetch_factor=4 if num_workers else None
        )
        self.items = [
            item for item in tqdm(loader, total=len(dataset), desc="decoding clips", disable=not show_progress)
        ]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return self.items[index]


def make_dataloader(
    dataset: VideoClipDataset | CachedClipDataset,
    *,
    batch_size: int,
    shuffle: bool = False,
    num_workers: int = 2,
    seed: int = 0,
    drop_last: bool = False,
) -> DataLoader:
    """A DataLoader that decodes in ``num_workers`` worker processes; shuffling is seeded (reproducible).

    Pass it through ``accelerator.prepare``: Accelerate shards it across processes, and ``gather_for_metrics``
    removes the samples it repeats to even out the last batch, so every sample is scored exactly once.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        num_workers=num_workers,
        generator=generator,
        drop_last=drop_last,
        persistent_workers=False,
        # Small prefetch: each worker holds decoded clips, and memory matters more than depth on a CPU box.
        prefetch_factor=2 if num_workers > 0 else None,
    )
