"""examples/demo.py (what `make demo` runs) end to end on a cut-down Syn-TA, and its rerun reusing the data."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mt_models.experiments.findings import findings

pytestmark = pytest.mark.slow  # started first under pytest-xdist (tests/conftest.py)

ROOT = Path(__file__).resolve().parents[1]


def run_demo(out: Path, *extra: str) -> subprocess.CompletedProcess:
    command = [sys.executable, str(ROOT / "examples" / "demo.py"), "--output_dir", str(out)]
    command += ["--classes", "rising", "falling", "--clips_per_class", "2", "--size", "32", "--num_epochs", "1"]
    command += ["--bootstrap_samples", "50", "--workers", "1", *extra]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_demo_runs_the_protocol_and_reuses_its_data(tmp_path):
    first = run_demo(tmp_path, "--heads", "baseline", "disentangled")
    summary = json.loads((tmp_path / "demo_results.json").read_text())
    ours = [row for row in summary["rows"] if row["source"] == "ours"]
    assert [row["model"] for row in ours] == [
        "motion-only / fg+diff / baseline",
        "motion-only / fg+diff / disentangled",
        "paper / fg+diff / baseline",
        "paper / fg+diff / disentangled",
    ]
    for row in ours:
        assert 0 <= row["known_accuracy"] <= 100 and row["known_accuracy_ci_low"] <= row["known_accuracy"]
        assert abs(row["absolute_drop"] - (row["known_accuracy"] - row["unknown_accuracy"])) < 1e-9
    assert any(row["source"] == "paper" for row in summary["rows"])
    table = (tmp_path / "table.md").read_text()
    assert "| ours | paper / fg+diff / disentangled |" in table and "Known" in table
    # Chance is 1 of the coarse classes in the data (--classes rising falling), not of the whole taxonomy.
    assert "| chance | guessing 1 of 2 | 50.0 | 50.0 | 0.0 | 50.0 |" in table
    assert set(summary["known_accuracy_per_direction"]["paper / fg+diff / baseline"]) == {"set1->set2", "set2->set1"}
    assert set(summary["probes"]) == {"plain", "shuffle", "static"}
    findings_text = (tmp_path / "findings.md").read_text()
    assert "Unknown accuracy falls below known accuracy" in findings_text
    assert "Which motions transfer" in findings_text and "rising" in findings_text
    assert (tmp_path / "known_unknown.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    records = sorted(tmp_path.glob("runs/*/*/*/seed0/set*/eval/all_results.json"))
    assert len(records) == 8  # 2 protocols x 2 heads x 2 directions
    # The model trained is the default convolutional one, on the modality it was asked for (stored with it).
    trained = json.loads((records[0].parents[1] / "config.json").read_text())
    assert trained["backbone"] == "resnet3d" and trained["input_spec"]["modality"] == "fg+diff"
    assert "Known" in first.stdout

    second = run_demo(tmp_path, "--heads", "baseline", "disentangled")  # the generated data is reused, not made again
    assert second.stdout.count("already holds this dataset") == 2


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


class _Paired:
    """A stand-in for mt_models.experiments.protocol.PairedComparisons: differences of the point values with a fixed
    interval (+-5 points, so a 5-point difference includes 0), and a record of what was asked."""

    def __init__(self):
        self.asked, self.contrasts, self.rows = [], [], {}

    def difference(self, first, second, statistic):
        self.asked.append((first, second, statistic))
        value = (self.rows[first][statistic] - self.rows[second][statistic]) / 100
        return {"difference": value, "interval": (value - 0.05, value + 0.05)}

    def contrast(self, keys, weights, statistic):
        self.contrasts.append((keys, weights))
        value = sum(w * self.rows[k][statistic] for k, w in zip(keys, weights, strict=True)) / 100
        return {"difference": value, "interval": (value - 0.05, value + 0.05)}


def test_findings_say_what_holds_and_warn_near_chance():
    strong = {
        ("motion-only", "fg+diff", "baseline"): _row(90, 70),
        ("motion-only", "fg+diff", "disentangled"): _row(90, 80),
        ("paper", "fg+diff", "baseline"): _row(90, 40),
        ("paper", "fg+diff", "disentangled"): _row(90, 45),
        ("motion-only", "rgb+fg+diff", "baseline"): _row(95, 75),
        ("motion-only", "rgb+fg+diff", "disentangled"): _row(95, 75),
        ("paper", "rgb+fg+diff", "baseline"): _row(95, 20),
        ("paper", "rgb+fg+diff", "disentangled"): _row(95, 30),
    }
    per_class = {"paper": {"rising": (90.0, 90.0), "falling": (80.0, 40.0), "occlusion": (70.0, 0.0)}}
    probes = {
        "plain": {"known_accuracy": 90.0, "unknown_accuracy": 40.0},
        "static": {"known_accuracy": 10.0, "unknown_accuracy": 8.0},
        "shuffle": {"known_accuracy": 60.0, "unknown_accuracy": 30.0},
    }
    per_direction = {"paper / fg+diff / baseline": {"set1->set2": 91.0, "set2->set1": 89.0}}
    paired = _Paired()
    paired.rows = strong
    text = "\n".join(findings(strong, chance=5.0, per_class=per_class, probes=probes, per_direction=per_direction,
                               paired=paired))  # fmt: skip
    assert "- paper / fg+diff / baseline: set1->set2 91.0, set2->set1 89.0" in text
    assert "Caution" not in text and "Chance is 5.0% (20 coarse classes)" in text
    # Observation 1 by the row's own interval of the drop.
    assert "motion-only / fg+diff / baseline: K 90.0 vs U 70.0: holds (drop 20.0, 95% interval [18.0, 22.0], " in text
    # Observations 2 and 3 by the paired intervals the source gives, asked for the right rows and statistics.
    assert ("fg+diff / baseline: D_abs 50.0 vs 20.0: holds (difference +30.0, paired 95% interval [+25.0, +35.0], "
            "excludes 0)") in text  # fmt: skip
    assert (("paper", "fg+diff", "baseline"), ("motion-only", "fg+diff", "baseline"), "absolute_drop") in paired.asked
    assert "paper / fg+diff / disentangled: U 45.0 vs 40.0: holds by the point estimate only (difference +5.0, " in text
    assert (("paper", "fg+diff", "disentangled"), ("paper", "fg+diff", "baseline"), "unknown_accuracy") in paired.asked
    # The RGB-seeing model's drop grows by 55 points under the appearance shift, the motion-only one's by 30.
    assert "loses more when appearance shifts than one that sees only motion (fg+diff), baseline head: " in text
    assert "grows by 55.0 vs 30.0 points: holds (difference +25.0" in text
    assert paired.contrasts == [
        ([("paper", "rgb+fg+diff", head), ("motion-only", "rgb+fg+diff", head), ("paper", "fg+diff", head),
          ("motion-only", "fg+diff", head)], [1.0, -1.0, -1.0, 1.0])
        for head in ("baseline", "disentangled")
    ]  # fmt: skip
    assert "paper: transfer best: rising (90/90); worst: occlusion (0/70)" in text  # no class among both
    assert "it uses motion: known accuracy falls by half or more under static" in text

    weak = {**strong, ("paper", "fg+diff", "disentangled"): _row(7, 8)}
    text = "\n".join(findings(weak, chance=5.0))
    assert "Caution" in text and "paper / fg+diff / disentangled reaches twice chance" in text
    assert "paper / fg+diff / disentangled: K 7.0 vs U 8.0: does not hold" in text
    assert "paper / fg+diff / disentangled: U 8.0 vs 40.0: does not hold (point estimates; no paired interval" in text
