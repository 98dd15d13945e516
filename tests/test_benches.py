"""Every bench/ script's ``--quick`` mode, run as a user runs it, so that a bench that breaks fails ``make test``.

Each script runs in its own process from the repository root, with the session's hermetic Hugging Face settings
(tests/conftest.py) but without the fp32-eager pins (``MT_MIXED_PRECISION``, ``MT_COMPILE``): a bench chooses its
path as the product does. It must exit 0 and end its output with one JSON object whose figures are finite numbers
(a failed measurement must not pass as NaN). bench/gpu_check.py's quick mode runs in tests/test_gpu_check.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
# Seconds allowed per script: each takes well under a minute on two idle cores; the margin is for a shared machine.
TIMEOUT = 600

pytestmark = pytest.mark.slow

SCRIPTS = [
    "bench_builders.py",
    "bench_decode.py",
    "bench_diagnose.py",
    "bench_eval.py",
    "bench_generate.py",
    "bench_help.py",
    "bench_metric.py",
    "bench_train.py",
    "heads.py",
]


def bench_environment() -> dict[str, str]:
    """This session's environment without the pins that hold training and evaluation to fp32 eager."""
    return {name: value for name, value in os.environ.items() if name not in ("MT_MIXED_PRECISION", "MT_COMPILE")}


def run_bench(script: str, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(BENCH / script), *arguments],
        cwd=ROOT,
        env=bench_environment(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def _refuse_non_finite(constant: str) -> float:
    raise ValueError(f"the bench printed {constant}: a figure it failed to measure")


def test_every_bench_script_is_listed():
    """A new script under bench/ gets its quick run here (or says where it has one)."""
    listed = {p if isinstance(p, str) else p.values[0] for p in SCRIPTS}
    assert {p.name for p in BENCH.glob("*.py")} == listed | {"gpu_check.py", "run_all.py"}


@pytest.mark.parametrize("script", SCRIPTS)
def test_quick_mode_runs_and_prints_its_figures_as_json(script):
    done = run_bench(script, "--quick")
    assert done.returncode == 0, f"{script} --quick exited {done.returncode}:\n{done.stderr[-3000:]}"
    last_line = done.stdout.strip().splitlines()[-1]
    figures = json.loads(last_line, parse_constant=_refuse_non_finite)
    assert isinstance(figures, dict) and figures, last_line


def test_run_all_writes_the_results_of_the_benches_it_ran(tmp_path):
    results = tmp_path / "RESULTS.md"
    done = run_bench("run_all.py", "--quick", "--only", "metric", "help", "--repeats", "1", "--results", str(results))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    text = results.read_text()
    assert "## metric" in text and "## help" in text and "Failed" not in text
    assert "| anchor_seconds |" in text and "| slowest_script_vs_anchor |" in text
    assert "bench/bench_metric.py --quick" in text


def test_run_all_fails_when_a_bench_fails(tmp_path):
    results = tmp_path / "RESULTS.md"
    done = run_bench("run_all.py", "--quick", "--only", "metric", "--timeout", "0.01", "--results", str(results))
    assert done.returncode == 1
    assert "bench_metric.py FAILED" in done.stdout and "**Failed:**" in results.read_text()


def test_heads_trains_every_variant_as_the_demo_does_at_its_frames(tmp_path):
    """bench/heads.py compares heads under the demo's recipe: the demo's options reach every training, the number of
    frames included (it once trained at train.py's 16 frames while the demo reads 8)."""
    done = run_bench("heads.py", "--quick", "--select_on", "none", "--num_frames", "4", "--output_dir", str(tmp_path))
    assert done.returncode == 0, done.stderr[-3000:]
    configs = sorted((tmp_path / "runs").glob("**/config.json"))
    assert len(configs) == 4, configs  # baseline and the default head, both directions
    assert {json.loads(path.read_text())["input_spec"]["num_frames"] for path in configs} == {4}
