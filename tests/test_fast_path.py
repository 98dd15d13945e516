"""The fast path: chosen per machine, said and recorded, falling back where a feature is missing, and exact on resume.

The rest of the suite trains in fp32 eagerly (conftest sets ``MT_MIXED_PRECISION`` / ``MT_COMPILE``); the tests here
ask for the fast path by option, as a user's default run gets it.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch
from factories import EXAMPLES, make_tiny_dataset, run_example
from safetensors.torch import load_file

import mt_models.fast_path as fast_path
from mt_models.fast_path import CompiledStep, avx2_environment, choose_fast_path, native_bf16

# What a machine without AVX-512 (an AMD EPYC with AVX2 only) runs, emulated here (bench/bench_train.py uses the same).
AVX2 = avx2_environment()


def test_forced_choices_are_taken_and_said():
    path = choose_fast_path("cpu", mixed_precision="no", compile="no")
    assert (path.precision, path.compiled, path.channels_last) == ("no", False, False)
    assert "precision fp32, eager, default memory format" in path.describe() and "eager as asked" in path.describe()
    assert path.to_dict()["reasons"] == ["fp32 as asked", "eager as asked"]
    with pytest.raises(ValueError, match="--compile must be one of auto, yes, no; got 'sometimes'"):
        choose_fast_path("cpu", compile="sometimes")


def test_auto_precision_is_bf16_exactly_where_the_cpu_has_it():
    native, why = native_bf16("cpu")
    path = choose_fast_path("cpu", compile="no")
    assert path.precision == ("bf16" if native else "no")
    assert why in path.describe()


def test_a_cpu_without_bf16_instructions_gets_fp32_and_says_why():
    code = (
        "from mt_models.fast_path import choose_fast_path; p = choose_fast_path('cpu', compile='no'); "
        "print(p.precision); print(p.cpu_capability); print(p.describe())"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=AVX2)
    assert run.returncode == 0, run.stderr
    precision, capability, line = run.stdout.strip().splitlines()
    assert (precision, capability) == ("no", "AVX2")
    assert "no native bf16 instructions" in line
    # Forcing bf16 there is allowed, and the line warns.
    forced = subprocess.run(
        [sys.executable, "-c", code.replace("compile='no'", "compile='no', mixed_precision='bf16'")],
        capture_output=True, text=True, env=AVX2,
    )  # fmt: skip
    assert "bf16 as asked, although the CPU has no native bf16 instructions" in forced.stdout


def test_no_compiler_means_eager_and_says_so(monkeypatch):
    monkeypatch.setattr(fast_path.shutil, "which", lambda name: None)
    assert fast_path.compiler_works.__wrapped__("cpu") == (False, "no C++ compiler on the PATH for torch.compile")
    monkeypatch.setattr(fast_path, "compiler_works", fast_path.compiler_works.__wrapped__)
    path = choose_fast_path("cpu", mixed_precision="no", compile="yes")
    assert not path.compiled and not path.channels_last
    assert "eager: no C++ compiler on the PATH for torch.compile (--compile yes was asked: falling back)" in (
        path.describe()
    )


def test_a_failed_compilation_falls_back_to_eager(monkeypatch, capsys):
    from torch._dynamo.exc import BackendCompilerFailed

    def broken_compile(function, **kwargs):
        def compiled(*args, **kw):
            raise BackendCompilerFailed("inductor", RuntimeError("cc1plus: fatal error"), None)

        return compiled

    monkeypatch.setattr(torch, "compile", broken_compile)
    step = CompiledStep(lambda x: x * 2, enabled=True)
    assert step(torch.ones(2)).tolist() == [2.0, 2.0] and not step.compiled
    assert "falling back to eager mode" in capsys.readouterr().out
    assert step(torch.ones(1)).tolist() == [2.0]  # and stays eager


@pytest.fixture(scope="module")
def motion_dataset(tmp_path_factory):
    return make_tiny_dataset(tmp_path_factory.mktemp("fast-path-syn-ta"), clips_per_fine=3, num_frames=16)


@pytest.mark.cpu_sensitive  # make test runs it again with AVX2 kernels: the fp32 compiled path of such a CPU
def test_the_fast_path_trains_records_itself_and_resumes_exactly(motion_dataset, tmp_path):
    """The demo's model on this machine's fast path (bf16 where native, compiled where a compiler works)."""
    common = ["--dataset", str(motion_dataset), "--model", "resnet3d", "--modality", "fg+diff", "--baseline"]
    common += ["--num_epochs", "2", "--batch_size", "4", "--learning_rate", "1e-3", "--num_workers", "0"]
    common += ["--mixed_precision", "auto", "--compile", "auto", "--checkpointing_steps", "2", "--cache_clips"]
    full, part = tmp_path / "full", tmp_path / "resumed"
    run_example("train", *common, "--output_dir", str(full))
    summary = json.loads((full / "train_results.json").read_text())
    chosen = summary["fast_path"]
    assert chosen["precision"] == ("bf16" if native_bf16("cpu")[0] else "no")
    assert chosen["compiled"] == fast_path.compiler_works("cpu")[0]
    assert chosen["cpu_capability"] == torch.backends.cpu.get_cpu_capability()
    assert summary["loop_clips_per_second"] > 0

    steps = summary["steps"]
    run_example("train", *common, "--output_dir", str(part), "--stop_after_steps", str(steps - 1))
    run_example("train", *common, "--output_dir", str(part), "--resume_from_checkpoint", "latest")
    expected, resumed = load_file(full / "model.safetensors"), load_file(part / "model.safetensors")
    # Exact: the same computation on the same machine (the same kernels, compiled or not, from the same state).
    assert expected.keys() == resumed.keys()
    assert all(torch.equal(expected[k], resumed[k]) for k in expected)


def test_a_training_after_another_in_one_process_equals_the_same_training_alone(motion_dataset, tmp_path):
    """`make demo` trains four models in one process: each must come out as it would alone (the same table twice).

    Exact: the same computation on the same machine, on the fast path (on a CPU with bf16 instructions, oneDNN's
    AVX-512/AMX kernels and its primitive cache are the suspects if this ever breaks).
    """
    common = ["--dataset", str(motion_dataset), "--model", "resnet3d", "--modality", "fg+diff", "--baseline"]
    common += ["--num_epochs", "1", "--batch_size", "4", "--learning_rate", "1e-3", "--num_workers", "0"]
    common += ["--mixed_precision", "auto", "--compile", "auto", "--cache_clips", "--augment", "shift"]
    run_example("train", *common, "--config", "set1", "--output_dir", str(tmp_path / "first"))
    run_example("train", *common, "--config", "set2", "--output_dir", str(tmp_path / "after"))
    command = [sys.executable, str(EXAMPLES / "train.py"), *common, "--config", "set2"]
    alone = subprocess.run(
        [*command, "--output_dir", str(tmp_path / "alone")], capture_output=True, text=True, timeout=600
    )
    assert alone.returncode == 0, alone.stderr[-2000:]
    after = load_file(tmp_path / "after" / "model.safetensors")
    by_itself = load_file(tmp_path / "alone" / "model.safetensors")
    assert all(torch.equal(after[k], by_itself[k]) for k in after)
