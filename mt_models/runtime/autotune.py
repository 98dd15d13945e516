"""Measure, not guess: the fastest training or evaluation path of a model on this machine, timed on its own shapes.

A CPU flag says what a CPU *can* run, not what is fast. oneDNN reports bf16 as supported on an AVX-512 CPU without
AVX512_BF16/AMX, where it emulates it: there bf16 trains 2.3x slower than fp32 compiled; on an AVX2-only CPU bf16
autocast is ~36x slower; on a CPU with AMX-BF16, bf16 compiled is the fastest path. So, as cuDNN's
``benchmark=True`` does for convolution kernels, :func:`mt_models.runtime.fast_path.choose_fast_path` times the
candidate
paths (precision x compilation, with channels_last_3d following compilation) on a copy of the run's own model and an
input of the run's own batch shape, and takes the one that finishes the run soonest (this module measures; it does
not choose what to force):

- each candidate runs one call (which includes compiling, for a compiled candidate), one more untimed call, then up
  to ``steps`` timed calls; its figure is the median step time;
- a candidate whose step is more than :data:`ABANDON_FACTOR` times the best median so far is abandoned after that
  step (it cannot win; bf16 emulated on AVX2 would otherwise cost minutes);
- a compiled candidate is timed only where its eager twin, sped up by the best compilation gain yet seen (or
  :data:`ASSUMED_COMPILE_GAIN` before any), could beat the best candidate so far, and only where the run is long enough
  to repay a compilation at all (:data:`MIN_SECONDS_TO_COMPILE` of eager work);
- the verdict counts compile time against a compiled candidate over the run's own number of steps: a compilation
  that does not pay back within the run loses to eager mode.

CPU flags only order the candidates (bf16 first where the CPU has AVX512-BF16/AMX). The timings are cached per CPU
(model name and flags), kernel settings (``ATEN_CPU_CAPABILITY``, ``ONEDNN_MAX_CPU_ISA``, ...), thread count, torch
version, model (class and parameter shapes) and input shape, as JSON under the Hugging Face cache directory
(``$HF_HOME/motion_transfer/fast_path``), so a second run decides from them without measuring again
(``MT_FAST_PATH_CACHE=off`` measures every time; a directory path moves the cache). The measurement runs on a deep copy
with the random state saved and restored, so a run trains exactly as it would with the verdict given.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import platform
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

logger = logging.getLogger(__name__)

__all__ = [
    "ABANDON_FACTOR",
    "CompiledStep",
    "compile_failure",
    "ASSUMED_COMPILE_GAIN",
    "CACHE_ENVIRONMENT",
    "MIN_SECONDS_TO_COMPILE",
    "MIN_STEPS_TO_MEASURE",
    "Candidate",
    "Timing",
    "cache_directory",
    "cpu_description",
    "choose_candidate",
    "measure_candidates",
]

# A candidate this many times slower than the best so far stops being timed.
ABANDON_FACTOR = 2.0
# Before any compiled candidate is timed, compilation is assumed to speed a step up at most this much. Measured on the
# demo's model: 1.32x fp32 on an AVX-512 CPU without bf16 (bench/RESULTS.md); the bound leaves room.
ASSUMED_COMPILE_GAIN = 2.0
# A run with less eager work than this cannot repay a compilation (the demo's model compiles in ~20-60 s on 2 cores).
MIN_SECONDS_TO_COMPILE = 30.0
# A run of fewer steps than this costs less than timing its candidates (~2 x 7 steps each, and compilations): it runs
# fp32 eagerly unless an earlier run's timings are cached.
MIN_STEPS_TO_MEASURE = 50
CACHE_ENVIRONMENT = "MT_FAST_PATH_CACHE"
CACHE_FORMAT_VERSION = 1
# The environment variables that change which kernels run: part of the cache key, so an emulated CPU kind
# (tests/cpu_families.py) never reads the native kind's verdict.
KERNEL_ENVIRONMENT = (
    "ATEN_CPU_CAPABILITY",
    "ONEDNN_MAX_CPU_ISA",
    "DNNL_MAX_CPU_ISA",
    "MKL_ENABLE_INSTRUCTIONS",
    "OPENBLAS_CORETYPE",
    "NPY_DISABLE_CPU_FEATURES",
    "OMP_NUM_THREADS",
)


@dataclass(frozen=True)
class Candidate:
    """One way to run the model: autocast precision (``"no"`` = fp32, ``"bf16"``), compiled or not, memory format."""

    precision: str
    compiled: bool
    channels_last: bool

    @property
    def name(self) -> str:
        """``"fp32 compiled+cl"``, ``"bf16 eager"``, ..."""
        precision = "fp32" if self.precision == "no" else self.precision
        return f"{precision} {'compiled' if self.compiled else 'eager'}{'+cl' if self.channels_last else ''}"


@dataclass
class Timing:
    """What timing one candidate found. ``step_seconds`` is ``None`` where the candidate was not timed."""

    candidate: Candidate
    step_seconds: float | None = None
    compile_seconds: float = 0.0
    steps_timed: int = 0
    abandoned: bool = False
    skipped: str | None = None  # why the candidate was not timed
    failed: str | None = None  # why it could not run (a compiler failure: it falls back to eager mode)

    def run_seconds(self, total_steps: int) -> float:
        """Seconds this candidate would take for ``total_steps`` steps, its compilation included."""
        if self.step_seconds is None or self.failed:
            return float("inf")
        return self.compile_seconds + total_steps * self.step_seconds

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (the cache and ``train_results.json``)."""
        return {**asdict(self), "candidate": asdict(self.candidate), "name": self.candidate.name}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Timing:
        """The inverse of :meth:`to_dict`."""
        fields = {k: v for k, v in data.items() if k not in ("candidate", "name")}
        return cls(candidate=Candidate(**data["candidate"]), **fields)

    def figure(self, batch_size: int) -> str:
        """``"166.9 clips/s (compile 35 s)"``, ``"abandoned at 12.1 clips/s"``, or why it was not timed."""
        if self.failed:
            return f"failed ({self.failed})"
        if self.step_seconds is None:
            return f"not timed ({self.skipped})"
        rate = f"{batch_size / self.step_seconds:.1f} clips/s"
        if self.abandoned:
            return f"abandoned at {rate}"
        return rate + (f" (compile {self.compile_seconds:.0f} s)" if self.candidate.compiled else "")


def cpu_description() -> dict[str, Any]:
    """This CPU as the cache and the records name it: model name, a digest of its flags, threads, kernel settings."""
    model, flags = platform.processor() or platform.machine(), ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and model in ("", platform.processor() or platform.machine()):
                model = value.strip()
            elif key.strip() in ("flags", "Features") and not flags:
                flags = value.strip()
    except OSError:  # not Linux: the model name and the kernel settings still tell kinds apart
        pass
    return {
        "model_name": model,
        "flags_sha256": hashlib.sha256(" ".join(sorted(flags.split())).encode()).hexdigest()[:16],
        "threads": torch.get_num_threads(),
        "kernel_environment": {name: os.environ[name] for name in KERNEL_ENVIRONMENT if name in os.environ},
        "torch": torch.__version__,
    }


def cache_directory() -> Path | None:
    """Where verdicts are kept (``None``: ``MT_FAST_PATH_CACHE=off``)."""
    setting = os.environ.get(CACHE_ENVIRONMENT, "")
    if setting.lower() in ("off", "no", "0", "false"):
        return None
    if setting:
        return Path(setting)
    from huggingface_hub import constants

    return Path(constants.HF_HOME) / "motion_transfer" / "fast_path"


def model_signature(model: torch.nn.Module) -> str:
    """The model's class and parameter shapes: what decides its kernels (not its weights or label names)."""
    shapes = [f"{name}:{tuple(p.shape)}" for name, p in model.named_parameters()]
    return hashlib.sha256((type(model).__qualname__ + "|" + "|".join(shapes)).encode()).hexdigest()[:16]


def _cache_key(parts: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:24]


def _read_cache(path: Path | None) -> list[Timing] | None:
    if path is None or not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
        if data.get("format_version") != CACHE_FORMAT_VERSION:
            return None
        return [Timing.from_dict(entry) for entry in data["timings"]]
    except (OSError, ValueError, KeyError, TypeError):  # a torn or foreign file: measure again
        logger.warning("ignoring the unreadable fast-path cache %s", path)
        return None


def _write_cache(path: Path | None, key_parts: Mapping[str, Any], timings: Sequence[Timing]) -> None:
    if path is None:
        return
    from mt_datasets.files import atomic_write_bytes

    record = {
        "format_version": CACHE_FORMAT_VERSION,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "key": dict(key_parts),
        "timings": [t.to_dict() for t in timings],
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, (json.dumps(record, indent=1) + "\n").encode())
    except OSError as error:  # a read-only cache costs only the next run's measurement
        logger.warning("could not cache the fast-path verdict in %s: %s", path, error)


class _Trial:
    """A candidate being timed: its step function and the durations seen so far."""

    def __init__(self, candidate: Candidate, step: Callable[[], Any]):
        self.timing = Timing(candidate)
        self.step = step
        self.durations: list[float] = []
        self.first_call = 0.0

    def warm_up(self) -> None:
        """The first call (compilation included, for a compiled candidate) and one more, untimed."""
        started = time.perf_counter()
        self.step()
        self.first_call = time.perf_counter() - started
        self.step()

    def time_one(self) -> None:
        started = time.perf_counter()
        self.step()
        self.durations.append(time.perf_counter() - started)
        self.timing.step_seconds = statistics.median(self.durations)
        self.timing.steps_timed = len(self.durations)
        if self.timing.candidate.compiled:
            self.timing.compile_seconds = max(self.first_call - self.timing.step_seconds, 0.0)


def _best(timings: Sequence[Timing]) -> Timing | None:
    timed = [t for t in timings if t.step_seconds is not None and not t.failed and not t.abandoned]
    return min(timed, key=lambda t: t.step_seconds) if timed else None


def _rounds(trials: Sequence[_Trial], rounds: int) -> None:
    """Time one step of each live trial in turn, ``rounds`` times: interleaved, so that a load that comes and goes
    (another process on the same cores) weighs on every candidate alike; a trial falling behind by more than
    :data:`ABANDON_FACTOR` stops."""
    for _ in range(rounds):
        live = [trial for trial in trials if not trial.timing.abandoned]
        for trial in live:
            trial.time_one()
        best = _best([trial.timing for trial in live])
        for trial in live:
            if best is not None and trial.timing.step_seconds > ABANDON_FACTOR * best.step_seconds:
                trial.timing.abandoned = True


def _start(trial: _Trial) -> bool:
    """Warm ``trial`` up; ``False`` (the timing says why) where its compilation failed."""
    with torch.random.fork_rng(devices=[]):
        try:
            trial.warm_up()
        except Exception as error:  # noqa: BLE001 - a candidate that cannot compile loses, the others go on
            if not trial.timing.candidate.compiled:  # the model itself fails: not the path's to hide
                raise
            # A compiled candidate that fails in any way (the compiler, or the kernels it generated) loses; the eager
            # candidates, timed first, already ran this model and batch.
            failure = compile_failure(error) or f"{type(error).__name__}: {str(error).splitlines()[0][:160]}"
            trial.timing.failed = failure
            return False
    return True


def measure_candidates(
    candidates: Sequence[Candidate],
    make_step: Callable[[Candidate], Callable[[], Any]],
    *,
    steps: int,
    expected_steps: int,
) -> list[Timing]:
    """Time ``candidates``: the eager ones first, then the compiled ones that could win (see the module docstring).

    ``make_step(candidate)`` returns a function running one step on a fresh copy of the model on that path.
    """
    eager = [_Trial(c, make_step(c)) for c in candidates if not c.compiled]
    for trial in eager:
        _start(trial)
    with torch.random.fork_rng(devices=[]):
        _rounds(eager, steps)
    trials, skipped = list(eager), []
    for candidate in sorted((c for c in candidates if c.compiled), key=lambda c: _eager_seconds(c, eager)):
        reason = _why_not_compile(candidate, [t.timing for t in trials], expected_steps)
        if reason:
            skipped.append(Timing(candidate, skipped=reason))
            continue
        trial = _Trial(candidate, make_step(candidate))
        trials.append(trial)
        if _start(trial):
            with torch.random.fork_rng(devices=[]):
                _rounds([t for t in trials if not t.timing.failed], steps)
    return [t.timing for t in trials] + skipped


def _eager_seconds(candidate: Candidate, eager: Sequence[_Trial]) -> float:
    """The step time of ``candidate``'s eager twin (compiled candidates are tried fastest twin first)."""
    twin = next((t.timing for t in eager if t.timing.candidate.precision == candidate.precision), None)
    return twin.step_seconds if twin is not None and twin.step_seconds is not None else float("inf")


def _why_not_compile(candidate: Candidate, timings: Sequence[Timing], expected_steps: int) -> str | None:
    """Why a compiled candidate need not be timed (``None``: time it)."""
    best = _best(timings)
    twin = next((t for t in timings if not t.candidate.compiled and t.candidate.precision == candidate.precision), None)
    if twin is None or twin.step_seconds is None or best is None:
        return None
    if best.step_seconds * expected_steps < MIN_SECONDS_TO_COMPILE:
        seconds = best.step_seconds * expected_steps
        return f"the run's {expected_steps} steps take {seconds:.0f} s eagerly: too short to repay a compilation"
    gains = [
        e.step_seconds / c.step_seconds
        for c in timings
        if c.candidate.compiled and c.step_seconds and not c.abandoned and not c.failed
        for e in timings
        if not e.candidate.compiled and e.candidate.precision == c.candidate.precision and e.step_seconds
    ]
    gain = max(gains) if gains else ASSUMED_COMPILE_GAIN
    if twin.step_seconds / gain > best.step_seconds:
        return f"its eager twin is {twin.step_seconds / best.step_seconds:.1f}x slower than {best.candidate.name}"
    return None


def choose_candidate(timings: Sequence[Timing], total_steps: int) -> Timing:
    """The candidate that finishes ``total_steps`` steps soonest, compilation included."""
    finished = [t for t in timings if t.step_seconds is not None and not t.failed]
    if not finished:
        raise RuntimeError("no fast-path candidate could be timed")
    return min(finished, key=lambda t: t.run_seconds(total_steps))


def cached_or_measured(
    key_parts: Mapping[str, Any],
    candidates: Sequence[Candidate],
    make_step: Callable[[Candidate], Callable[[], Any]],
    *,
    steps: int,
    expected_steps: int,
) -> tuple[list[Timing], bool]:
    """The timings of ``candidates``, from the cache or measured now (and cached); and whether they were cached.

    No timings (``[]``) where none are cached and the run is shorter than :data:`MIN_STEPS_TO_MEASURE` steps.
    """
    directory = cache_directory()
    path = directory / f"{_cache_key(key_parts)}.json" if directory is not None else None
    cached = _read_cache(path)
    if cached is not None and {t.candidate for t in cached} >= set(candidates):
        wanted = set(candidates)
        return [t for t in cached if t.candidate in wanted], True
    if expected_steps < MIN_STEPS_TO_MEASURE:
        return [], False
    timings = measure_candidates(candidates, make_step, steps=steps, expected_steps=expected_steps)
    _write_cache(path, key_parts, timings)
    return timings, False


def training_step_factory(
    model: torch.nn.Module, inputs: Mapping[str, torch.Tensor], *, training: bool, device_type: str
) -> Callable[[Candidate], Callable[[], Any]]:
    """``make_step`` for :func:`measure_candidates`: a training step (forward, backward, AdamW) or an inference step
    (forward without gradients) of a deep copy of ``model`` on ``inputs``, on a candidate's path."""

    def make_step(candidate: Candidate) -> Callable[[], Any]:
        replica = copy.deepcopy(model).train(training)
        if candidate.channels_last and any(p.ndim == 5 for p in replica.parameters()):
            replica.to(memory_format=torch.channels_last_3d)
        forward = CompiledStep(replica, candidate.compiled, fallback=False)
        dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(candidate.precision)
        optimizer = torch.optim.AdamW(replica.parameters(), lr=1e-6) if training else None

        def step() -> None:
            with torch.autocast(device_type, dtype=dtype or torch.bfloat16, enabled=dtype is not None):
                if not training:
                    with torch.no_grad():
                        forward(**inputs)
                    return
                loss = forward(**inputs).loss
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()

        return step

    return make_step


def compile_failure(error: BaseException) -> str | None:
    """One line naming a compiler failure (``None``: ``error`` is not one, and must not be swallowed)."""
    from torch._dynamo.exc import BackendCompilerFailed, TorchRuntimeError, Unsupported

    if not isinstance(error, BackendCompilerFailed | TorchRuntimeError | Unsupported | OSError):
        return None
    return f"{type(error).__name__}: {str(error).splitlines()[0][:160] if str(error) else ''}"


class CompiledStep:
    """Calls ``function`` with ``torch.compile`` applied when ``enabled``; falls back to eager mode if compiling fails.

    For a classifier (a module with a ``backbone`` module, possibly wrapped by ``DistributedDataParallel``) only the
    backbone's ``forward`` is compiled: the convolutions, nearly all of the step's work. The head and the loss stay
    eager, because Inductor (torch 2.13, CPU) corrupts the heap in the fused backward of the demo's loss (cross
    entropy with label smoothing after dropout): ``free(): invalid pointer`` within the first steps on AVX-512, a
    ``SystemError`` from the generated kernel under AVX2 (``tests/test_fast_path.py`` trains the demo's options
    compiled). Anything else is compiled whole.

    The fallback happens once, on the first call that fails to compile or whose loss is not finite (the module's
    buffers, batch-norm statistics, put back as that call found them), with a one-line warning; ``compiled`` then
    reads ``False`` so the run's record says what really ran. ``fallback=False`` raises the failure instead (the
    fast-path measurement counts such a candidate as failed).
    """

    def __init__(self, function: Callable[..., Any], enabled: bool, *, fallback: bool = True):
        self.function = function
        self.compiled = enabled
        self.fallback = fallback
        self._checked = False
        self._backbone = _backbone_of(function) if enabled else None
        if self._backbone is not None:
            self._backbone.forward = torch.compile(self._backbone.forward)  # an instance attribute: undone by del
            self._call = function
        else:
            self._call = torch.compile(function) if enabled else function

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not self.compiled:
            return self.function(*args, **kwargs)
        # Before the first compiled call: the module's buffers (batch-norm statistics), restored on a fallback so that
        # the eager run starts from the state the compiled call found.
        saved = None if self._checked else _buffers_of(self.function)
        try:
            result = self._call(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 - a compiler failure must not end the run
            failure = compile_failure(error)
            if failure is None or not self.fallback:
                raise
            _restore_buffers(self.function, saved)  # a generated kernel may fail after it updated them
            return self._eagerly(f"torch.compile failed ({type(error).__name__})", failure, args, kwargs)
        if not self._checked:
            # The first compiled step's loss must be a number: under the AVX2 emulation (torch 2.13) the compiled
            # backbone gives NaN from the first step where eager mode trains. Checked once; a finite loss costs nothing.
            self._checked = True
            loss = getattr(result, "loss", None)
            if isinstance(loss, torch.Tensor) and not bool(torch.isfinite(loss.detach()).all()):
                if not self.fallback:
                    raise FloatingPointError("the compiled step's loss is not finite on the first step")
                _restore_buffers(self.function, saved)
                return self._eagerly("torch.compile gave a non-finite loss", "non-finite loss", args, kwargs)
        return result

    def _eagerly(self, said: str, why: str, args: tuple, kwargs: dict) -> Any:
        """Fall back to eager mode for the rest of the run (said in one line), and run this call eagerly."""
        logger.warning("%s; running eagerly", why)
        print(f"{said}; falling back to eager mode", flush=True)
        self.compiled = False
        if self._backbone is not None:
            del self._backbone.forward  # the class's forward again
        return self.function(*args, **kwargs)


def _module_of(function: Callable[..., Any]) -> torch.nn.Module | None:
    """The module ``function`` is (unwrapped from ``DistributedDataParallel``), or ``None`` for a plain function."""
    model = getattr(function, "module", function)
    return model if isinstance(model, torch.nn.Module) else None


def _buffers_of(function: Callable[..., Any]) -> dict[str, torch.Tensor]:
    """Copies of the buffers of ``function`` if it is a module."""
    model = _module_of(function)
    return {} if model is None else {name: buffer.detach().clone() for name, buffer in model.named_buffers()}


def _restore_buffers(function: Callable[..., Any], saved: dict[str, torch.Tensor] | None) -> None:
    """Put back the buffers :func:`_buffers_of` copied."""
    model = _module_of(function)
    if not saved or model is None:
        return
    with torch.no_grad():
        for name, buffer in model.named_buffers():
            buffer.copy_(saved[name])


def _backbone_of(function: Callable[..., Any]) -> torch.nn.Module | None:
    """The backbone module of a classifier (unwrapped from ``DistributedDataParallel``), or ``None``."""
    backbone = getattr(_module_of(function), "backbone", None)
    return backbone if isinstance(backbone, torch.nn.Module) else None
