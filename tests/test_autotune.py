"""The fast-path measurement's rules, on steps of known duration (sleeps), and its cache on a real model."""

from __future__ import annotations

import json
import time

import pytest
import torch

from mt_models.runtime import autotune
from mt_models.runtime.autotune import Candidate, Timing, choose_candidate, measure_candidates
from mt_models.runtime.fast_path import choose_fast_path

FP32, BF16 = Candidate("no", False, False), Candidate("bf16", False, False)
FP32_COMPILED, BF16_COMPILED = Candidate("no", True, True), Candidate("bf16", True, True)


def sleeper(durations: dict[Candidate, tuple[float, float]], calls: dict[Candidate, int]):
    """``make_step``: each candidate's first call sleeps its first duration (a compilation), the others the second."""

    def make_step(candidate):
        first, later = durations[candidate]

        def step():
            calls[candidate] = calls.get(candidate, 0) + 1
            time.sleep(first if calls[candidate] == 1 else later)

        return step

    return make_step


def test_the_fastest_path_wins_and_a_hopeless_one_is_abandoned():
    calls: dict[Candidate, int] = {}
    durations = {FP32: (0.04, 0.04), BF16: (0.4, 0.4), FP32_COMPILED: (0.3, 0.02), BF16_COMPILED: (0.3, 0.2)}
    timings = measure_candidates(list(durations), sleeper(durations, calls), steps=4, expected_steps=100_000)
    by_name = {t.candidate: t for t in timings}
    assert by_name[BF16].abandoned and calls[BF16] == 3  # warm-up (2 calls), then one timed step: 10x behind
    assert by_name[BF16_COMPILED].skipped and BF16_COMPILED not in calls  # its eager twin cannot catch up
    assert by_name[FP32_COMPILED].step_seconds == pytest.approx(0.02, abs=0.015)
    assert by_name[FP32_COMPILED].compile_seconds == pytest.approx(0.28, abs=0.1)
    assert choose_candidate(timings, 100_000).candidate == FP32_COMPILED


def test_a_compilation_that_does_not_pay_back_within_the_run_loses():
    timings = [Timing(FP32, step_seconds=0.02), Timing(FP32_COMPILED, step_seconds=0.01, compile_seconds=30.0)]
    assert choose_candidate(timings, 1000).candidate == FP32  # 20 s eager < 30 s compiling + 10 s
    assert choose_candidate(timings, 10_000).candidate == FP32_COMPILED  # 200 s eager > 30 s + 100 s


def test_a_run_too_short_to_repay_any_compilation_does_not_compile():
    calls: dict[Candidate, int] = {}
    durations = {FP32: (0.01, 0.01), FP32_COMPILED: (0.3, 0.001)}
    timings = measure_candidates(list(durations), sleeper(durations, calls), steps=3, expected_steps=50)
    skipped = next(t for t in timings if t.candidate == FP32_COMPILED)
    assert FP32_COMPILED not in calls and "too short to repay a compilation" in skipped.skipped


def compiler_failure():
    from torch._dynamo.exc import BackendCompilerFailed

    return BackendCompilerFailed("inductor", RuntimeError("cc1plus: fatal error"), None)


@pytest.mark.parametrize(
    ("failure", "named"),
    [
        (compiler_failure, "BackendCompilerFailed"),  # the compiler
        (lambda: SystemError("<built-in function kernel> returned a result with an exception set"), "SystemError"),
    ],  # ... or a kernel it generated (seen under the AVX2 emulation)
)
def test_a_compiled_candidate_that_fails_loses_and_the_others_go_on(failure, named):
    def make_step(candidate):
        def step():
            if candidate.compiled:
                raise failure()
            time.sleep(0.01)

        return step

    timings = measure_candidates([FP32, FP32_COMPILED], make_step, steps=2, expected_steps=10**6)
    failed = next(t for t in timings if t.candidate == FP32_COMPILED)
    assert failed.failed.startswith(named) and choose_candidate(timings, 10**6).candidate == FP32


def test_a_step_that_raises_something_else_is_not_swallowed():
    def make_step(candidate):
        def step():
            raise RuntimeError("shape mismatch")

        return step

    with pytest.raises(RuntimeError, match="shape mismatch"):
        measure_candidates([FP32], make_step, steps=1, expected_steps=1)


def tiny_model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(12, 3))


class Wrapped(torch.nn.Module):
    """A model called as the classifier is (keywords in, an output with ``.loss``)."""

    def __init__(self):
        super().__init__()
        self.net = tiny_model()

    def forward(self, pixel_values, coarse_labels=None):
        logits = self.net(pixel_values)
        loss = None if coarse_labels is None else torch.nn.functional.cross_entropy(logits, coarse_labels)
        return type("Output", (), {"loss": loss, "logits": logits})()


def test_the_verdict_is_cached_per_kernel_setting_and_the_random_state_is_untouched(tmp_path, monkeypatch):
    monkeypatch.setenv(autotune.CACHE_ENVIRONMENT, str(tmp_path))
    model = Wrapped()
    inputs = {"pixel_values": torch.randn(4, 3, 4), "coarse_labels": torch.tensor([0, 1, 2, 0])}
    before = torch.random.get_rng_state()
    first = choose_fast_path("cpu", compile="no", model=model, inputs=inputs, total_steps=1000)
    assert torch.equal(torch.random.get_rng_state(), before)
    assert first.measured == "measured" and {t["name"] for t in first.timings} == {"fp32 eager", "bf16 eager"}
    again = choose_fast_path("cpu", compile="no", model=model, inputs=inputs, total_steps=1000)
    assert again.measured == "cached" and again.timings == first.timings and "(cached, training)" in again.describe()
    cached = json.loads(next(tmp_path.glob("*.json")).read_text())
    assert cached["key"]["cpu"]["torch"] == torch.__version__ and cached["key"]["mode"] == "train"
    # Another kernel setting (an emulated CPU kind) is another machine: timed anew.
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX512_CORE")
    other = choose_fast_path("cpu", compile="no", model=model, inputs=inputs, total_steps=1000)
    assert other.measured == "measured" and len(list(tmp_path.glob("*.json"))) == 2
    # Another batch shape too.
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA")
    wider = {"pixel_values": torch.randn(8, 3, 4), "coarse_labels": torch.zeros(8, dtype=torch.long)}
    assert choose_fast_path("cpu", compile="no", model=model, inputs=wider, total_steps=1000).measured == "measured"


def test_a_torn_cache_file_is_measured_again(tmp_path, monkeypatch):
    monkeypatch.setenv(autotune.CACHE_ENVIRONMENT, str(tmp_path))
    model, inputs = Wrapped(), {"pixel_values": torch.randn(2, 3, 4), "coarse_labels": torch.tensor([0, 1])}
    choose_fast_path("cpu", compile="no", model=model, inputs=inputs, total_steps=1000)
    next(tmp_path.glob("*.json")).write_text('{"format_version": 1, "timi')
    assert choose_fast_path("cpu", compile="no", model=model, inputs=inputs, total_steps=1000).measured == "measured"


def test_the_cache_can_be_switched_off(tmp_path, monkeypatch):
    monkeypatch.setenv(autotune.CACHE_ENVIRONMENT, "off")
    model, inputs = Wrapped(), {"pixel_values": torch.randn(2, 3, 4), "coarse_labels": torch.tensor([0, 1])}
    for _ in range(2):
        path = choose_fast_path("cpu", compile="no", model=model, inputs=inputs, total_steps=1000)
        assert path.measured == "measured"


def test_a_run_shorter_than_its_timing_is_not_timed(tmp_path, monkeypatch):
    monkeypatch.setenv(autotune.CACHE_ENVIRONMENT, str(tmp_path))
    model, inputs = Wrapped(), {"pixel_values": torch.randn(2, 3, 4), "coarse_labels": torch.tensor([0, 1])}
    steps = autotune.MIN_STEPS_TO_MEASURE - 1
    short = choose_fast_path("cpu", compile="no", model=model, inputs=inputs, total_steps=steps)
    assert (short.precision, short.measured) == ("no", "no") and "not timed: a run of 49 steps" in short.describe()
    assert not list(tmp_path.glob("*.json"))
    # Once an earlier run's timings are cached, a short run uses them.
    choose_fast_path("cpu", compile="no", model=model, inputs=inputs, total_steps=1000)
    assert choose_fast_path("cpu", compile="no", model=model, inputs=inputs, total_steps=10).measured == "cached"
