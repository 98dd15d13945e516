"""Run every benchmark under bench/ and rewrite bench/RESULTS.md (what `make bench` does).

Each ``bench/bench_<topic>.py`` is a standalone script that measures our code against a named anchor in the same run
and prints one JSON object as its last line of output. This runner starts each script ``--repeats`` times (a fresh
process each time), keeps the last JSON line of every run, and writes RESULTS.md: the machine, the library versions,
the command, and for every numeric figure the median of the runs with its range.

    .venv/bin/python bench/run_all.py [--quick] [--repeats 3] [--only decode metric] [--results PATH]

``make test`` runs it as ``--quick --only metric help --repeats 1 --results <a temporary file>``
(tests/test_benches.py), and once with a timeout no script can meet, where it must exit non-zero.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "RESULTS.md"
# Measurements too long for `make bench` (the demo's three-seed finding, 36 training runs, and the head search),
# written by hand from their own command and included in RESULTS.md as they are.
INCLUDED = BENCH_DIR / "finding.md"
VERSIONED = (
    "motion-transfer",
    "torch",
    "torchcodec",
    "av",
    "datasets",
    "evaluate",
    "transformers",
    "accelerate",
    "numpy",
    "pyarrow",
    "moderngl",
)


def discover(only: list[str] | None) -> list[Path]:
    """The benchmark scripts, optionally restricted to the given topics (``decode`` -> bench_decode.py)."""
    scripts = sorted(BENCH_DIR.glob("bench_*.py"))
    if only:
        known = {p.stem.removeprefix("bench_"): p for p in scripts}
        missing = [t for t in only if t not in known]
        if missing:
            raise SystemExit(f"unknown benchmark(s) {missing}; available: {sorted(known)}")
        scripts = [known[t] for t in only]
    return scripts


def repeats_of(script: Path, default: int) -> int:
    """Runs of a script: ``default``, or fewer where the script says ``BENCH_MAX_REPEATS = N`` (long anchors)."""
    match = re.search(r"^BENCH_MAX_REPEATS = (\d+)", script.read_text(), re.MULTILINE)
    return min(default, int(match.group(1))) if match else default


def run_once(script: Path, quick: bool, timeout: float) -> dict:
    """Run one benchmark script in a fresh process and return its last JSON line."""
    command = [sys.executable, str(script)] + (["--quick"] if quick else [])
    completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=BENCH_DIR.parent)
    if completed.returncode != 0:
        raise RuntimeError(f"{script.name} failed ({completed.returncode}):\n{completed.stderr[-2000:]}")
    for line in reversed(completed.stdout.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"{script.name} printed no JSON line:\n{completed.stdout[-2000:]}")


def flatten(record: dict, prefix: str = "") -> dict[str, object]:
    """Nested dict -> ``{"a.b": value}``."""
    flat: dict[str, object] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def summarise(runs: list[dict]) -> list[tuple[str, str]]:
    """One row per figure: numbers as ``median (min-max)`` over the runs, everything else as the first run had it."""
    flats = [flatten(r) for r in runs]
    rows = []
    for key in flats[0]:
        values = [f.get(key) for f in flats]
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            median = statistics.median(values)
            text = (
                _number(median)
                if len(values) == 1
                else f"{_number(median)} ({_number(min(values))}-{_number(max(values))})"
            )
        else:
            text = str(values[0])
        rows.append((key, text))
    return rows


def _number(value: float) -> str:
    return f"{value:,}" if float(value).is_integer() and abs(value) >= 1 else f"{value:.4g}"


def versions() -> list[str]:
    """``name version`` of the libraries the figures depend on."""
    found = []
    for name in VERSIONED:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return found


def kept_sections(measured: set[str], results: Path = RESULTS) -> dict[str, str]:
    """The sections of the current ``results`` that this run does not measure (``--only``), by topic, as written."""
    if not results.is_file():
        return {}
    parts = re.split(r"^## ", results.read_text(), flags=re.MULTILINE)[1:]
    kept = {}
    for part in parts:
        topic = part.split("\n", 1)[0].strip()
        if topic not in measured and (BENCH_DIR / f"bench_{topic}.py").is_file():
            kept[topic] = "## " + part.rstrip("\n") + "\n"
    return kept


def cpu_description() -> str:
    """The CPU's model name, the kernel family torch dispatches to, and whether it has bf16 instructions."""
    model = "unknown model"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    probe = (
        "import torch; from mt_models.runtime.fast_path import native_bf16; "
        "print(torch.backends.cpu.get_cpu_capability(), native_bf16('cpu')[0])"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    capability, bf16 = (done.stdout.split() + ["?", "?"])[:2]
    return f"{model}; torch CPU capability {capability}; native bf16: {'yes' if bf16 == 'True' else 'no'}"


def write_results(
    sections: list[tuple[Path, list[dict], float, str | None]],
    command: str,
    repeats: int,
    quick: bool,
    results: Path = RESULTS,
) -> None:
    """Rewrite ``results`` from the collected runs; the sections of topics not run now are kept as they were."""
    written: dict[str, list[str]] = {}
    lines = [
        "# Benchmark results",
        "",
        f"Written by `{command}` on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC. Every figure is the median of "
        f"{repeats} runs (fresh processes; fewer where a section says so) with the range in brackets; "
        "ratios compare against the anchor named in the "
        "same run, on the same machine.",
        "",
        f"- machine: {platform.machine()}, {os.cpu_count()} CPU cores, {platform.platform()}, Python "
        f"{platform.python_version()}",
        f"- CPU: {cpu_description()}",
        f"- versions: {', '.join(versions())}",
        "",
    ]
    if command != "make bench":
        lines += [f"Sections not measured by `{command}` are kept from an earlier run; each says its own command.", ""]
    flag = " --quick" if quick else ""
    for script, runs, seconds, error in sections:
        doc = (script.read_text().split('"""')[1].strip().split("\n\n")[0]).replace("\n", " ")
        section = [
            f"## {script.stem.removeprefix('bench_')}",
            "",
            doc,
            "",
            f"Command: `.venv/bin/python bench/{script.name}{flag}` ({len(runs)} runs, {seconds:.0f} s, "
            f"{datetime.now(timezone.utc):%Y-%m-%d})",
            "",
        ]
        if error:
            section += ["**Failed:**", "", "```", error.strip()[-1500:], "```", ""]
        else:
            section += ["| figure | value |", "|---|---|"]
            section += [f"| {key} | {value} |" for key, value in summarise(runs)]
            section.append("")
        written[script.stem.removeprefix("bench_")] = section
    kept = kept_sections(set(written), results)
    for topic in sorted({*written, *kept}):
        lines += written[topic] if topic in written else [kept[topic]]
    if INCLUDED.is_file():
        lines += ["", INCLUDED.read_text().strip(), ""]
    results.write_text("\n".join(lines))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="pass --quick to every benchmark (smoke run)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each benchmark (default 3)")
    parser.add_argument("--only", nargs="*", help="topics to run, e.g. decode metric")
    parser.add_argument("--timeout", type=float, default=600, help="seconds allowed per run")
    parser.add_argument("--results", type=Path, default=RESULTS, help="the file written (default bench/RESULTS.md)")
    args = parser.parse_args()
    command = (
        "make bench"
        if not (args.quick or args.only or args.repeats != 3 or args.results != RESULTS)
        else " ".join([".venv/bin/python bench/run_all.py", *sys.argv[1:]])
    )
    sections = []
    failed = False
    for script in discover(args.only):
        start, runs, error = time.perf_counter(), [], None
        repeats = repeats_of(script, args.repeats)
        print(f"[bench] {script.name} x{repeats}", flush=True)
        try:
            for _ in range(repeats):
                runs.append(run_once(script, args.quick, args.timeout))
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            error, failed = str(exc), True
            print(f"[bench] {script.name} FAILED: {str(exc).splitlines()[0]}", flush=True)
        sections.append((script, runs, time.perf_counter() - start, error))
    write_results(sections, command, args.repeats, args.quick, args.results)
    print(f"[bench] wrote {args.results}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
