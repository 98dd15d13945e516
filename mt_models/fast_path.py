"""The fastest correct way to run a model on this machine: precision, compilation and memory format, chosen per machine.

Machines differ, and so does their fast path. Measured on the ``resnet3d`` training step (``bench/bench_train.py``):
on a CPU with native bf16 instructions (AVX512-BF16 / AMX-BF16) bf16 autocast is the largest gain, while on a CPU
without them (AVX2 only) the same autocast is more than thirty times *slower*, because oneDNN then emulates bf16.
So nothing here is assumed: :func:`choose_fast_path` detects what the device offers, picks each setting (``"auto"``)
or takes the user's choice (``"no"`` / ``"bf16"``, ``True`` / ``False``), and says what it chose and why in one line
(:meth:`FastPath.describe`), which the training loop prints and records in ``train_results.json``.

- **Precision.** ``bf16`` (autocast, weights stay fp32) on a CUDA GPU that supports it, or on a CPU whose oneDNN
  reports native bf16 support (``torch.ops.mkldnn._is_mkldnn_bf16_supported()``, which honours ``ONEDNN_MAX_CPU_ISA``);
  ``no`` (fp32) elsewhere. Forcing ``bf16`` where it is not native works, slowly, and the line says so.
- **Compilation.** ``torch.compile`` where a compiler works: a C++ compiler on the ``PATH`` for CPU (Inductor's
  backend), and a tiny function compiled and run once as a probe. Where the probe fails the model runs eagerly and the
  line says why; :class:`CompiledStep` also falls back to eager mode if compiling the model itself fails later.
- **Memory format.** ``channels_last_3d`` for 3D convolutions (5-D weights) when the run is compiled, where Inductor
  lays out the convolutions for it; eager runs keep the default layout.

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

from mt_options import (  # light homes: the scripts' --help shows these options
    COMPILE_CHOICES,
    COMPILE_ENVIRONMENT,
    PRECISION_CHOICES,
    PRECISION_ENVIRONMENT,
    add_compile_arguments,
    add_precision_argument,
)

__all__ = [
    "COMPILE_CHOICES",
    "COMPILE_ENVIRONMENT",
    "PRECISION_ENVIRONMENT",
    "add_compile_arguments",
    "avx2_environment",
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
    """Whether ``device`` computes bf16 natively, and the reason, as one phrase."""
    device = torch.device(device)
    if device.type == "cuda":
        supported = torch.cuda.is_bf16_supported()
        return supported, f"CUDA device {'supports' if supported else 'does not support'} bf16"
    if device.type != "cpu":
        return False, f"bf16 is not chosen automatically on {device.type}"
    try:
        supported = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False, "this torch build cannot tell whether the CPU has bf16 instructions"
    if supported:
        return True, "the CPU has native bf16 instructions (oneDNN)"
    return False, "the CPU has no native bf16 instructions (bf16 would be emulated, many times slower)"


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
    """What :func:`choose_fast_path` chose for one run, and why."""

    device: str
    precision: str
    compiled: bool
    channels_last: bool
    cpu_capability: str
    reasons: tuple[str, ...] = field(default_factory=tuple)

    @property
    def autocast_dtype(self) -> torch.dtype | None:
        """The autocast dtype of this path (``None`` for fp32)."""
        return {"bf16": torch.bfloat16, "fp16": torch.float16}.get(self.precision)

    def describe(self) -> str:
        """One line: what was chosen and why."""
        chosen = (
            f"precision {'fp32' if self.precision == 'no' else self.precision}, "
            f"{'compiled' if self.compiled else 'eager'}, "
            f"{'channels_last_3d' if self.channels_last else 'default memory format'}"
        )
        why = "; ".join(self.reasons)
        return f"fast path on {self.device} (CPU capability {self.cpu_capability}): {chosen} - {why}"

    def to_dict(self) -> dict[str, Any]:
        """The record kept in ``train_results.json``."""
        return {**asdict(self), "reasons": list(self.reasons)}

    def autocast(self) -> Any:
        """An autocast context for this path's precision (a no-op context for fp32)."""
        dtype = self.autocast_dtype
        return torch.autocast(torch.device(self.device).type, dtype=dtype or torch.bfloat16, enabled=dtype is not None)

    def prepare_model(self, model: torch.nn.Module) -> torch.nn.Module:
        """Put ``model``'s 5-D weights in channels_last_3d when this path says so (in place); returns ``model``."""
        if self.channels_last and any(p.ndim == 5 for p in model.parameters()):
            model.to(memory_format=torch.channels_last_3d)
        return model


def choose_fast_path(
    device: torch.device | str,
    *,
    mixed_precision: str | None = "auto",
    compile: str | bool | None = "auto",
    channels_last: str | bool | None = "auto",
) -> FastPath:
    """Choose precision, compilation and memory format for ``device`` (see the module docstring).

    Args:
        device: where the model runs.
        mixed_precision: ``"auto"`` (or ``None``), ``"no"`` or ``"bf16"`` (accelerate's spelling).
        compile: ``"auto"``/``None``, or ``"yes"``/``"no"`` (or a bool).
        channels_last: ``"auto"``/``None``, or ``"yes"``/``"no"`` (or a bool).
    """
    device = torch.device(device)
    reasons = []
    bf16_native, why = native_bf16(device)
    if mixed_precision in (None, "auto"):
        precision = "bf16" if bf16_native else "no"
        reasons.append(f"{'bf16' if bf16_native else 'fp32'}: {why}")
    elif mixed_precision in PRECISION_CHOICES:
        precision = mixed_precision
        if precision == "bf16" and not bf16_native:
            reasons.append(f"bf16 as asked, although {why}")
        else:
            reasons.append(f"{'fp32' if precision == 'no' else precision} as asked")
    else:
        raise ValueError(f"--mixed_precision must be one of {PRECISION_CHOICES}, got {mixed_precision!r}")

    wanted = parse_switch(compile, "--compile")
    if wanted is False:
        compiled = False
        reasons.append("eager as asked")
    else:
        works, why = compiler_works(device.type)
        compiled = works
        if works:
            reasons.append("compiled as asked" if wanted else "compiled: " + why)
        else:
            reasons.append(f"eager: {why}" + (" (--compile yes was asked: falling back)" if wanted else ""))
            if wanted:
                logger.warning("--compile yes: %s; running eagerly", why)

    layout = parse_switch(channels_last, "--channels_last")
    use_channels_last = compiled if layout is None else layout
    return FastPath(
        device=str(device),
        precision=precision,
        compiled=compiled,
        channels_last=use_channels_last,
        cpu_capability=cpu_capability() if device.type == "cpu" else device.type,
        reasons=tuple(reasons),
    )


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


def evaluation_accelerator(mixed_precision: str | None = "auto") -> tuple[Any, FastPath]:
    """An ``accelerate.Accelerator`` for evaluation at the precision :func:`choose_fast_path` picks, and that choice.

    Evaluation runs eagerly: one pass over the test videos does not repay a compilation.
    """
    path = choose_fast_path(process_state().device, mixed_precision=mixed_precision, compile=False)
    accelerator = new_accelerator(path.precision)
    accelerator.print(path.describe())
    return accelerator, path


class CompiledStep:
    """Calls ``torch.compile(function)`` when ``enabled``, and falls back to ``function`` if compiling it fails.

    The fallback happens once, on the first call that fails to compile, with a one-line warning; ``compiled`` then
    reads ``False`` so the run's record says what really ran.
    """

    def __init__(self, function: Callable[..., Any], enabled: bool):
        self.function = function
        self.compiled = enabled
        self._call = torch.compile(function) if enabled else function

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not self.compiled:
            return self.function(*args, **kwargs)
        try:
            return self._call(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 - a compiler failure must not end the run
            from torch._dynamo.exc import BackendCompilerFailed, TorchRuntimeError, Unsupported

            if not isinstance(error, BackendCompilerFailed | TorchRuntimeError | Unsupported | OSError):
                raise
            logger.warning("torch.compile failed (%s); running eagerly", str(error).splitlines()[0][:160])
            print(f"torch.compile failed ({type(error).__name__}); falling back to eager mode", flush=True)
            self.compiled = False
            return self.function(*args, **kwargs)
