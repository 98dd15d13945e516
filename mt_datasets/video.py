"""Video encoding, clip sampling and decoding.

Decoding uses torchcodec (what ``datasets.Video`` gives) with PyAV as the fallback when torchcodec or FFmpeg's
shared libraries are unavailable. Encoding uses PyAV (H.264, yuv420p).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

import numpy as np

__all__ = ["encode_mp4"]


def encode_mp4(
    frames: Iterable[np.ndarray],
    path: str | Path | None = None,
    *,
    fps: float = 24,
    crf: int = 20,
    preset: str = "veryfast",
) -> bytes:
    """Encode RGB uint8 frames (each ``(H, W, 3)``) as an H.264 yuv420p mp4.

    Returns the file's bytes; when ``path`` is given they are also written there. Width and height must be even
    (yuv420p halves the chroma planes); anything else raises ``ValueError`` naming the size.
    """
    import av

    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        stream = None
        for frame in frames:
            frame = np.ascontiguousarray(frame)
            if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
                raise ValueError(f"frames must be uint8 (H, W, 3) RGB arrays, got {frame.dtype} {frame.shape}")
            if stream is None:
                height, width = frame.shape[:2]
                if height % 2 or width % 2:
                    raise ValueError(f"H.264 yuv420p needs even width and height, got {width}x{height}")
                stream = container.add_stream("libx264", rate=round(fps) if float(fps).is_integer() else fps)
                stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
                stream.options = {"crf": str(crf), "preset": preset}
            elif frame.shape[:2] != (stream.height, stream.width):
                raise ValueError(
                    f"frame size changed from {stream.width}x{stream.height} to {frame.shape[1]}x{frame.shape[0]}"
                )
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        if stream is None:
            raise ValueError("encode_mp4 got no frames")
        container.mux(stream.encode())
    data = buffer.getvalue()
    if path is not None:
        Path(path).write_bytes(data)
    return data
