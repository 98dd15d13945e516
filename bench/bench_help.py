"""How long each example script takes to answer ``--help``, against ``mt-datasets --help``.

A user's first command is often ``--help``; the scripts read their arguments before importing torch and transformers
(their options live in the light :mod:`mt_models.options`), so it should answer as fast as the datasets command line.
Each command runs ``--repeats`` times in a fresh process; prints one JSON line: the median seconds of each, the CPU and
torch's CPU capability.

    .venv/bin/python bench/bench_help.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCRIPTS = ("train", "eval", "diagnose", "demo", "run_protocol", "quickstart")


def mt_datasets_command() -> list[str]:
    """The ``mt-datasets`` console script beside this interpreter, or ``python -m mt_datasets.commands.cli`` where
    there is none or it is another checkout's (an editable install of a tree whose modules moved)."""
    script = Path(sys.executable).parent / "mt-datasets"
    if script.is_file() and subprocess.run([str(script), "--help"], capture_output=True).returncode == 0:
        return [str(script)]
    return [sys.executable, "-m", "mt_datasets.commands.cli"]


def median_seconds(command: list[str], repeats: int) -> float:
    """Median wall time of ``command`` over ``repeats`` fresh processes, after one warm-up run (disk caches)."""
    times = []
    for repeat in range(repeats + 1):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        if repeat:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run of each command (smoke run)")
    parser.add_argument("--repeats", type=int, default=5, help="runs of each command (default 5)")
    args = parser.parse_args()
    repeats = 1 if args.quick else args.repeats

    import torch  # after the timings' warm-up would not matter: each command runs in its own process

    result: dict[str, object] = {
        "benchmark": "help",
        "cpu": cpu_name(),
        "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "repeats": repeats,
        "anchor_mt_datasets_help_seconds": round(median_seconds([*mt_datasets_command(), "--help"], repeats), 3),
    }
    for script in SCRIPTS:
        seconds = median_seconds([sys.executable, str(EXAMPLES / f"{script}.py"), "--help"], repeats)
        result[f"{script}_help_seconds"] = round(seconds, 3)
    slowest = max(result[f"{script}_help_seconds"] for script in SCRIPTS)
    result["slowest_script_vs_anchor"] = round(slowest / result["anchor_mt_datasets_help_seconds"], 2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
