"""Training throughput per CPU kind: the four raw modes, the automatic pick and the real loop, against fp32 eager.

For the demo's model (``resnet3d``, fg+diff input, baseline head, 20 coarse classes) on batches of 16 clips of the
demo's frames (``examples/demo.py``'s ``DEFAULT_FRAMES``, 8) of 32x32, on each CPU kind (this machine's own, and the
two emulated on it: ``avx512_core``, AVX-512 without bf16 instructions, and ``avx2``;
:data:`mt_models.runtime.fast_path.CPU_KINDS`), each figure in a fresh process:

- **the anchor, (a)**: the raw step (forward, backward, AdamW step on in-memory tensors) in fp32 eager mode;
- the raw step in the other three modes: bf16 eager, fp32 compiled + channels_last_3d, bf16 compiled + cl;
- **the automatic pick**: what :func:`mt_models.runtime.fast_path.choose_fast_path` chooses when it times the candidates
  itself (cache off, the demo's number of steps), the seconds it spent timing, and the pick's raw rate as a fraction of
  the fastest raw mode and of the fastest mode it may take on a CPU, an eager one (target: >= 0.9; torch 2.13's
  compiled CPU training crashed or trained to NaN on this model:
  :data:`mt_models.runtime.fast_path.CPU_COMPILE_NOT_AUTOMATIC`);
- **(c) the real loop**: :func:`mt_models.train.loop.train` with the demo's options over a generated Syn-TA (data, the
  clip cache, augmentation, bookkeeping), its ``loop_clips_per_second`` (from the second step on);
- the fastest mode's achieved GFLOP/s (forward + backward FLOPs of one clip from ``torch.utils.flop_counter``, times
  clips/s) as a fraction of this kind's dense GEMM GFLOP/s (2048^3 ``torch.mm``) in the same precision.

    python bench/bench_train.py [--quick] [--kinds native avx512_core avx2]

``--quick`` (what ``make test`` runs): the native kind only, eager modes, a few steps of batch 4, a one-epoch loop.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
import demo  # noqa: E402  (examples/demo.py: the recipe measured here is the demo's)

# One run per `make bench`: three CPU kinds, each with its compilations, take ~15 minutes.
BENCH_MAX_REPEATS = 1
BATCH, FRAMES, SIZE, MODALITY = 16, demo.DEFAULT_FRAMES, 32, "fg+diff"
QUICK_BATCH = 4
BENCH_CLASSES = ("appearing", "disappearing", "rising", "falling", "bouncing", "orbiting")
MODES = {  # name: (precision, compiled); channels_last_3d follows compilation
    "fp32 eager": ("no", False),
    "bf16 eager": ("bf16", False),
    "fp32 compiled+cl": ("no", True),
    "bf16 compiled+cl": ("bf16", True),
}
QUICK_MODES = ("fp32 eager", "bf16 eager")
# The demo's steps per training: its 1,908 training clips (set 1 of motion-only: 53 fine variants x 2 views x 18
# training clips) in batches of 16, for its epochs.
DEMO_STEPS = -(-1908 // BATCH) * demo.DEFAULT_EPOCHS


def demo_model_and_inputs(batch: int):
    """The demo's model (baseline head, fresh weights) and one training batch of its shape."""
    import torch

    from mt_datasets import get_taxonomy
    from mt_models import DisentangledVideoClassifier, create_backbone, normalize

    torch.manual_seed(0)
    backbone = create_backbone("resnet3d", modality=MODALITY)
    model = DisentangledVideoClassifier.for_training_set(backbone, get_taxonomy("syn-ta"), 1, head="baseline")
    frames = torch.randint(0, 256, (batch, FRAMES, 3, SIZE, SIZE), dtype=torch.uint8)
    inputs = {"pixel_values": normalize(frames, model.input_spec), "coarse_labels": torch.randint(0, 20, (batch,))}
    return model, inputs


def raw_mode(name: str, batch: int, steps: int) -> dict:
    """Clips/s of the raw training step in mode ``name`` (after two warm-up calls, which include compiling)."""
    import statistics

    from mt_models.runtime.autotune import Candidate, training_step_factory

    precision, compiled = MODES[name]
    model, inputs = demo_model_and_inputs(batch)
    step = training_step_factory(model, inputs, training=True, device_type="cpu")(
        Candidate(precision, compiled, compiled)
    )
    started = time.perf_counter()
    step()
    first = time.perf_counter() - started
    step()
    durations = []
    for _ in range(steps):
        started = time.perf_counter()
        step()
        durations.append(time.perf_counter() - started)
    median = statistics.median(durations)
    return {"clips_per_s": batch / median, "first_call_s": first}


def automatic_pick(batch: int, quick: bool) -> dict:
    """What the product picks when it times the candidates itself (no cache), and how long that took."""
    import os

    from mt_models.runtime.fast_path import choose_fast_path

    os.environ["MT_FAST_PATH_CACHE"] = "off"
    model, inputs = demo_model_and_inputs(batch)
    started = time.perf_counter()
    path = choose_fast_path("cpu", model=model, inputs=inputs, total_steps=DEMO_STEPS, **(
        {"compile": "no"} if quick else {}))  # fmt: skip
    return {"pick": path.name, "timing_s": time.perf_counter() - started, "line": path.describe()}


def real_loop(dataset: str, epochs: int, batch: int, quick: bool) -> dict:
    """Clips/s of :func:`mt_models.train.loop.train` with the demo's options, as it reports them."""
    import os

    from mt_models.train.loop import train, training_options

    os.environ["MT_FAST_PATH_CACHE"] = "off"  # the loop times its own path, as on a fresh machine
    with tempfile.TemporaryDirectory() as output_dir:
        arguments = ["--dataset", dataset, "--model", demo.DEFAULT_MODEL, "--output_dir", output_dir, "--baseline"]
        arguments += ["--num_epochs", str(epochs), "--batch_size", str(batch), "--modality", MODALITY]
        arguments += ["--num_frames", str(FRAMES)]
        arguments += ["--learning_rate", str(demo.parse_args([]).learning_rate), *demo.DEFAULT_TRAIN_ARGS.split()]
        arguments += ["--compile", "no"] if quick else []
        summary = train(training_options(arguments))
    return {"clips_per_s": summary["loop_clips_per_second"], "pick": summary["fast_path"]["name"]}


def flops_per_clip(batch: int) -> dict:
    """Forward + backward FLOPs of one clip, and this kind's dense GEMM GFLOP/s in fp32 and bf16."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    model, inputs = demo_model_and_inputs(batch)
    with FlopCounterMode(display=False) as counter:
        model(**inputs).loss.backward()
    gemm = {}
    size = 1024 if batch == QUICK_BATCH else 2048
    for precision, dtype in (("no", torch.float32), ("bf16", torch.bfloat16)):
        a, b = torch.randn(size, size, dtype=dtype), torch.randn(size, size, dtype=dtype)
        torch.mm(a, b)
        started, repeats = time.perf_counter(), 0
        while time.perf_counter() - started < (0.3 if batch == QUICK_BATCH else 2.0):
            torch.mm(a, b)
            repeats += 1
        gemm[precision] = 2 * size**3 * repeats / (time.perf_counter() - started) / 1e9
    return {"gflop_per_clip": counter.get_total_flops() / batch / 1e9, "gemm_gflops": gemm}


def in_fresh_process(measure: str, environment: dict, *extra: str) -> dict:
    """Run one measurement of this script in a fresh process under ``environment``; its JSON result."""
    run = subprocess.run([sys.executable, __file__, "--measure", measure, *extra], capture_output=True, text=True,
                         env=environment)  # fmt: skip
    if run.returncode:
        raise SystemExit(f"bench_train: {measure} failed:\n{run.stderr[-3000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def measure_kind(environment: dict, dataset: str, quick: bool) -> dict:
    """The figures of one CPU kind (module docstring)."""
    flags = ["--quick"] if quick else []
    kind = in_fresh_process("describe", environment)
    modes, failed = {}, {}
    for name in QUICK_MODES if quick else MODES:
        try:
            modes[name] = in_fresh_process(f"mode:{name}", environment, *flags)
        except SystemExit as error:  # a compiled mode can fail on a machine (said in the figures); eager ones must not
            if not MODES[name][1]:
                raise
            failed[name] = str(error).strip().splitlines()[-1][:200]
    anchor = modes["fp32 eager"]["clips_per_s"]
    fastest = max(modes, key=lambda name: modes[name]["clips_per_s"])
    # What --compile auto may take on a CPU: the eager modes (fast_path.CPU_COMPILE_NOT_AUTOMATIC).
    fastest_automatic = max((n for n in modes if not MODES[n][1]), key=lambda name: modes[name]["clips_per_s"])
    pick = in_fresh_process("pick", environment, *flags)

    def pick_over(mode: str) -> float | None:
        """The pick's raw rate as a fraction of ``mode``'s (``None`` if the pick's mode was not timed raw)."""
        if pick["pick"] not in modes:
            return None
        return round(modes[pick["pick"]]["clips_per_s"] / modes[mode]["clips_per_s"], 3)

    loop = in_fresh_process("loop", environment, "--dataset", dataset, *flags)
    work = in_fresh_process("flops", environment, *flags)
    achieved = work["gflop_per_clip"] * modes[fastest]["clips_per_s"]
    gemm = work["gemm_gflops"][MODES[fastest][0]]
    return {
        **kind,
        "modes_clips_per_s": {name: round(m["clips_per_s"], 1) for name, m in modes.items()},
        "modes_over_anchor": {name: round(m["clips_per_s"] / anchor, 2) for name, m in modes.items()},
        "compile_s": {name: round(m["first_call_s"], 1) for name, m in modes.items() if MODES[name][1]},
        "modes_failed": failed,
        "fastest_mode": fastest,
        "automatic_pick": pick["pick"],
        "pick_over_fastest": pick_over(fastest),
        "fastest_automatic_mode": fastest_automatic,
        "pick_over_fastest_automatic": pick_over(fastest_automatic),
        "pick_timing_s": round(pick["timing_s"], 1),
        "pick_line": pick["line"],
        "c_loop_clips_per_s": loop["clips_per_s"],
        "c_over_a": round(loop["clips_per_s"] / anchor, 2) if loop["clips_per_s"] else None,
        "loop_pick": loop["pick"],
        "gflop_per_clip": round(work["gflop_per_clip"], 3),
        "achieved_gflops": round(achieved, 1),
        "gemm_gflops": {k: round(v, 1) for k, v in work["gemm_gflops"].items()},
        "fraction_of_gemm": round(achieved / gemm, 3),
    }


def describe_kind() -> dict:
    """The CPU kind of this process: model name, torch's capability, bf16 as :func:`native_bf16` calls it."""
    from mt_models.runtime.autotune import cpu_description
    from mt_models.runtime.fast_path import cpu_capability, native_bf16

    return {"cpu": cpu_description()["model_name"], "torch_capability": cpu_capability(), "bf16": native_bf16("cpu")[1]}


def make_dataset(directory: Path, quick: bool) -> str:
    """A small Syn-TA in the demo's format (6 classes, the demo's frame size and clip length)."""
    from mt_datasets.syn_ta.generate import GenerationOptions, generate

    options = GenerationOptions.resolve(appearance_split="motion-only", preset="mini", size=64, seed=0,
                                        clips_per_class=2 if quick else 10,
                                        classes=BENCH_CLASSES[:2] if quick else BENCH_CLASSES)  # fmt: skip
    generate(directory, options, workers=2, progress=False)
    return str(directory)


def run_measurement(measure: str, dataset: str | None, quick: bool) -> dict:
    """One measurement, in this process."""
    batch = QUICK_BATCH if quick else BATCH
    if measure == "describe":
        return describe_kind()
    if measure.startswith("mode:"):
        return raw_mode(measure.removeprefix("mode:"), batch, 3 if quick else 20)
    if measure == "pick":
        return automatic_pick(batch, quick)
    if measure == "loop":
        return real_loop(dataset, 1 if quick else 3, batch, quick)
    if measure == "flops":
        return flops_per_clip(batch)
    raise SystemExit(f"bench_train: unknown measurement {measure!r}")


def main() -> None:
    from mt_models.runtime.fast_path import CPU_KINDS

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="native kind, eager modes, few steps (a smoke run)")
    parser.add_argument("--kinds", nargs="+", choices=list(CPU_KINDS), default=None,
                        help="CPU kinds to measure (default: all three; --quick: native)")  # fmt: skip
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # internal: one measurement in this process
    parser.add_argument("--dataset", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(run_measurement(args.measure, args.dataset, args.quick)))
        return
    kinds = args.kinds or (["native"] if args.quick else list(CPU_KINDS))
    with tempfile.TemporaryDirectory() as scratch:
        dataset = make_dataset(Path(scratch) / "syn-ta", args.quick)
        results = {kind: measure_kind(CPU_KINDS[kind](), dataset, args.quick) for kind in kinds}
    batch = QUICK_BATCH if args.quick else BATCH
    print(json.dumps({
        "bench": "train",
        "anchor": "the raw step in fp32 eager mode, in-memory tensors",
        "clip": f"{batch} x {FRAMES} x {SIZE}x{SIZE}, {MODALITY}, resnet3d, baseline head",
        **results,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
