"""Clip decoding speed: mt_datasets.video.read_clip against transformers.video_utils.load_video.

Both read 16 uniformly sampled frames from 64-frame 224x224 H.264 mp4s, with each of the two backends (torchcodec and
PyAV). Prints one JSON line: clips/s of each reader and the ratio ours / anchor for each backend (> 1: ours faster).

    .venv/bin/python bench/bench_decode.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from mt_datasets.video import encode_mp4, read_clip

NUM_FRAMES_VIDEO, NUM_FRAMES_CLIP, SIZE = 64, 16, 224


def write_videos(root: Path, count: int) -> list[Path]:
    """Moving colour waves with mild noise, encoded like a typical dataset clip (crf 23)."""
    rng = np.random.default_rng(0)
    t = np.arange(NUM_FRAMES_VIDEO)[:, None, None] / NUM_FRAMES_VIDEO
    y = np.arange(SIZE)[None, :, None] / SIZE
    x = np.arange(SIZE)[None, None, :] / SIZE
    paths = []
    for k in range(count):
        waves = [128 + 90 * np.sin(2 * np.pi * (f * x + g * y + t + k / count)) for f, g in ((1, 0), (0, 2), (1, 1))]
        frames = np.stack(np.broadcast_arrays(*waves), axis=-1) + rng.normal(0, 6, (NUM_FRAMES_VIDEO, SIZE, SIZE, 3))
        path = root / f"clip{k}.mp4"
        encode_mp4(np.clip(frames, 0, 255).astype(np.uint8), path, fps=24, crf=23)
        paths.append(path)
    return paths


def clips_per_second(readers: dict[str, Callable[[Path], object]], paths: list[Path], repeats: int) -> dict[str, float]:
    """Best-of-``repeats`` throughput of each reader over all ``paths``, after one warm-up pass.

    The readers take turns within each repeat, so that a change in the machine's load hits all of them alike.
    """
    best = dict.fromkeys(readers, float("inf"))
    for repeat in range(repeats + 1):
        for name, read in readers.items():
            start = time.perf_counter()
            for path in paths:
                read(path)
            if repeat:  # repeat 0 warms up imports, codecs and caches
                best[name] = min(best[name], time.perf_counter() - start)
    return {name: len(paths) / seconds for name, seconds in best.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 videos, 1 repeat (a smoke run: what make test runs)")
    args = parser.parse_args()
    num_videos, repeats = (2, 1) if args.quick else (16, 5)

    from transformers.video_utils import load_video

    readers = {
        "ours_torchcodec": lambda p: read_clip(p, NUM_FRAMES_CLIP, backend="torchcodec"),
        "ours_pyav": lambda p: read_clip(p, NUM_FRAMES_CLIP, backend="pyav"),
        "anchor_load_video_torchcodec": lambda p: load_video(str(p), num_frames=NUM_FRAMES_CLIP, backend="torchcodec"),
        "anchor_load_video_pyav": lambda p: load_video(str(p), num_frames=NUM_FRAMES_CLIP, backend="pyav"),
    }
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_videos(Path(tmp), num_videos)
        rates = clips_per_second(readers, paths, repeats)
    result = {
        "bench": "decode",
        "task": f"read {NUM_FRAMES_CLIP} uniform frames from {NUM_FRAMES_VIDEO}-frame {SIZE}x{SIZE} mp4",
        "videos": num_videos,
        "repeats": repeats,
        "clips_per_s": {name: round(rate, 2) for name, rate in rates.items()},
        "ratio_torchcodec": round(rates["ours_torchcodec"] / rates["anchor_load_video_torchcodec"], 3),
        "ratio_pyav": round(rates["ours_pyav"] / rates["anchor_load_video_pyav"], 3),
        "ratio_ours_torchcodec_over_ours_pyav": round(rates["ours_torchcodec"] / rates["ours_pyav"], 3),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
