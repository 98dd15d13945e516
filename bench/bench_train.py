"""Training throughput: the project's loop against the raw step, on this CPU and on the AVX2-only path emulated here.

Three figures, in clips per second, each in a fresh process, for the demo's model (``resnet3d``, fg+diff input,
baseline head, 20 coarse classes) on batches of 16 clips of 16 frames of 32x32:

- (a) **the anchor**: the raw step (normalise, forward, backward, AdamW step) on in-memory uint8 tensors, fp32 eager,
  as the loop ran before it chose a fast path;
- (b) the raw step on the fast path :func:`mt_models.fast_path.choose_fast_path` picks for this machine (bf16 where
  the CPU has native bf16 instructions, compiled where a compiler works, channels_last_3d when compiled);
- (c) the project's real loop, :func:`mt_models.training.train` with the demo's options, over a generated Syn-TA
  (data loading, the in-memory clip cache, augmentation and the loop's bookkeeping included): its
  ``loop_clips_per_second`` from ``train_results.json`` (from the second step on, so compilation is not counted).

Targets on a 2-core machine: (c) >= 90% of (b) everywhere, and (c) >= 2.5x (a) where the CPU has native bf16.
``--cpu_family avx2`` runs the same three measurements with torch, oneDNN, the BLAS libraries and numpy held to AVX2
(:func:`mt_models.fast_path.avx2_environment`: ``ATEN_CPU_CAPABILITY=avx2``, ``ONEDNN_MAX_CPU_ISA=AVX2``, ...), which
is what an AMD EPYC without bf16 instructions runs; ``both`` (the default) measures the native path and then that one.

    python bench/bench_train.py [--quick] [--cpu_family native|avx2|both]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BATCH, FRAMES, SIZE, MODALITY = 16, 16, 32, "fg+diff"
BENCH_CLASSES = ("appearing", "disappearing", "rising", "falling", "bouncing", "orbiting")


def raw_step(fast: bool, steps: int, warmup: int) -> dict:
    """Clips/s of the raw step in this process: fp32 eager (``fast=False``) or this machine's fast path."""
    import torch

    from mt_datasets import get_taxonomy
    from mt_models import DisentangledVideoClassifier, create_backbone, normalize
    from mt_models.fast_path import CompiledStep, choose_fast_path

    torch.manual_seed(0)
    path = choose_fast_path("cpu", **({} if fast else {"mixed_precision": "no", "compile": "no"}))
    backbone = create_backbone("resnet3d", modality=MODALITY)
    model = DisentangledVideoClassifier.for_training_set(
        backbone, get_taxonomy("syn-ta"), 1, fine_loss_weight=0, decorrelation_weight=0, adversarial_weight=0
    ).train()
    path.prepare_model(model)
    forward = CompiledStep(model, path.compiled)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    frames = torch.randint(0, 256, (BATCH, FRAMES, 3, SIZE, SIZE), dtype=torch.uint8)
    labels = torch.randint(0, 20, (BATCH,))
    spec = model.input_spec

    def step() -> None:
        with path.autocast():
            loss = forward(normalize(frames, spec), coarse_labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()

    for _ in range(warmup):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return {"clips_per_s": BATCH * steps / (time.perf_counter() - start), "fast_path": path.describe()}


def real_loop(dataset: str, epochs: int) -> dict:
    """Clips/s of :func:`mt_models.training.train` with the demo's options, as it reports them."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
    import demo

    from mt_models.training import train, training_options

    with tempfile.TemporaryDirectory() as output_dir:
        arguments = ["--dataset", dataset, "--model", demo.DEFAULT_MODEL, "--output_dir", output_dir, "--baseline"]
        arguments += ["--num_epochs", str(epochs), "--batch_size", str(BATCH), "--modality", MODALITY]
        arguments += ["--learning_rate", str(demo.parse_args([]).learning_rate), *demo.DEFAULT_TRAIN_ARGS.split()]
        summary = train(training_options(arguments))
    return {"clips_per_s": summary["loop_clips_per_second"], "fast_path": summary["fast_path"]}


def measure_family(environment: dict[str, str], dataset: str, quick: bool) -> dict:
    """(a), (b), (c) in fresh processes under ``environment``; their ratios."""
    figures = {}
    for name in ("raw_fp32_eager", "raw_fast_path", "loop"):
        command = [sys.executable, __file__, "--measure", name, "--dataset", dataset] + (["--quick"] if quick else [])
        run = subprocess.run(command, capture_output=True, text=True, env=environment)
        if run.returncode:
            raise SystemExit(f"bench_train: {name} failed:\n{run.stderr[-3000:]}")
        figures[name] = json.loads(run.stdout.strip().splitlines()[-1])
    probe = subprocess.run(
        [sys.executable, "-c", "import torch; print(torch.backends.cpu.get_cpu_capability())"],
        capture_output=True, text=True, env=environment,
    )  # fmt: skip
    anchor, fast, loop = (figures[k]["clips_per_s"] for k in ("raw_fp32_eager", "raw_fast_path", "loop"))
    return {
        "cpu_capability": probe.stdout.strip(),
        "a_raw_fp32_eager_clips_per_s": anchor,
        "b_raw_fast_path_clips_per_s": fast,
        "c_loop_clips_per_s": loop,
        "b_over_a": fast / anchor,
        "c_over_a": loop / anchor,
        "c_over_b": loop / fast,
        "fast_path": figures["raw_fast_path"]["fast_path"],
        "loop_fast_path": figures["loop"]["fast_path"],
    }


def make_dataset(directory: Path) -> str:
    """A small Syn-TA in the demo's format (6 classes, the demo's frame size and clip length)."""
    from mt_datasets.syn_ta.generate import GenerationOptions, generate

    options = GenerationOptions.resolve(
        appearance_split="motion-only", preset="mini", size=64, clips_per_class=10, seed=0, classes=BENCH_CLASSES
    )
    generate(directory, options, workers=2, progress=False)
    return str(directory)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps and epochs")
    parser.add_argument("--cpu_family", default="both", choices=["native", "avx2", "both"])
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # internal: one measurement in this process
    parser.add_argument("--dataset", help=argparse.SUPPRESS)
    args = parser.parse_args()
    steps, warmup, epochs = (6, 3, 2) if args.quick else (30, 5, 4)
    if args.measure == "loop":
        print(json.dumps(real_loop(args.dataset, epochs)))
        return
    if args.measure:
        print(json.dumps(raw_step(args.measure == "raw_fast_path", steps, warmup)))
        return
    from mt_models.fast_path import avx2_environment

    families = {"native": dict(os.environ), "avx2": avx2_environment()}
    chosen = list(families) if args.cpu_family == "both" else [args.cpu_family]
    with tempfile.TemporaryDirectory() as scratch:
        dataset = make_dataset(Path(scratch) / "syn-ta")
        results = {name: measure_family(families[name], dataset, args.quick) for name in chosen}
    print(
        json.dumps(
            {
                "bench": "train",
                "anchor": "(a) the raw step in fp32 eager mode, in-memory tensors",
                "clip": f"{BATCH} x {FRAMES} x {SIZE}x{SIZE}, {MODALITY}, resnet3d, baseline head",
                **results,
            }
        )
    )


if __name__ == "__main__":
    main()
