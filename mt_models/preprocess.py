"""Video preprocessing on uint8 tensors in torch: resize, centre crop, normalise.

transformers' ``*VideoProcessor`` classes need torchvision, which has no wheel for the torch this package is tested
on, so preprocessing is done here with ``torch.nn.functional.interpolate``. Everything is batched over any leading
dimensions and runs on whatever device the frames are on (the accelerator when there is one).

The data path splits the work in two: DataLoader workers resize and crop each clip in uint8 (so clips of different
source sizes can be batched and cross the process boundary at a quarter of the float size), then the training / eval
loop normalises the whole batch on the accelerator.

>>> spec = InputSpec(num_frames=8, crop_size=(32, 32), resize_shortest_edge=32)
>>> clip = torch.randint(0, 256, (8, 3, 48, 64), dtype=torch.uint8)
>>> preprocess(clip, spec).shape
torch.Size([8, 3, 32, 32])
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F

__all__ = [
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "CLIP_MEAN",
    "CLIP_STD",
    "InputSpec",
    "resize_and_crop",
    "normalize",
    "preprocess",
]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


@dataclass(frozen=True)
class InputSpec:
    """What a backbone expects: clip length, crop size and the normalisation of its pretraining.

    Attributes:
        num_frames: frames per clip.
        crop_size: ``(height, width)`` of the model input.
        resize_shortest_edge: the shortest side is resized to this before the centre crop.
        image_mean: per-channel mean (RGB, on the 0-1 scale).
        image_std: per-channel standard deviation (RGB, on the 0-1 scale).
    """

    num_frames: int
    crop_size: tuple[int, int]
    resize_shortest_edge: int
    image_mean: tuple[float, float, float] = IMAGENET_MEAN
    image_std: tuple[float, float, float] = IMAGENET_STD

    def __post_init__(self) -> None:
        if self.num_frames < 1:
            raise ValueError(f"num_frames must be >= 1, got {self.num_frames}")
        if self.resize_shortest_edge < min(self.crop_size):
            raise ValueError(
                f"resize_shortest_edge={self.resize_shortest_edge} is smaller than crop_size={self.crop_size}: "
                "the centre crop would not fit; resize to at least the crop size"
            )
        if len(self.image_mean) != 3 or len(self.image_std) != 3:
            raise ValueError(f"image_mean and image_std need 3 values (RGB), got {self.image_mean}, {self.image_std}")

    def to_dict(self) -> dict:
        """JSON-friendly form (lists instead of tuples), as stored in model configs."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, values: dict) -> InputSpec:
        """Inverse of :meth:`to_dict`."""
        return cls(
            num_frames=int(values["num_frames"]),
            crop_size=tuple(values["crop_size"]),
            resize_shortest_edge=int(values["resize_shortest_edge"]),
            image_mean=tuple(values["image_mean"]),
            image_std=tuple(values["image_std"]),
        )

    def replace(self, **changes) -> InputSpec:
        """A copy with some fields changed (e.g. ``num_frames`` from the command line)."""
        return InputSpec(**{**asdict(self), **changes})


def _check_frames(frames: torch.Tensor) -> None:
    if frames.ndim < 4 or frames.shape[-3] != 3:
        raise ValueError(f"frames must be (..., T, 3, H, W) RGB, got shape {tuple(frames.shape)}")


def resize_and_crop(frames: torch.Tensor, spec: InputSpec) -> torch.Tensor:
    """Resize the shortest side to ``spec.resize_shortest_edge`` (bilinear, antialiased), then centre-crop.

    Args:
        frames: ``(..., T, 3, H, W)`` tensor, uint8 or float, on any device.
        spec: the target geometry.

    Returns:
        ``(..., T, 3, crop_h, crop_w)`` with the input's dtype (uint8 stays uint8, rounded).
    """
    _check_frames(frames)
    lead, (height, width) = frames.shape[:-3], frames.shape[-2:]
    crop_h, crop_w = spec.crop_size
    scale = spec.resize_shortest_edge / min(height, width)
    new_h, new_w = max(crop_h, round(height * scale)), max(crop_w, round(width * scale))
    flat = frames.reshape(-1, 3, height, width)
    if (new_h, new_w) != (height, width):
        flat = F.interpolate(flat, size=(new_h, new_w), mode="bilinear", antialias=True, align_corners=False)
    top, left = (new_h - crop_h) // 2, (new_w - crop_w) // 2
    flat = flat[:, :, top : top + crop_h, left : left + crop_w]
    return flat.reshape(*lead, 3, crop_h, crop_w)


def normalize(frames: torch.Tensor, spec: InputSpec, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """uint8 ``(..., 3, H, W)`` -> ``dtype``, scaled to [0, 1] and normalised with the spec's mean/std."""
    _check_frames(frames)
    if frames.dtype != torch.uint8:
        raise TypeError(f"normalize expects uint8 frames (0-255), got {frames.dtype}")
    mean = torch.tensor(spec.image_mean, device=frames.device, dtype=dtype).view(3, 1, 1) * 255
    std = torch.tensor(spec.image_std, device=frames.device, dtype=dtype).view(3, 1, 1) * 255
    return (frames.to(dtype) - mean) / std


def preprocess(
    frames: torch.Tensor,
    spec: InputSpec,
    *,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """The whole transform in one call: move to ``device``, resize and crop, normalise.

    Args:
        frames: uint8 ``(..., T, 3, H, W)`` (one clip or a batch; all of one size).
        spec: the backbone's :class:`InputSpec`.
        device: where to compute (defaults to the frames' device).
        dtype: output dtype.

    Returns:
        ``(..., T, 3, crop_h, crop_w)`` model input.
    """
    if frames.dtype != torch.uint8:
        raise TypeError(f"preprocess expects uint8 frames (0-255), got {frames.dtype}")
    if device is not None:
        frames = frames.to(device, non_blocking=True)
    return normalize(resize_and_crop(frames, spec), spec, dtype)
