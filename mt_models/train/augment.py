"""Training augmentations that keep a clip's fine class.

Only geometric shifts are offered. A horizontal flip turns Syn-TA's set-1 variants into set-2 variants ("left to
right" into "right to left", clockwise into counter-clockwise), and reversing time turns appearing into disappearing:
either would leak the held-out (unknown) variants into training and void the protocol, so neither exists here.

>>> clip = torch.arange(2 * 1 * 3 * 4 * 4, dtype=torch.uint8).view(2, 1, 3, 4, 4)
>>> random_shift(clip, max_shift=1, generator=torch.Generator().manual_seed(0)).shape
torch.Size([2, 1, 3, 4, 4])
"""

from __future__ import annotations

import torch

from mt_models.options import AUGMENTATIONS  # its home is light: the scripts' --help shows it

__all__ = ["AUGMENTATIONS", "random_shift", "augment"]


def random_shift(frames: torch.Tensor, max_shift: int = 4, generator: torch.Generator | None = None) -> torch.Tensor:
    """Translate each clip of a batch by a random offset of up to ``max_shift`` pixels (edges replicated).

    The same offset applies to every frame of a clip, so motion is kept: this is pad-and-crop with replicate padding.

    Args:
        frames: ``(batch, T, C, H, W)`` clips, any dtype.
        max_shift: largest shift, in pixels, along each axis.
        generator: random source (default: torch's global one, which Accelerate checkpoints with the run).

    Returns:
        A tensor of the same shape and dtype.
    """
    if frames.ndim != 5:
        raise ValueError(f"frames must be (batch, T, C, H, W), got shape {tuple(frames.shape)}")
    if max_shift < 0:
        raise ValueError(f"max_shift must be >= 0, got {max_shift}")
    batch, height, width = frames.shape[0], frames.shape[-2], frames.shape[-1]
    offsets = torch.randint(-max_shift, max_shift + 1, (batch, 2), generator=generator).tolist()
    shifted = torch.empty_like(frames)
    rows, cols = torch.arange(height, device=frames.device), torch.arange(width, device=frames.device)
    for index, (dy, dx) in enumerate(offsets):
        source_rows, source_cols = (rows - dy).clamp(0, height - 1), (cols - dx).clamp(0, width - 1)
        shifted[index] = frames[index][..., source_rows, :][..., source_cols]
    return shifted


def augment(frames: torch.Tensor, name: str) -> torch.Tensor:
    """Apply the named training augmentation (one of :data:`AUGMENTATIONS`) to a batch of clips."""
    if name == "none":
        return frames
    if name == "shift":
        return random_shift(frames)
    raise ValueError(f"augmentation {name!r} is not one of {list(AUGMENTATIONS)} (flips and time reversal change "
                     "a clip's fine class, so they are not offered)")  # fmt: skip
