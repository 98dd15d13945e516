"""A prepared GPU check: two paper-scale models train 20 steps and evaluate on the fast path, with the data path beside.

On a CUDA machine (within about 5 minutes): a VideoMAE-Base-geometry model (12 layers of width 768, random init,
16 x 224x224 clips) and the paper's I3D ResNet-50 (``resnet3d`` preset ``i3d-r50``, 8 x 224x224) each train
``--steps`` steps (baseline head, AdamW) and evaluate, at the precision
:func:`mt_models.runtime.fast_path.choose_fast_path`
picks (bf16 on a GPU that supports it). For each it reports clips/s of the training step, of evaluation, of the data
path (decoding real H.264 mp4s and resizing, on the GPU where this torchcodec can decode there, else on the CPU) and
the ratio data path / step (below 1: the step would wait for data). On a machine without CUDA it runs a tiny version
(the tiny VideoMAE and ``cpu-small`` at 32x32, a few steps); ``--quick`` is that version with 2 steps, which
``make test`` runs (tests/test_gpu_check.py).

    python bench/gpu_check.py [--tiny | --quick] [--steps 20] [--out results.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

BATCH = 8
SETUPS = {
    # name: (backbone, config or preset, frames, size)
    "videomae-base": ("videomae", dict(image_size=224, num_frames=16, tubelet_size=2, patch_size=16), 16, 224),
    "i3d-r50": ("resnet3d", "i3d-r50", 8, 224),
}
TINY_SETUPS = {"videomae-tiny": ("videomae", "tiny", 8, 32), "resnet3d-cpu-small": ("resnet3d", "cpu-small", 16, 32)}


def build_model(backbone: str, config: dict | str, device: torch.device) -> torch.nn.Module:
    """A randomly initialised baseline classifier over Syn-TA's 20 coarse classes."""
    from mt_datasets import get_taxonomy
    from mt_models import DisentangledVideoClassifier, create_backbone
    from mt_models.models.backbones import backbone_class
    from mt_models.models.resnet3d import PRESETS

    if config == "tiny":
        config = backbone_class(backbone).tiny_config
    elif isinstance(config, str):
        config = PRESETS[config]
    model = DisentangledVideoClassifier.for_training_set(
        create_backbone(backbone, config=config), get_taxonomy("syn-ta"), 1, head="baseline"
    )
    return model.to(device)


def make_videos(directory: Path, count: int, size: int) -> list[Path]:
    """``count`` real H.264 mp4s of 64 frames of ``size`` x ``size``: a square moving over noise."""
    from mt_datasets.video import encode_mp4

    rng = np.random.default_rng(0)
    paths = []
    for index in range(count):
        background = rng.integers(0, 255, (size, size, 3), dtype=np.uint8)
        frames = []
        for t in range(64):
            frame = background.copy()
            x = (t * size // 80 + index) % (size - size // 8)
            frame[size // 3 : size // 3 + size // 8, x : x + size // 8] = 255
            frames.append(frame)
        paths.append(directory / f"clip{index}.mp4")
        encode_mp4(frames, paths[-1])
    return paths


def data_path_rate(videos: list[Path], frames: int, spec: object, device: torch.device) -> tuple[float, str]:
    """Clips/s of decoding and resizing to the model's input on ``device``; where decoding ran."""
    from mt_datasets.video import read_clip, sample_indices
    from mt_models.models.preprocess import resize_and_crop

    try:
        from torchcodec.decoders import VideoDecoder
    except ImportError:  # no torchcodec: PyAV decodes on the CPU
        VideoDecoder = None  # noqa: N806

    decoder_device = "cpu"
    if device.type == "cuda" and VideoDecoder is not None:
        try:
            VideoDecoder(str(videos[0]), device="cuda")
            decoder_device = "cuda"
        except Exception:  # noqa: BLE001 - a CPU-only torchcodec: decode on the CPU, say so
            decoder_device = "cpu"
    start = time.perf_counter()
    for path in videos:
        if decoder_device == "cuda":
            decoder = VideoDecoder(str(path), device="cuda")
            indices = sample_indices(decoder.metadata.num_frames, frames)[0].tolist()
            clip = decoder.get_frames_at(indices=indices).data
        else:
            clip = read_clip(path, num_frames=frames).to(device)
        resize_and_crop(clip, spec)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return len(videos) / (time.perf_counter() - start), decoder_device


def measure(name: str, setup: tuple, device: torch.device, steps: int, videos: list[Path]) -> dict:
    """Training step, evaluation and data-path rates of one model."""
    from mt_models.models.preprocess import normalize
    from mt_models.runtime.fast_path import choose_fast_path

    backbone, config, frames, size = setup
    path = choose_fast_path(device, compile="no")
    torch.manual_seed(0)
    model = build_model(backbone, config, device).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    clips = torch.randint(0, 256, (BATCH, frames, 3, size, size), dtype=torch.uint8, device=device)
    labels = torch.randint(0, 20, (BATCH,), device=device)
    spec = model.input_spec

    def synchronize() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize()

    def step() -> float:
        with path.autocast():
            loss = model(normalize(clips, spec), coarse_labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        return float(loss.detach())

    losses = [step() for _ in range(2)]  # warm-up
    synchronize()
    start = time.perf_counter()
    losses += [step() for _ in range(steps)]
    synchronize()
    train_rate = BATCH * steps / (time.perf_counter() - start)
    model.eval()
    with torch.no_grad(), path.autocast():
        model(normalize(clips, spec))
        synchronize()
        start = time.perf_counter()
        for _ in range(steps):
            model(normalize(clips, spec)).coarse_logits.float().argmax(-1)
        synchronize()
    eval_rate = BATCH * steps / (time.perf_counter() - start)
    data_rate, decoded_on = data_path_rate(videos, frames, spec, device)
    return {
        "parameters": sum(p.numel() for p in model.parameters()),
        "clip": f"{BATCH} x {frames} x {size}x{size}",
        "precision": path.precision,
        "train_step_clips_per_s": round(train_rate, 2),
        "eval_clips_per_s": round(eval_rate, 2),
        "data_path_clips_per_s": round(data_rate, 2),
        "data_decoded_on": decoded_on,
        "data_over_train_step": round(data_rate / train_rate, 3),
        "losses_finite": bool(np.isfinite(losses).all()),
        "peak_gpu_memory_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2) if device.type == "cuda" else None,
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiny", action="store_true", help="the CPU version (also chosen where CUDA is missing)")
    parser.add_argument("--quick", action="store_true", help="the CPU version with 2 steps (a smoke run)")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--out", default=None, help="also write the JSON here")
    args = parser.parse_args(argv)
    if args.quick:
        args.tiny, args.steps = True, 2
    device = torch.device("cuda" if torch.cuda.is_available() and not args.tiny else "cpu")
    setups = SETUPS if device.type == "cuda" else TINY_SETUPS
    steps = args.steps if device.type == "cuda" else min(args.steps, 4)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        results = {}
        for name, setup in setups.items():
            videos = make_videos(Path(scratch), 16 if device.type == "cuda" else 4, 256 if setup[3] >= 224 else 64)
            results[name] = measure(name, setup, device, steps, videos)
    report = {
        "bench": "gpu_check",
        "device": torch.cuda.get_device_name(0) if device.type == "cuda" else f"cpu, {torch.get_num_threads()} threads",
        "torch": torch.__version__,
        "steps": steps,
        "seconds": round(time.perf_counter() - start, 1),
        **results,
    }
    print(json.dumps(report))
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    return report


if __name__ == "__main__":
    main()
