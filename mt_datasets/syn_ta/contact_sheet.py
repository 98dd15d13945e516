"""A contact sheet of generated clips: a PNG grid of frames sampled through each clip, one captioned row per group.

The dataset card embeds it (``images/contact_sheet.png``) so that a reader sees what the classes and factors look
like. Frames are decoded from the encoded clips, so the sheet shows exactly what the dataset holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["make_contact_sheet"]

_CAPTION_HEIGHT = 14
_GAP = 4


def make_contact_sheet(
    rows: Sequence[tuple[str, Sequence[Any]]],
    path: str | Path,
    *,
    frames_per_clip: int = 4,
    tile_size: int = 96,
) -> Path:
    """Write a PNG with one row per ``(caption, clips)``: ``frames_per_clip`` frames spread over each clip.

    Args:
        rows: captions and the clips of each row (anything :func:`mt_datasets.video.read_clip` reads: paths, bytes).
        path: the PNG to write (parent folders are created).
        frames_per_clip: frames shown per clip, spread evenly over it.
        tile_size: the longer side of each frame tile, in pixels.

    Returns:
        ``path``. Raises ``ValueError`` when ``rows`` is empty, and :class:`mt_datasets.video.VideoDecodeError` when a
        clip cannot be decoded.
    """
    from PIL import Image, ImageDraw

    from mt_datasets.video import read_clip

    if not rows:
        raise ValueError("a contact sheet needs at least one row of clips")
    decoded = [
        (caption, [read_clip(clip, frames_per_clip).permute(0, 2, 3, 1).numpy() for clip in clips])
        for caption, clips in rows
    ]
    height, width = decoded[0][1][0].shape[1:3]
    scale = tile_size / max(height, width)
    tile = (max(1, round(width * scale)), max(1, round(height * scale)))
    clips_per_row = max(len(clips) for _, clips in decoded)
    row_width = clips_per_row * (frames_per_clip * tile[0] + _GAP)
    sheet = Image.new("RGB", (row_width + _GAP, len(decoded) * (tile[1] + _CAPTION_HEIGHT + _GAP) + _GAP), "white")
    draw = ImageDraw.Draw(sheet)
    top = _GAP
    for caption, clips in decoded:
        draw.text((_GAP, top), caption, fill="black")
        top += _CAPTION_HEIGHT
        left = _GAP
        for frames in clips:
            for frame in frames:
                sheet.paste(
                    Image.fromarray(np.ascontiguousarray(frame)).resize(tile, Image.Resampling.BILINEAR), (left, top)
                )
                left += tile[0]
            left += _GAP
        top += tile[1] + _GAP
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path, optimize=True)
    return path
