"""Benchmark the K400-TA builder and the presence check.

1. K400-TA metadata from a full-size Kinetics-400-like annotation set (240,000 train + 20,000 validate rows over 400
   classes, 205 of them K400-TA's; generated here), built by ``build_k400_ta`` in a child process (wall time and peak
   RSS), against the anchor "pandas.read_csv + filter to the 205 classes + to_parquet" in another child process.
2. The presence check (``check_videos``: resolve, stat and probe each file) over N local mp4s (10,000; 200 with
   --quick), as clips checked per second, against the anchor "sequential PyAV open + decode of the first frame".

Prints one JSON line. Usage: ``python bench/bench_builders.py [--quick] [--workers N]``.
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing
import os
import random
import resource
import shutil
import tempfile
import time
from pathlib import Path


def write_annotations(folder: Path, num_train: int, num_val: int, seed: int = 0) -> None:
    """Kinetics-400-shaped CSVs: 400 labels (K400-TA's 205 under their Kinetics names, plus 195 others)."""
    from mt_datasets import get_taxonomy

    taxonomy = get_taxonomy("k400-ta")
    labels = [taxonomy.source_name(i) for i in range(len(taxonomy.fine_names))]
    labels += [f"other kinetics class {i}" for i in range(400 - len(labels))]
    rng = random.Random(seed)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
    for name, count, split in (("train.csv", num_train, "train"), ("validate.csv", num_val, "val")):
        with open(folder / name, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["label", "youtube_id", "time_start", "time_end", "split"])
            for _ in range(count):
                start = rng.randrange(0, 300)
                youtube_id = "".join(rng.choice(alphabet) for _ in range(11))
                writer.writerow([rng.choice(labels), youtube_id, start, start + 10, split])


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _ours(annotations: str, out: str, queue) -> None:
    from mt_datasets.sources.kinetics import build_k400_ta

    start = time.perf_counter()
    build_k400_ta(annotations, out)
    seconds = time.perf_counter() - start
    queue.put({"seconds": seconds, "peak_rss_mib": _peak_rss_mib()})


def _anchor(annotations: str, out: str, queue) -> None:
    import pandas as pd

    from mt_datasets import get_taxonomy

    taxonomy = get_taxonomy("k400-ta")
    keep = {taxonomy.source_name(i) for i in range(len(taxonomy.fine_names))}
    start = time.perf_counter()
    frames = []
    for name in ("train.csv", "validate.csv"):
        frame = pd.read_csv(Path(annotations) / name)
        frames.append(frame[frame["label"].isin(keep)])
    pd.concat(frames).to_parquet(Path(out) / "anchor.parquet")
    seconds = time.perf_counter() - start
    queue.put({"seconds": seconds, "peak_rss_mib": _peak_rss_mib()})


def _in_child(target, *args) -> dict:
    """Run ``target`` in a fresh process so its peak RSS is its own."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(*args, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def bench_metadata(work: Path, num_train: int, num_val: int) -> dict:
    annotations = work / "annotations"
    annotations.mkdir()
    write_annotations(annotations, num_train, num_val)
    (work / "anchor").mkdir()
    ours = _in_child(_ours, str(annotations), str(work / "k400-ta"))
    anchor = _in_child(_anchor, str(annotations), str(work / "anchor"))
    import pyarrow.parquet as pq

    rows = sum(pq.ParquetFile(p).metadata.num_rows for p in (work / "k400-ta" / "data").glob("*.parquet"))
    return {
        "annotation_rows": num_train + num_val,
        "k400_ta_rows": rows,
        "build_seconds": round(ours["seconds"], 2),
        "build_peak_rss_mib": round(ours["peak_rss_mib"], 1),
        "anchor_pandas_seconds": round(anchor["seconds"], 2),
        "anchor_pandas_peak_rss_mib": round(anchor["peak_rss_mib"], 1),
        "time_ratio_vs_anchor": round(ours["seconds"] / anchor["seconds"], 2),
    }


def bench_presence(work: Path, num_videos: int, workers: int | None) -> dict:
    import av
    import numpy as np

    from mt_datasets.sources.presence import FOUND, check_videos
    from mt_datasets.video import encode_mp4

    root = work / "videos" / "train"
    root.mkdir(parents=True)
    rng = np.random.default_rng(0)
    # a few distinct 64x64, 16-frame clips, copied to N files (probing cost does not depend on the content)
    sources = [encode_mp4(rng.integers(0, 255, (16, 64, 64, 3), dtype=np.uint8), fps=8) for _ in range(8)]
    names = [f"clip{i:06d}.mp4" for i in range(num_videos)]
    for i, name in enumerate(names):
        (root / name).write_bytes(sources[i % len(sources)])
    candidates = [(f"train/{name}",) for name in names]

    start = time.perf_counter()
    statuses = [status for status, _, _ in check_videos(work / "videos", candidates, workers=workers)]
    ours = time.perf_counter() - start
    assert statuses.count(FOUND) == num_videos

    start = time.perf_counter()
    for name in names:
        with av.open(str(root / name)) as container:
            next(container.decode(video=0))
    anchor = time.perf_counter() - start
    return {
        "videos": num_videos,
        "presence_clips_per_second": round(num_videos / ours, 1),
        "anchor_pyav_sequential_clips_per_second": round(num_videos / anchor, 1),
        "speed_ratio_vs_anchor": round(anchor / ours, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="8k + 1k annotation rows and 200 videos (what make test runs)"
    )
    parser.add_argument("--workers", type=int, default=None, help="threads of the presence check")
    args = parser.parse_args()
    num_train, num_val, num_videos = (8_000, 1_000, 200) if args.quick else (240_000, 20_000, 10_000)
    work = Path(tempfile.mkdtemp(prefix="bench-builders-"))
    try:
        result = {"benchmark": "builders", "quick": args.quick, "cpus": os.cpu_count()}
        result.update(bench_metadata(work, num_train, num_val))
        result.update(bench_presence(work, num_videos, args.workers))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
