"""The fastest correct way to run a model on this machine: precision, compilation and memory format, measured.

Machines differ, and so does their fast path, and a CPU flag does not tell it: oneDNN reports bf16 as supported on an
AVX-512 CPU without AVX512_BF16/AMX, where it emulates it and bf16 trains 2.3x *slower* than fp32 compiled; on an
AVX2-only CPU bf16 autocast is ~36x slower; with AMX-BF16 bf16 compiled is the fastest path. So
:func:`choose_fast_path`, given the run's model and an input of its batch shape, times the candidate paths on them
(:mod:`mt_models.runtime.autotune`: measured once per CPU, kernel settings, torch version, model and shape, then
cached) and
takes the one that finishes the run soonest, compile time included. Each setting may be forced instead (``"no"`` /
``"bf16"``, ``True`` / ``False``); what was chosen, the figures and why fit one line (:meth:`FastPath.describe`), which
the training loop and the evaluation print and record.

- **Precision.** ``no`` (fp32) or ``bf16`` (autocast, weights stay fp32), timed. The CPU's bf16 instructions
  (:func:`native_bf16`: AVX512-BF16 or AMX, and oneDNN allowed to use them) only put bf16 first in the order.
  ``fp16`` runs on a CUDA GPU only: a CPU refuses it in one line.
- **Compilation.** ``torch.compile`` where a compiler works (a C++ compiler on the ``PATH`` for CPU, and a tiny
  function compiled and run once as a probe), timed against eager mode; a compilation counts against its path over the
  run's own number of steps. :class:`CompiledStep` falls back to eager mode if compiling the model fails later. On a
  CPU ``auto`` stays eager (:data:`CPU_COMPILE_NOT_AUTOMATIC`: torch 2.13's compiled CPU path crashed or trained to
  NaN on these models); ``--compile yes`` forces it.
- **Memory format.** ``channels_last_3d`` for 3D convolutions (5-D weights) when the run is compiled, where Inductor
  lays out the convolutions for it; eager runs keep the default layout.

Without a model to time (``model=None``), nothing is measured: ``auto`` means fp32, compiled where a compiler works
(never on a CPU).

>>> path = choose_fast_path("cpu", mixed_precision="no", compile=False)
>>> path.precision, path.compiled
('no', False)
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import torch

from mt_models.options import (  # light homes: the scripts' --help shows these options
    COMPILE_CHOICES,
    COMPILE_ENVIRONMENT,
    PRECISION_CHOICES,
    PRECISION_ENVIRONMENT,
    add_compile_arguments,
    add_precision_argument,
    environment_choice,
)
from mt_models.runtime import autotune
from mt_models.runtime.autotune import Candidate, CompiledStep, compile_failure  # re-exported: their old home

__all__ = [
    "COMPILE_CHOICES",
    "COMPILE_ENVIRONMENT",
    "CPU_COMPILE_NOT_AUTOMATIC",
    "PRECISION_ENVIRONMENT",
    "add_compile_arguments",
    "CPU_KINDS",
    "avx2_environment",
    "avx512_core_environment",
    "bf16_runs",
    "unavailable_precision",
    "compile_failure",
    "add_precision_argument",
    "PRECISION_CHOICES",
    "CompiledStep",
    "FastPath",
    "choose_fast_path",
    "compiler_works",
    "cpu_capability",
    "evaluation_accelerator",
    "native_bf16",
    "new_accelerator",
    "parse_switch",
    "process_state",
]

logger = logging.getLogger(__name__)


def cpu_capability() -> str:
    """The CPU kernel family torch dispatches to (``"AVX512"``, ``"AVX2"``, ...; honours ``ATEN_CPU_CAPABILITY``)."""
    try:
        return str(torch.backends.cpu.get_cpu_capability())
    except (AttributeError, RuntimeError):  # an old or exotic build: say so rather than guess
        return "unknown"


def native_bf16(device: torch.device | str) -> tuple[bool, str]:
    """Whether ``device`` computes bf16 natively, and the reason, as one phrase.

    On a CPU, native means AVX512-BF16 or AMX-BF16 instructions *and* oneDNN allowed to use them
    (``ONEDNN_MAX_CPU_ISA`` at ``AVX512_CORE_BF16`` or above): oneDNN's own "bf16 supported" is also true where it
    only emulates bf16 (AVX-512 without those instructions), which is many times slower.
    """
    device = torch.device(device)
    if device.type == "cuda":
        supported = torch.cuda.is_bf16_supported()
        return supported, f"CUDA device {'supports' if supported else 'does not support'} bf16"
    if device.type != "cpu":
        return False, f"bf16 is not chosen automatically on {device.type}"
    try:
        onednn_bf16 = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
        instructions = bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except (AttributeError, RuntimeError):
        return False, "this torch build cannot tell whether the CPU has bf16 instructions"
    isa = os.environ.get("ONEDNN_MAX_CPU_ISA", os.environ.get("DNNL_MAX_CPU_ISA", "ALL")).upper()
    isa_allows = isa == "ALL" or isa.startswith(("AVX512_CORE_BF16", "AVX512_CORE_AMX", "AVX10", "AVX512_CORE_FP16"))
    if instructions and onednn_bf16 and isa_allows:
        return True, "native bf16 (AVX512-BF16/AMX)"
    if onednn_bf16 and not instructions:
        return False, "bf16 emulated by oneDNN (no AVX512-BF16/AMX instructions)"
    if instructions and not isa_allows:
        return False, f"bf16 instructions held back by ONEDNN_MAX_CPU_ISA={isa}"
    return False, "no bf16 on this CPU"


def bf16_runs(device: torch.device | str) -> bool:
    """Whether bf16 autocast runs on ``device`` at all (natively or emulated): whether it is a candidate to time."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return device.type == "cpu"


@functools.cache
def compiler_works(device_type: str = "cpu") -> tuple[bool, str]:
    """Whether ``torch.compile`` works for ``device_type``: a compiler is found, and a tiny probe compiles and runs."""
    if device_type == "cpu":
        compiler = next((name for name in ("g++", "c++", "clang++") if shutil.which(name)), None)
        if compiler is None:
            return False, "no C++ compiler on the PATH for torch.compile"
    elif device_type != "cuda":
        return False, f"torch.compile is not tried on {device_type}"
    try:
        probe = torch.compile(lambda x: torch.nn.functional.relu(x * 2.0 + 1.0), dynamic=False)
        probe(torch.ones(8, device=device_type))
    except Exception as error:  # noqa: BLE001 - any failure of the compiler means: run eagerly
        return False, f"torch.compile failed its probe ({type(error).__name__}: {str(error).splitlines()[0][:120]})"
    return True, "torch.compile works"


# Why ``--compile auto`` never compiles on a CPU (issue 26, measured on an Intel Xeon with AVX-512, 2026-12-07): the
# compiled path of torch 2.13's Inductor is not safe for this package's models there. Compiled with its loss, the
# demo's training corrupted the heap within its first steps (``free(): invalid pointer``); with the backbone alone
# compiled (:class:`CompiledStep`) it still aborted at the demo's 8 frames under ``ONEDNN_MAX_CPU_ISA=AVX512_CORE``
# and trained to NaN weights with AVX2 kernels. A crash or a NaN is not a speed, so the timed candidates on a CPU are
# eager ones (fp32 and bf16); ``--compile yes`` / ``MT_COMPILE=yes`` still compiles (the backbone only).
CPU_COMPILE_NOT_AUTOMATIC = (
    "torch.compile is not taken automatically on a CPU (with torch 2.13 its compiled training crashed or trained to "
    "NaN on these models; --compile yes forces it)"
)


def parse_switch(value: str | bool | None, name: str) -> bool | None:
    """``"auto"``/``None`` -> ``None``; ``"yes"``/``"no"`` (or a bool) -> ``True``/``False``; else ``ValueError``."""
    if value is None or isinstance(value, bool):
        return value
    choices = {"auto": None, "yes": True, "true": True, "on": True, "no": False, "false": False, "off": False}
    if str(value).lower() not in choices:
        raise ValueError(f"{name} must be one of auto, yes, no; got {value!r}")
    return choices[str(value).lower()]


@dataclass(frozen=True)
class FastPath:
    """What :func:`choose_fast_path` chose for one run, why, and the figures it chose from."""

    device: str
    precision: str
    compiled: bool
    channels_last: bool
    cpu_capability: str
    reasons: tuple[str, ...] = field(default_factory=tuple)
    bf16: str = ""  # native, emulated or absent, as :func:`native_bf16` says it
    timings: tuple[dict[str, Any], ...] = ()  # :class:`mt_models.runtime.autotune.Timing` records, when measured
    measured: str = "no"  # "measured", "cached" (timed by an earlier run) or "no"

    @classmethod
    def of(cls, candidate: Candidate, reasons: list[str], **fields: Any) -> FastPath:
        """The path that runs ``candidate``, with ``reasons`` and the other ``fields`` (device, timings, ...)."""
        return cls(precision=candidate.precision, compiled=candidate.compiled, channels_last=candidate.channels_last,
                   reasons=tuple(reasons), **fields)  # fmt: skip

    @property
    def autocast_dtype(self) -> torch.dtype | None:
        """The autocast dtype of this path (``None`` for fp32)."""
        return {"bf16": torch.bfloat16, "fp16": torch.float16}.get(self.precision)

    @property
    def name(self) -> str:
        """``"fp32 compiled+cl"``, ``"bf16 eager"``, ... (as :class:`mt_models.runtime.autotune.Candidate` names it)."""
        return Candidate(self.precision, self.compiled, self.channels_last).name

    def describe(self) -> str:
        """One line: what was chosen, the figures, and why."""
        where = f"{self.device} (CPU capability {self.cpu_capability}, {self.bf16})" if self.bf16 else self.device
        why = "; ".join(self.reasons)
        return f"fast path on {where}: {self.name} - {why}"

    def to_dict(self) -> dict[str, Any]:
        """The record kept in ``train_results.json`` and ``all_results.json``."""
        return {**asdict(self), "reasons": list(self.reasons), "timings": list(self.timings), "name": self.name}

    def autocast(self) -> Any:
        """An autocast context for this path's precision (a no-op context for fp32)."""
        dtype = self.autocast_dtype
        return torch.autocast(torch.device(self.device).type, dtype=dtype or torch.bfloat16, enabled=dtype is not None)

    def prepare_model(self, model: torch.nn.Module) -> torch.nn.Module:
        """Put ``model``'s 5-D weights in channels_last_3d when this path says so (in place); returns ``model``."""
        if self.channels_last and any(p.ndim == 5 for p in model.parameters()):
            model.to(memory_format=torch.channels_last_3d)
        return model


def unavailable_precision(mixed_precision: str | None) -> str | None:
    """Why ``mixed_precision`` cannot run on this machine, in one line (``None``: it can). ``fp16`` needs CUDA: a CPU
    would run it in fp32 and record fp16."""
    if mixed_precision == "fp16" and not torch.cuda.is_available():
        return "--mixed_precision fp16 runs on a CUDA GPU only; on this CPU use bf16 or no (fp32), or auto"
    return None


def _precisions(device: torch.device, mixed_precision: str | None, bf16_native: bool) -> list[str]:
    """The precisions to consider, in the order to time them (native bf16 first)."""
    if mixed_precision in (None, "auto"):
        if not bf16_runs(device):
            return ["no"]
        return ["bf16", "no"] if bf16_native else ["no", "bf16"]
    if mixed_precision not in PRECISION_CHOICES:
        raise ValueError(f"--mixed_precision must be one of {PRECISION_CHOICES}, got {mixed_precision!r}")
    if mixed_precision == "fp16" and device.type != "cuda":
        raise ValueError(
            f"--mixed_precision fp16 runs on a CUDA GPU only; on {device.type} use bf16 or no (fp32), or auto"
        )
    return [mixed_precision]


def _compile_choices(device: torch.device, compile: str | bool | None, reasons: list[str]) -> list[bool]:
    """Eager and/or compiled, as asked and as the compiler allows; says why in ``reasons``."""
    wanted = parse_switch(compile, "--compile")
    if wanted is False:
        reasons.append("eager as asked")
        return [False]
    if wanted is None and device.type == "cpu":
        reasons.append(f"eager: {CPU_COMPILE_NOT_AUTOMATIC}")
        return [False]
    works, why = compiler_works(device.type)
    if not works:
        reasons.append(f"eager: {why}" + (" (--compile yes was asked: falling back)" if wanted else ""))
        if wanted:
            logger.warning("--compile yes: %s; running eagerly", why)
        return [False]
    if wanted:
        reasons.append("compiled as asked")
        return [True]
    return [False, True]


def choose_fast_path(
    device: torch.device | str,
    *,
    mixed_precision: str | None = "auto",
    compile: str | bool | None = "auto",
    channels_last: str | bool | None = "auto",
    model: torch.nn.Module | None = None,
    inputs: dict[str, torch.Tensor] | None = None,
    training: bool = True,
    total_steps: int | None = None,
) -> FastPath:
    """Choose precision, compilation and memory format for ``device`` (see the module docstring).

    Args:
        device: where the model runs.
        mixed_precision: ``"auto"`` (or ``None``), ``"no"``, ``"bf16"`` or ``"fp16"`` (accelerate's spelling).
        compile: ``"auto"``/``None``, or ``"yes"``/``"no"`` (or a bool).
        channels_last: ``"auto"``/``None``, or ``"yes"``/``"no"`` (or a bool).
        model: the run's model; with ``inputs``, the candidates left open are timed on a copy of it.
        inputs: keyword arguments of one forward call at the run's batch shape (labels included when ``training``).
        training: time training steps (forward, backward, optimizer) rather than inference.
        total_steps: the steps the run will take, over which a compilation must pay back (default: 1000).
    """
    device = torch.device(device)
    reasons: list[str] = []
    bf16_native, bf16_why = native_bf16(device)
    precisions = _precisions(device, mixed_precision, bf16_native)
    if mixed_precision not in (None, "auto"):
        reasons.append(f"{'fp32' if mixed_precision == 'no' else mixed_precision} as asked")
    compiles = _compile_choices(device, compile, reasons)
    layout = parse_switch(channels_last, "--channels_last")
    capability = cpu_capability() if device.type == "cpu" else device.type
    common = {"device": str(device), "cpu_capability": capability, "bf16": bf16_why}

    candidates = [Candidate(p, c, c if layout is None else layout) for p in precisions for c in compiles]
    if len(candidates) > 1 and (model is None or inputs is None):
        # Nothing to time: fp32 (never a bf16 that may be emulated), compiled where a compiler works.
        precision = "no" if "no" in precisions else precisions[0]
        candidates = [c for c in candidates if c.precision == precision and c.compiled == compiles[-1]]
        if len(precisions) > 1:
            reasons.append("fp32: not measured (no model to time)")
        if len(compiles) > 1:
            reasons.append("compiled: not measured (no model to time), " + compiler_works(device.type)[1])
    if len(candidates) == 1:
        return FastPath.of(candidates[0], reasons, **common)
    return _measured_path(candidates, model, inputs, training, total_steps or 1000, reasons, common)


def _measured_path(
    candidates: list[Any],
    model: torch.nn.Module,
    inputs: dict[str, torch.Tensor],
    training: bool,
    total_steps: int,
    reasons: list[str],
    common: dict[str, Any],
) -> FastPath:
    """Time ``candidates`` (or read their cached timings) and take the one that finishes ``total_steps`` soonest."""
    device_type = torch.device(common["device"]).type
    key = {
        "cpu": autotune.cpu_description() if device_type == "cpu" else common["device"],
        "mode": "train" if training else "inference",
        "model": autotune.model_signature(model),
        "inputs": {name: (tuple(value.shape), str(value.dtype)) for name, value in inputs.items()},
    }
    make_step = autotune.training_step_factory(model, inputs, training=training, device_type=device_type)
    timings, cached = autotune.cached_or_measured(key, candidates, make_step, steps=5, expected_steps=total_steps)
    if not timings:
        chosen = next((c for c in candidates if c.precision == "no" and not c.compiled), candidates[0])
        reasons.append(
            f"not timed: a run of {total_steps} steps costs less than timing its paths "
            f"(fewer than {autotune.MIN_STEPS_TO_MEASURE})"
        )
        return FastPath.of(chosen, reasons, **common)
    best = autotune.choose_candidate(timings, total_steps)
    batch = next(iter(inputs.values())).shape[0]
    figures = ", ".join(f"{t.candidate.name} {t.figure(batch)}" for t in timings)
    source = f"{'cached' if cached else 'timed now'}, {'training' if training else 'inference'}"
    reasons.append(f"fastest over the run's {total_steps} steps ({source}): {figures}")
    timings_record = tuple(t.to_dict() for t in timings)
    measured = "cached" if cached else "measured"
    return FastPath.of(best.candidate, reasons, timings=timings_record, measured=measured, **common)


# What a CPU without AVX-512 (an AMD EPYC with AVX2 only, no bf16 instructions) runs, emulated on one that has them:
# torch's kernels, oneDNN, torch's BLAS (MKL) and numpy's (OpenBLAS) held to AVX2; numpy's list is its own version's.
_AVX2_SETTINGS = {
    "ATEN_CPU_CAPABILITY": "avx2",  # torch's own kernels
    "ONEDNN_MAX_CPU_ISA": "AVX2",  # oneDNN (convolutions, some matmuls): no bf16 instructions below AVX512_CORE_BF16
    "MKL_ENABLE_INSTRUCTIONS": "AVX2",  # torch's BLAS
    "OPENBLAS_CORETYPE": "Haswell",  # numpy's BLAS
}
# numpy's dispatch targets up to AVX2, in the names of numpy < 2.4 and >= 2.4 (the groups X86_V2, X86_V3).
_NUMPY_UP_TO_AVX2 = {
    *("SSE", "SSE2", "SSE3", "SSSE3", "SSE41", "POPCNT", "SSE42", "AVX", "F16C", "FMA3", "AVX2"),
    *("X86_V2", "X86_V3"),
}


def numpy_features_above_avx2() -> list[str]:
    """The SIMD targets numpy dispatches to that an AVX2-only CPU lacks (AVX-512 and later)."""
    from numpy._core._multiarray_umath import __cpu_dispatch__

    return [name for name in __cpu_dispatch__ if name not in _NUMPY_UP_TO_AVX2]


def avx2_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment) with torch, oneDNN, the BLAS libraries and numpy held to AVX2.

    A process started with it runs the kernels of a CPU without AVX-512 or bf16 instructions, so that path can be
    tested and measured on a machine that has them (``tests/cpu_families.py``, ``bench/bench_train.py``).
    """
    env = dict(os.environ if base is None else base)
    env.update(_AVX2_SETTINGS)
    env["NPY_DISABLE_CPU_FEATURES"] = " ".join(numpy_features_above_avx2())
    return env


# What an Intel CPU with AVX-512 but without AVX512-BF16/AMX (Skylake-SP to Ice Lake) runs, emulated on one that has
# them: oneDNN held below its bf16 instructions (it then emulates bf16), torch's own kernels stay AVX-512.
_AVX512_CORE_SETTINGS = {"ONEDNN_MAX_CPU_ISA": "AVX512_CORE", "MKL_ENABLE_INSTRUCTIONS": "AVX512"}


def avx512_core_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment) with oneDNN and MKL held to AVX-512 without bf16 instructions."""
    env = dict(os.environ if base is None else base)
    env.update(_AVX512_CORE_SETTINGS)
    return env


# The CPU kinds the suite and bench/ run under: this machine's own, and the two emulated on it.
CPU_KINDS: dict[str, Callable[[dict[str, str] | None], dict[str, str]]] = {
    "native": lambda base=None: dict(os.environ if base is None else base),
    "avx512_core": avx512_core_environment,
    "avx2": lambda base=None: avx2_environment(base),
}


def process_state() -> Any:
    """Accelerate's ``PartialState``, set up as ``Accelerator`` would set it up (``ACCELERATE_USE_CPU`` honoured).

    A bare ``PartialState()`` made before the first ``Accelerator`` ignores ``ACCELERATE_USE_CPU``: under
    ``accelerate launch --multi_gpu`` on CPUs every process would then take itself for the only one.
    """
    from accelerate import PartialState
    from accelerate.utils import parse_flag_from_env

    return PartialState(cpu=parse_flag_from_env("ACCELERATE_USE_CPU"))


def new_accelerator(precision: str, **kwargs: Any) -> Any:
    """An ``accelerate.Accelerator`` at ``precision`` (``"no"``, ``"bf16"``, ``"fp16"``), with ``kwargs``.

    Accelerate keeps its state in per-process singletons: it refuses a second ``Accelerator`` at another precision, and
    an earlier run's gradient state (the dataloaders it was iterating, whether it ended) leaks into the next one, which
    then does not repeat exactly. The demo and the protocol runner train and evaluate several models in one process, so
    every run starts from fresh accelerator and gradient states; only the process group (``PartialState``) is kept.
    """
    from accelerate import Accelerator
    from accelerate.state import AcceleratorState, GradientState

    AcceleratorState._reset_state(reset_partial_state=False)
    GradientState._reset_state()
    return Accelerator(mixed_precision=precision, **kwargs)


def evaluation_accelerator(
    mixed_precision: str | None = "auto",
    *,
    model: torch.nn.Module | None = None,
    inputs: dict[str, torch.Tensor] | None = None,
    total_steps: int | None = None,
) -> tuple[Any, FastPath]:
    """An ``accelerate.Accelerator`` for evaluation on the path :func:`choose_fast_path` picks, and that path.

    With ``model`` and ``inputs`` (one batch), the candidates are timed on inference steps, and a compilation must pay
    back within ``total_steps`` batches (one pass over the test videos rarely repays one); without them the
    evaluation runs in fp32, eagerly. Apply the path's layout to the model with :meth:`FastPath.prepare_model`.
    """
    state = process_state()
    with state.main_process_first():
        path = choose_fast_path(
            state.device,
            mixed_precision=mixed_precision,
            compile=environment_choice(COMPILE_ENVIRONMENT, COMPILE_CHOICES) if model is not None else False,
            model=model,
            inputs=inputs,
            training=False,
            total_steps=total_steps,
        )
    accelerator = new_accelerator(path.precision)
    accelerator.print(path.describe())
    return accelerator, path


def main(argv: list[str] | None = None) -> None:
    """``python -m mt_models.runtime.fast_path KIND COMMAND...``: run ``COMMAND`` under one of :data:`CPU_KINDS`'
    kernel settings, e.g. ``... avx2 python examples/demo.py`` (what ``make demo CPU_KIND=avx2`` runs): the way to see
    on this machine what a user with that CPU kind gets. A kind not in the list ends in one line, exit status 2."""
    import sys

    argv = sys.argv[1:] if argv is None else argv
    if len(argv) < 2 or argv[0] not in CPU_KINDS:
        got = f"{argv[0]!r}" if argv else "nothing"
        print(f"fast_path: usage: python -m mt_models.runtime.fast_path KIND COMMAND...; KIND is one of "
              f"{', '.join(CPU_KINDS)}, got {got}", file=sys.stderr)  # fmt: skip
        sys.exit(2)
    os.execvpe(argv[1], argv[1:], CPU_KINDS[argv[0]](None))


if __name__ == "__main__":
    main()
