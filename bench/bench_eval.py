"""Eval throughput: our eval path against transformers' video-classification pipeline, same model and clips.

Three comparisons, in one run, on one machine:

* **end to end** (clips/s), at the same batch size and at the pipeline's default batch size of 1:
  ``examples/eval.py``'s path (``VideoClipDataset`` decoding in DataLoader workers, uint8
  resize/crop there, batched normalisation and a batched forward of a ``DisentangledVideoClassifier``) against
  ``pipeline("video-classification")`` with the same VideoMAE weights (``VideoMAEForVideoClassification``), fed the
  same mp4 files;
* **our pipeline** (clips/s): ``pipeline("video-classification", model=<saved classifier>)`` after
  ``import mt_models`` (:mod:`mt_models.models.pipeline`: ``read_clip`` + ``preprocess``, batched, decoding in
  ``num_workers`` DataLoader processes) on the same classifier as our eval path, at the same batch size and at batch
  size 1, against our eval path and against transformers' pipeline;
* **data path alone** (clips/s): decode + sample + preprocess, ours against ``transformers.video_utils.load_video``
  plus the checkpoint's image processor (transformers' video processors need torchvision, which this torch lacks).

The model is a randomly initialised VideoMAE small enough for a CPU but not trivial (112 px, 8 frames, 4 layers of
width 192). Prints one JSON line; ``--quick`` (what ``make test`` runs) uses 4 clips in batches of 2.

    python bench/bench_eval.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from datasets import ClassLabel, Dataset, Features, Value, Video
from transformers import VideoMAEConfig, VideoMAEForVideoClassification, pipeline
from transformers.video_utils import load_video

from mt_datasets import get_taxonomy
from mt_datasets.video import encode_mp4
from mt_models import DisentangledVideoClassifier, create_backbone, normalize  # also registers our pipeline
from mt_models.runtime.data import VideoClipDataset, make_dataloader

MODEL_CONFIG = dict(
    image_size=112, patch_size=16, num_frames=8, tubelet_size=2, hidden_size=192, num_hidden_layers=4,
    num_attention_heads=3, intermediate_size=768, num_labels=5,
)  # fmt: skip
PREPROCESSOR = {
    "image_processor_type": "VideoMAEImageProcessor",
    "image_mean": [0.485, 0.456, 0.406],
    "image_std": [0.229, 0.224, 0.225],
    "size": {"shortest_edge": 128},
    "crop_size": {"height": 112, "width": 112},
    "do_resize": True,
    "do_center_crop": True,
    "do_rescale": True,
    "rescale_factor": 1 / 255,
    "do_normalize": True,
}


def make_clips(out_dir: Path, count: int, *, frames: int = 48, height: int = 144, width: int = 176) -> list[str]:
    """``count`` H.264 mp4s of moving noise blocks (not constant: the decoder does real work)."""
    rng = np.random.default_rng(0)
    paths = []
    base = rng.integers(0, 256, size=(height // 8, width // 8, 3), dtype=np.uint8)
    for k in range(count):
        video = []
        for t in range(frames):
            shifted = np.roll(base, shift=(t + k) % (width // 8), axis=1)
            video.append(np.kron(shifted, np.ones((8, 8, 1), dtype=np.uint8)))
        path = out_dir / f"clip{k:03d}.mp4"
        encode_mp4(video, path, fps=24)
        paths.append(str(path))
    return paths


def make_checkpoint(out_dir: Path) -> Path:
    torch.manual_seed(0)
    VideoMAEForVideoClassification(VideoMAEConfig(**MODEL_CONFIG)).save_pretrained(out_dir)
    (out_dir / "preprocessor_config.json").write_text(json.dumps(PREPROCESSOR))
    return out_dir


def clip_dataset(paths: list[str]) -> Dataset:
    features = Features({"video": Video(), "coarse_label": ClassLabel(num_classes=5), "fine_label": Value("int64")})
    return Dataset.from_dict(
        {"video": paths, "coarse_label": [0] * len(paths), "fine_label": [0] * len(paths)}, features=features
    )


def our_classifier(checkpoint: Path) -> DisentangledVideoClassifier:
    """The classifier both our eval path and our pipeline run: the checkpoint's VideoMAE with the heads that training
    on Syn-TA's set 1 builds (``examples/train.py``'s defaults: the label spaces of the training set, the default
    head)."""
    torch.manual_seed(0)
    return DisentangledVideoClassifier.for_training_set(
        create_backbone(str(checkpoint)), get_taxonomy("syn-ta"), 1
    ).eval()


def ours_end_to_end(model: DisentangledVideoClassifier, paths: list[str], batch_size: int, num_workers: int) -> float:
    spec = model.input_spec
    loader = make_dataloader(
        VideoClipDataset(clip_dataset(paths), spec), batch_size=batch_size, num_workers=num_workers
    )
    start = time.perf_counter()
    predictions = []
    with torch.inference_mode():
        for batch in loader:
            predictions.append(model(normalize(batch["frames"], spec)).coarse_logits.argmax(-1))
    elapsed = time.perf_counter() - start
    assert sum(len(p) for p in predictions) == len(paths)
    return len(paths) / elapsed


def pipeline_end_to_end(checkpoint: Path, paths: list[str], batch_size: int, num_workers: int = 0) -> float:
    """``pipeline("video-classification")`` on ``checkpoint``: transformers' for a VideoMAE, ours for our classifier."""
    classifier = pipeline("video-classification", model=str(checkpoint))
    classifier(paths[0])  # warm-up, as our loop's first batch pays for worker start-up
    start = time.perf_counter()
    outputs = classifier(paths, batch_size=batch_size, num_workers=num_workers)
    elapsed = time.perf_counter() - start
    assert len(outputs) == len(paths)
    return len(paths) / elapsed


def ours_data_path(paths: list[str], spec, num_workers: int, batch_size: int) -> float:
    loader = make_dataloader(
        VideoClipDataset(clip_dataset(paths), spec), batch_size=batch_size, num_workers=num_workers
    )
    start = time.perf_counter()
    count = sum(len(normalize(batch["frames"], spec)) for batch in loader)
    return count / (time.perf_counter() - start)


def anchor_data_path(checkpoint: Path, paths: list[str], num_frames: int) -> float:
    from transformers import AutoImageProcessor

    processor = AutoImageProcessor.from_pretrained(str(checkpoint))
    start = time.perf_counter()
    for path in paths:
        frames, _ = load_video(path, num_frames=num_frames)
        processor(list(frames), return_tensors="pt")
    return len(paths) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="4 clips in batches of 2 instead of 64 in batches of 8")
    parser.add_argument("--batch_size", type=int, default=None, help="clips per batch (default 8; 2 with --quick)")
    parser.add_argument("--num_workers", type=int, default=2)
    args = parser.parse_args()
    count = 4 if args.quick else 64
    if args.batch_size is None:
        args.batch_size = 2 if args.quick else 8
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "clips").mkdir()
        paths = make_clips(tmp / "clips", count)
        checkpoint = make_checkpoint(tmp / "model")
        spec = create_backbone(str(checkpoint)).input_spec
        classifier = our_classifier(checkpoint)
        classifier.save_pretrained(tmp / "classifier")
        ours = ours_end_to_end(classifier, paths, args.batch_size, args.num_workers)
        anchor = pipeline_end_to_end(checkpoint, paths, args.batch_size)
        anchor_default = pipeline_end_to_end(checkpoint, paths, 1)
        our_pipeline = pipeline_end_to_end(tmp / "classifier", paths, args.batch_size, args.num_workers)
        our_pipeline_default = pipeline_end_to_end(tmp / "classifier", paths, 1)
        ours_data = ours_data_path(paths, spec, args.num_workers, args.batch_size)
        ours_data_one_process = ours_data_path(paths, spec, 0, args.batch_size)
        anchor_data = anchor_data_path(checkpoint, paths, spec.num_frames)
    print(
        json.dumps(
            {
                "bench": "eval",
                "clips": count,
                "clip": "48 frames 176x144 H.264 -> 8 x 112x112",
                "model": "VideoMAE 4x192, random weights",
                "torch_threads": torch.get_num_threads(),
                "ours_eval_clips_per_s": round(ours, 2),
                "anchor_pipeline_clips_per_s": round(anchor, 2),
                "eval_speedup": round(ours / anchor, 2),
                "anchor_pipeline_batch1_clips_per_s": round(anchor_default, 2),
                "eval_speedup_vs_pipeline_batch1": round(ours / anchor_default, 2),
                "our_pipeline_clips_per_s": round(our_pipeline, 2),
                "our_pipeline_batch1_clips_per_s": round(our_pipeline_default, 2),
                "our_pipeline_vs_transformers_pipeline": round(our_pipeline / anchor, 2),
                "our_pipeline_batch1_vs_transformers_pipeline_batch1": round(our_pipeline_default / anchor_default, 2),
                "our_pipeline_vs_our_eval": round(our_pipeline / ours, 2),
                "ours_data_path_clips_per_s": round(ours_data, 2),
                "ours_data_path_one_process_clips_per_s": round(ours_data_one_process, 2),
                "anchor_load_video_image_processor_clips_per_s": round(anchor_data, 2),
                "data_path_speedup": round(ours_data / anchor_data, 2),
                "data_path_speedup_one_process": round(ours_data_one_process / anchor_data, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
