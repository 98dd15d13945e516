"""examples/demo.py (what `make demo` runs) end to end on a cut-down Syn-TA, and its rerun reusing the data."""

from __future__ import annotations

import json
import runpy
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_demo(out: Path) -> subprocess.CompletedProcess:
    command = [sys.executable, str(ROOT / "examples" / "demo.py"), "--output_dir", str(out)]
    command += ["--classes", "rising", "falling", "--clips_per_class", "2", "--size", "32", "--num_epochs", "1"]
    command += ["--bootstrap_samples", "50", "--workers", "1"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_demo_runs_the_protocol_and_reuses_its_data(tmp_path):
    first = run_demo(tmp_path)
    summary = json.loads((tmp_path / "demo_results.json").read_text())
    ours = [row for row in summary["rows"] if row["source"] == "ours"]
    assert [row["model"] for row in ours] == [
        "motion-only / baseline",
        "motion-only / disentangled",
        "paper / baseline",
        "paper / disentangled",
    ]
    for row in ours:
        assert 0 <= row["known_accuracy"] <= 100 and row["known_accuracy_ci_low"] <= row["known_accuracy"]
        assert abs(row["absolute_drop"] - (row["known_accuracy"] - row["unknown_accuracy"])) < 1e-9
    assert any(row["source"] == "paper" for row in summary["rows"])
    table = (tmp_path / "table.md").read_text()
    assert "| ours | paper / disentangled |" in table and "Known" in table
    assert "Unknown accuracy falls below known accuracy" in (tmp_path / "findings.md").read_text()
    assert (tmp_path / "known_unknown.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    records = sorted(tmp_path.glob("runs/*/*/seed0/set*/eval/all_results.json"))
    assert len(records) == 8  # 2 protocols x 2 heads x 2 directions
    assert "Known" in first.stdout

    second = run_demo(tmp_path)  # the generated data is reused, not made again
    assert second.stdout.count("already holds this dataset") == 2


def _demo_findings():
    """demo.py's ``findings``, from the script run as a module (not as __main__)."""
    return runpy.run_path(str(ROOT / "examples" / "demo.py"))["findings"]


def _row(known, unknown, width=2.0):
    return {
        "known_accuracy": known,
        "unknown_accuracy": unknown,
        "absolute_drop": known - unknown,
        **{
            f"{name}_ci_low": value - width
            for name, value in (("known_accuracy", known), ("unknown_accuracy", unknown))
        },
        **{
            f"{name}_ci_high": value + width
            for name, value in (("known_accuracy", known), ("unknown_accuracy", unknown))
        },
        "absolute_drop_ci_low": known - unknown - width,
        "absolute_drop_ci_high": known - unknown + width,
    }


def test_findings_say_what_holds_and_warn_near_chance():
    findings = _demo_findings()
    strong = {
        ("motion-only", "baseline"): _row(90, 70),
        ("motion-only", "disentangled"): _row(90, 80),
        ("paper", "baseline"): _row(90, 40),
        ("paper", "disentangled"): _row(90, 45),
    }
    text = "\n".join(findings(strong, ["motion-only", "paper"], ["baseline", "disentangled"], chance=5.0))
    assert "Caution" not in text
    assert "motion-only / baseline: K 90.0 vs U 70.0: holds (intervals apart)" in text
    assert "baseline: D_abs 50.0 vs 20.0: holds (intervals apart)" in text
    assert "paper: U 45.0 vs 40.0: holds (intervals apart)" in text

    weak = {**strong, ("paper", "disentangled"): _row(7, 8)}
    text = "\n".join(findings(weak, ["motion-only", "paper"], ["baseline", "disentangled"], chance=5.0))
    assert "Caution" in text and "paper / disentangled reaches twice that" in text
    assert "paper / disentangled: K 7.0 vs U 8.0: does not hold" in text
