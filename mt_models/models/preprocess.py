"""Video preprocessing on uint8 tensors in torch: resize, centre crop, then the model's input modality.

transformers' ``*VideoProcessor`` classes need torchvision, which has no wheel for the torch this package is tested
on, so preprocessing is done here with ``torch.nn.functional.interpolate``. Everything is batched over any leading
dimensions and runs on whatever device the frames are on (the accelerator when there is one).

The data path splits the work in two: DataLoader workers resize and crop each clip in uint8 (so clips of different
source sizes can be batched and cross the process boundary at a quarter of the float size), then the training / eval
loop normalises the whole batch on the accelerator.

The **input modality** is part of the spec, so it travels with a checkpoint and every path (training, evaluation,
diagnostic probes, pipelines) makes the input the model was trained on. It is ``"rgb"`` (normalised with the
backbone's mean/std), ``"fg"`` (foreground: each pixel minus its median over the clip's frames, which removes a static
background), ``"diff"`` (the difference of consecutive frames), or a stack of them joined by ``+`` (``"fg+diff"``:
6 channels). On Syn-TA the camera is static and the objects are a few pixels wide: about 0.5% of the pixels change from
one frame to the next, and raw RGB buries that signal, while ``fg`` and ``diff`` show it directly.

>>> spec = InputSpec(num_frames=8, crop_size=(32, 32), resize_shortest_edge=32)
>>> clip = torch.randint(0, 256, (8, 3, 48, 64), dtype=torch.uint8)
>>> preprocess(clip, spec).shape
torch.Size([8, 3, 32, 32])
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache

import torch
import torch.nn.functional as F

__all__ = [
    "MODALITIES",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "CLIP_MEAN",
    "CLIP_STD",
    "InputSpec",
    "modality_channels",
    "modality_parts",
    "resize_and_crop",
    "temporal_median",
    "normalize",
    "preprocess",
]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)

# The input modalities a spec may stack (``"fg+diff"``), each 3 channels.
MODALITIES = ("rgb", "fg", "diff")
# Scales that put the sparse foreground and motion signals (fractions of the 0-1 range) near unit size.
FOREGROUND_SCALE = 5.0
DIFFERENCE_SCALE = 10.0


def modality_parts(modality: str) -> tuple[str, ...]:
    """The components of a modality string (``"fg+diff"`` -> ``("fg", "diff")``); ``ValueError`` if unknown."""
    parts = tuple(part.strip() for part in str(modality).split("+"))
    unknown = [part for part in parts if part not in MODALITIES]
    if unknown or len(set(parts)) != len(parts):
        raise ValueError(
            f"input modality {modality!r} is not understood: use one of {list(MODALITIES)} or a stack of distinct "
            "ones joined by '+' (e.g. 'fg+diff')"
        )
    return parts


def modality_channels(modality: str) -> int:
    """Input channels a modality makes: 3 per stacked component (``"fg+diff"`` -> 6)."""
    return 3 * len(modality_parts(modality))


@dataclass(frozen=True)
class InputSpec:
    """What a backbone expects: clip length, crop size and the normalisation of its pretraining.

    Attributes:
        num_frames: frames per clip.
        crop_size: ``(height, width)`` of the model input.
        resize_shortest_edge: the shortest side is resized to this before the centre crop.
        image_mean: per-channel mean (RGB, on the 0-1 scale).
        image_std: per-channel standard deviation (RGB, on the 0-1 scale).
        modality: what the model sees: ``"rgb"``, ``"fg"``, ``"diff"`` or a ``+`` stack (see the module docstring).
    """

    num_frames: int
    crop_size: tuple[int, int]
    resize_shortest_edge: int
    image_mean: tuple[float, float, float] = IMAGENET_MEAN
    image_std: tuple[float, float, float] = IMAGENET_STD
    modality: str = "rgb"

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
        modality_parts(self.modality)

    @property
    def channels(self) -> int:
        """Channels of the model input: 3 per stacked modality."""
        return modality_channels(self.modality)

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
            # Checkpoints written before modalities existed saw RGB.
            modality=values.get("modality", "rgb"),
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


@lru_cache(maxsize=16)
def _sorting_network(size: int) -> tuple[tuple[int, int], ...]:
    """The compare-exchange pairs of Batcher's odd-even merge sort on ``size`` items padded to a power of two
    (Knuth, TAOCP vol. 3, 5.3.4): 19 pairs for 8 items, 63 for 16."""
    width = 1
    while width < size:
        width *= 2
    pairs = []
    p = 1
    while p < width:
        k = p
        while k >= 1:
            for j in range(k % p, width - k, 2 * k):
                for i in range(min(k, width - j - k)):
                    if (i + j) // (2 * p) == (i + j + k) // (2 * p):
                        pairs.append((i + j, i + j + k))
            k //= 2
        p *= 2
    return tuple(pairs)


def temporal_median(frames: torch.Tensor) -> torch.Tensor:
    """The per-pixel median over the frames of uint8 clips ``(..., T, C, H, W)``, keeping the ``T`` dimension (size 1).

    Exactly ``frames.median(dim=-4, keepdim=True).values`` (for an even ``T`` the lower of the two middle values), but
    computed with a sorting network of element-wise ``minimum`` / ``maximum`` over whole frames, which vectorises:
    on a batch of 16 clips of 16 frames of 32x32 it took 1.7 ms against 49 ms for ``torch.median``'s per-pixel
    selection (one thread, the AVX-512 Xeon of ``bench/RESULTS.md``). Padding to a power of two uses 255, which sorts
    after every real value, so the order statistic of the real frames is unchanged.
    """
    if frames.dtype != torch.uint8:
        raise TypeError(f"temporal_median expects uint8 frames, got {frames.dtype}")
    count = frames.shape[-4]
    slabs = list(frames.unbind(dim=-4))
    pairs = _sorting_network(count)
    width = max((b for _, b in pairs), default=0) + 1
    slabs += [torch.full_like(slabs[0], 255)] * (width - count)
    for a, b in pairs:
        slabs[a], slabs[b] = torch.minimum(slabs[a], slabs[b]), torch.maximum(slabs[a], slabs[b])
    return slabs[(count - 1) // 2].unsqueeze(-4)


def normalize(frames: torch.Tensor, spec: InputSpec, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """uint8 clips ``(..., T, 3, H, W)`` -> the model input ``(..., T, spec.channels, H, W)`` in ``dtype``.

    Each modality of ``spec.modality`` gives 3 channels, stacked in the order named: ``rgb`` is scaled to [0, 1] and
    normalised with the spec's mean/std; ``fg`` is the frame minus the per-pixel median over the clip's ``T`` frames,
    times ``FOREGROUND_SCALE``; ``diff`` is ``frame[t + 1] - frame[t]`` on the 0-1 scale (the last difference
    repeated, so ``T`` frames are kept), times ``DIFFERENCE_SCALE``.
    """
    _check_frames(frames)
    if frames.dtype != torch.uint8:
        raise TypeError(f"normalize expects uint8 frames (0-255), got {frames.dtype}")
    channels = []
    for part in modality_parts(spec.modality):
        if part == "rgb":
            mean = torch.tensor(spec.image_mean, device=frames.device, dtype=dtype).view(3, 1, 1) * 255
            std = torch.tensor(spec.image_std, device=frames.device, dtype=dtype).view(3, 1, 1) * 255
            channels.append((frames.to(dtype) - mean) / std)
            continue
        if part == "diff" and frames.shape[-4] < 2:
            raise ValueError(f"the 'diff' modality needs clips of at least 2 frames, got shape {tuple(frames.shape)}")
        scaled = frames.to(dtype) / 255
        if part == "fg":
            # The median of the uint8 frames, then scaled: the same value as the median of the scaled frames (scaling
            # is monotonic), found by a vectorised sorting network rather than torch.median's per-pixel selection.
            median = temporal_median(frames).to(dtype) / 255
            channels.append((scaled - median) * FOREGROUND_SCALE)
        else:
            difference = scaled.diff(dim=-4)
            channels.append(torch.cat([difference, difference[..., -1:, :, :, :]], dim=-4) * DIFFERENCE_SCALE)
    return channels[0] if len(channels) == 1 else torch.cat(channels, dim=-3)


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
        ``(..., T, spec.channels, crop_h, crop_w)`` model input.
    """
    if frames.dtype != torch.uint8:
        raise TypeError(f"preprocess expects uint8 frames (0-255), got {frames.dtype}")
    if device is not None:
        frames = frames.to(device, non_blocking=True)
    return normalize(resize_and_crop(frames, spec), spec, dtype)
