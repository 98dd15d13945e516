"""A torch Dataset and DataLoader over a loaded Hugging Face dataset of videos.

Videos are decoded in the DataLoader's worker processes with :func:`mt_datasets.video.read_clips` from the
``datasets.Video(decode=False)`` value (bytes and/or path), resized and cropped there in uint8 (clips of different
sizes then batch, and cross the process boundary small), and normalised later on the accelerator
(:func:`mt_models.models.preprocess.normalize`).

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
from mt_models.models.labels import IGNORE_INDEX
from mt_models.models.preprocess import InputSpec, normalize, resize_and_crop

__all__ = [
    "PROTOCOL_CONFIGS",
    "VideoClipDataset",
    "VideoCollator",
    "decode_row",
    "make_dataloader",
    "taxonomy_of",
    "training_set_of",
]


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

    def __getitem__(self, index: int) -> dict[str, Any]:
        return {
            **decode_row(
                self.dataset[index],
                self.input_spec,
                num_clips=self.num_clips,
                sampling=self.sampling,
                stride=self.stride,
                fine_label_map=self.fine_label_map,
                backend=self.backend,
            ),
            "index": index,
        }


def decode_row(
    row: Mapping[str, Any],
    input_spec: InputSpec,
    *,
    num_clips: int = 1,
    sampling: str = "uniform",
    stride: int = 2,
    fine_label_map: Mapping[int, int] | None = None,
    backend: str = "auto",
) -> dict[str, Any]:
    """One dataset row (``video``, ``coarse_label``, ``fine_label``) as resized, cropped uint8 frames with labels.

    The item of :class:`VideoClipDataset` (less ``index``); ``video`` may be a ``datasets.Video`` value, decoded
    (a torchcodec ``VideoDecoder``) or not (bytes and/or path). A video that does not decode gives zero frames,
    ``decoded=False`` and ``IGNORE_INDEX`` labels.
    """
    fine = int(row["fine_label"])
    head_fine = fine if fine_label_map is None else fine_label_map.get(fine, IGNORE_INDEX)
    try:
        clips = read_clips(
            row["video"], input_spec.num_frames, num_clips, sampling=sampling, stride=stride, backend=backend
        )
    except VideoDecodeError:
        shape = (input_spec.num_frames, 3, *input_spec.crop_size)
        frames = torch.zeros((num_clips, *shape) if num_clips > 1 else shape, dtype=torch.uint8)
        return {
            "frames": frames,
            "coarse_label": IGNORE_INDEX,
            "fine_label": IGNORE_INDEX,
            "dataset_fine_label": fine,
            "decoded": False,
        }
    clips = resize_and_crop(clips, input_spec)
    return {
        "frames": clips if num_clips > 1 else clips[0],
        "coarse_label": int(row["coarse_label"]),
        "fine_label": head_fine,
        "dataset_fine_label": fine,
        "decoded": True,
    }


class VideoCollator:
    """Rows of a loaded video dataset -> a model batch: the ``data_collator`` of transformers' ``Trainer``.

    Decodes and resizes each row with :func:`decode_row` and normalises the batch (:func:`~mt_models.models.preprocess.
    normalize`), the package's one preprocessing path. The batch holds ``pixel_values``, ``labels`` (the coarse class,
    transformers' name) and ``fine_labels`` (indices into the model's fine head; ``IGNORE_INDEX`` for a fine class
    outside it, and both labels for a video that does not decode). Give the ``Trainer``
    ``remove_unused_columns=False``: the collator reads the ``video`` column, which the model's ``forward`` does not
    name.

    >>> collator = VideoCollator.for_model(model, dataset["train"])  # doctest: +SKIP
    >>> Trainer(model=model, args=args, train_dataset=dataset["train"], data_collator=collator)  # doctest: +SKIP
    """

    def __init__(self, input_spec: InputSpec, *, fine_label_map: Mapping[int, int] | None = None):
        self.input_spec = input_spec
        self.fine_label_map = dict(fine_label_map) if fine_label_map is not None else None

    @classmethod
    def for_model(cls, model: Any, dataset: datasets.Dataset | datasets.DatasetDict) -> VideoCollator:
        """The collator of a ``DisentangledVideoClassifier``: its input spec, and the dataset's fine ids mapped by
        name to its fine head (``config.fine_labels``)."""
        dataset_fine = taxonomy_of(dataset).fine_names
        head = {name: i for i, name in enumerate(model.config.fine_labels)}
        fine_map = {i: head[name] for i, name in enumerate(dataset_fine) if name in head}
        return cls(model.input_spec, fine_label_map=fine_map)

    def __call__(self, rows: list[Mapping[str, Any]]) -> dict[str, torch.Tensor]:
        items = [decode_row(row, self.input_spec, fine_label_map=self.fine_label_map) for row in rows]
        frames = torch.stack([item["frames"] for item in items])
        return {
            "pixel_values": normalize(frames, self.input_spec),
            "labels": torch.tensor([item["coarse_label"] for item in items]),
            "fine_labels": torch.tensor([item["fine_label"] for item in items]),
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
