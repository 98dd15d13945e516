"""The other x86 CPU family, emulated here: numpy, torch, oneDNN, MKL and OpenBLAS held to AVX2 kernels.

Floats may differ in the last bit between CPU families (an AMD EPYC has AVX2 and no AVX-512), because numpy's SIMD
math, torch's kernels and the BLAS libraries dispatch on the CPU they find. Tests marked ``cpu_sensitive`` compare
such floats; ``make test`` runs them once more under :func:`avx2_env`, so a test that holds on one family only fails
on the machine of whoever changes it, not on the next CI machine:

    python tests/cpu_families.py avx2 -q -m cpu_sensitive      (arguments after the families go to pytest)
    python tests/cpu_families.py avx2 avx512_core -q -m cpu_sensitive      (both at once, as ``make test`` runs them)

Several families run at the same time, each in its own pytest process (the settings must be in place before torch is
imported) held to its share of the cores; each run's output is printed whole once it ends, and the exit status is
non-zero if any run failed.

The names were checked with numpy 2.4 (``numpy.show_runtime()``: X86_V3 found, X86_V4 / AVX512_ICL / AVX512_SPR not),
torch 2.13 (``torch.backends.cpu.get_cpu_capability()`` == "AVX2"), oneDNN 3.12 (``ONEDNN_VERBOSE=1``: "isa:Intel
AVX2") and OpenBLAS (``numpy.show_runtime()``: architecture Haswell). numpy warns on a name it does not dispatch, so
its list is read from the numpy installed: every dispatch target above AVX2.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

from mt_models.runtime.fast_path import avx2_environment, avx512_core_environment, numpy_features_above_avx2

__all__ = ["FAMILIES", "avx2_env", "numpy_features_above_avx2"]


def avx2_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment) with every library held to AVX2
    (:func:`mt_models.runtime.fast_path.avx2_environment`, the one home of the settings)."""
    return avx2_environment(base)


# avx512_core: an Intel CPU with AVX-512 but no AVX512-BF16/AMX (oneDNN held below its bf16 instructions; it then
# emulates bf16), the kind of many cloud machines.
FAMILIES = {"avx2": avx2_env, "avx512_core": avx512_core_environment}


def run_families(names: list[str], pytest_args: list[str]) -> int:
    """pytest with ``pytest_args`` once per family in ``names``, all at once; the first non-zero exit status, or 0."""
    threads = str(max(1, len(os.sched_getaffinity(0)) // len(names)))
    runs = []
    for name in names:
        env = FAMILIES[name]()
        if len(names) > 1:
            env.setdefault("OMP_NUM_THREADS", threads)
        changed = sorted(k for k in env if env[k] != os.environ.get(k))
        header = f"{name}: " + " ".join(f"{k}={env[k]!r}" for k in changed)
        output = tempfile.TemporaryFile(mode="w+")  # not a pipe: a full pipe would stall a run until its turn
        command = [sys.executable, "-m", "pytest", *pytest_args]
        process = subprocess.Popen(command, env=env, stdout=output, stderr=output)
        runs.append((header, process, output))
    status = 0
    for header, process, output in runs:
        process.wait()
        with output:
            output.seek(0)
            print(header, output.read(), sep="\n", end="", flush=True)
        status = status or process.returncode
    return status


if __name__ == "__main__":
    families = [name for name in sys.argv[1:] if name in FAMILIES]
    if not families or sys.argv[1 : 1 + len(families)] != families:
        sys.exit(f"usage: python tests/cpu_families.py {{{','.join(FAMILIES)}}}... [PYTEST ARGS]")
    sys.exit(run_families(families, sys.argv[1 + len(families) :]))
