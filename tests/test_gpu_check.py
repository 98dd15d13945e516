"""bench/gpu_check.py, the prepared GPU check, in its quick CPU version: it must run as it will on a GPU machine.

(The quick modes of the other bench scripts run in tests/test_benches.py.)"""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

GPU_CHECK = Path(__file__).resolve().parents[1] / "bench" / "gpu_check.py"


def test_the_gpu_check_runs_its_tiny_version_and_reports_every_figure(tmp_path):
    main = runpy.run_path(str(GPU_CHECK))["main"]
    report = main(["--quick", "--out", str(tmp_path / "gpu.json")])
    assert (tmp_path / "gpu.json").is_file() and report["device"].startswith("cpu") and report["steps"] == 2
    for name in ("videomae-tiny", "resnet3d-cpu-small"):
        figures = report[name]
        assert figures["losses_finite"] and figures["data_decoded_on"] == "cpu"
        for key in ("train_step_clips_per_s", "eval_clips_per_s", "data_path_clips_per_s"):
            assert figures[key] > 0, key
        ratio = figures["data_path_clips_per_s"] / figures["train_step_clips_per_s"]
        # The rates are rounded to 0.01 clips/s: on a loaded machine (a rate near 1) that alone moves their ratio ~1%.
        assert figures["data_over_train_step"] == pytest.approx(ratio, rel=0.05)
