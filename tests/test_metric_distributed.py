"""Under two gloo processes (accelerate launch) the metric's gathered result equals the single-process one."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
from factories import accelerate_launch
from test_metric import make_protocol_data

from mt_metrics import compute_transferability

SCRIPT = Path(__file__).parent / "scripts" / "metric_gloo.py"


def test_two_gloo_processes_equal_one_process(tmp_path):
    n = 250  # odd shard sizes (125 each, then split 62 / 63 into batches)
    data = make_protocol_data(n=n, seed=8)
    data["view"] = np.random.default_rng(8).choice(["regular", "front"], n)
    np.savez(tmp_path / "inputs.npz", **data)

    command, env = accelerate_launch()
    command += [
        str(SCRIPT),
        "--data",
        str(tmp_path / "inputs.npz"),
        "--out",
        str(tmp_path / "results.json"),
        "--cache-dir",
        str(tmp_path / "evaluate-cache"),
        "--experiment-id",
        "metric-gloo-test",
    ]
    completed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
    assert completed.returncode == 0, completed.stderr[-12000:]  # with the aborted process's threads

    report = json.loads((tmp_path / "results.json").read_text())
    assert report["num_processes"] == 2 and report["shard_sizes"] == [125, 125]
    inputs = {name: values for name, values in data.items() if name != "view"}
    expected = compute_transferability(**inputs, groups={"view": data["view"]}, bootstrap_samples=200, seed=3)
    expected = json.loads(json.dumps(expected))  # the script's results went through JSON: str keys, lists
    assert report["evaluate"] == expected
    assert report["gather_for_metrics"] == expected
