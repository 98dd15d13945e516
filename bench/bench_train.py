"""Training throughput: the demo's `resnet3d` (fg+diff) against the tiny VideoMAE the demo used before, same clips.

Both models are a `DisentangledVideoClassifier` (baseline head, 20 coarse classes) built from a config, trained with
AdamW on batches of 16 clips of 16 frames of 32x32 in the fg+diff modality (6 channels), the same uint8 tensors for
both: the figure is clips per second of the whole step (normalise, forward, backward, optimizer step), after warm-up
steps. The anchor is the VideoMAE of 2 layers of width 64 (patch 8, tubelet 2) that the demo trained from scratch
before (and that stayed at chance). Each model runs in its own fresh process, so peak memory (maximum resident set
size) is the model's alone. Prints one JSON line; ``--quick`` times fewer steps.

    python bench/bench_train.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import torch

BATCH, FRAMES, SIZE, MODALITY = 16, 16, 32, "fg+diff"
ANCHOR_VIDEOMAE = dict(
    image_size=SIZE, patch_size=8, num_frames=FRAMES, tubelet_size=2, hidden_size=64, num_hidden_layers=2,
    num_attention_heads=4, intermediate_size=128,
)  # fmt: skip


def measure(name: str, steps: int, warmup: int) -> dict:
    """Train one model for ``warmup + steps`` steps in this process; clips/s over the timed steps, peak RSS."""
    from mt_datasets import get_taxonomy
    from mt_models import DisentangledVideoClassifier, create_backbone, normalize

    torch.manual_seed(0)
    config = ANCHOR_VIDEOMAE if name == "videomae" else None
    backbone = create_backbone(name, config=config, modality=MODALITY)
    model = DisentangledVideoClassifier.for_training_set(
        backbone, get_taxonomy("syn-ta"), 1, fine_loss_weight=0, decorrelation_weight=0, adversarial_weight=0
    ).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    frames = torch.randint(0, 256, (BATCH, FRAMES, 3, SIZE, SIZE), dtype=torch.uint8)
    labels = torch.randint(0, 20, (BATCH,))
    spec = model.input_spec

    def step() -> None:
        loss = model(normalize(frames, spec), coarse_labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()

    for _ in range(warmup):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    seconds = time.perf_counter() - start
    return {
        "parameters": sum(p.numel() for p in model.parameters()),
        "clips_per_s": BATCH * steps / seconds,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--model", help=argparse.SUPPRESS)  # internal: measure one model in this process
    args = parser.parse_args()
    steps, warmup = (5, 2) if args.quick else (30, 5)
    if args.model:
        print(json.dumps(measure(args.model, steps, warmup)))
        return
    results = {}
    for name in ("resnet3d", "videomae"):
        command = [sys.executable, __file__, "--model", name] + (["--quick"] if args.quick else [])
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        results[name] = json.loads(output.strip().splitlines()[-1])
    print(
        json.dumps(
            {
                "bench": "train",
                "anchor": "tiny VideoMAE (2 layers, width 64) of the earlier demo, same clips and head",
                "clip": f"{BATCH} x {FRAMES} x {SIZE}x{SIZE}, {MODALITY}",
                "resnet3d": results["resnet3d"],
                "videomae": results["videomae"],
                "throughput_ratio": results["resnet3d"]["clips_per_s"] / results["videomae"]["clips_per_s"],
                "memory_ratio": results["resnet3d"]["peak_rss_mib"] / results["videomae"]["peak_rss_mib"],
                "torch_threads": torch.get_num_threads(),
            }
        )
    )


if __name__ == "__main__":
    main()
