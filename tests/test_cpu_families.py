"""The AVX2 emulation ``make test`` runs the ``cpu_sensitive`` tests under takes effect on this machine."""

from __future__ import annotations

import json
import subprocess
import sys

from cpu_families import avx2_env

PROBE = """
import json, numpy, torch
from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
dispatched = [name for name in __cpu_dispatch__ if __cpu_features__.get(name)]
print(json.dumps({"torch": torch.backends.cpu.get_cpu_capability(), "numpy": dispatched}))
"""


def test_the_avx2_settings_hold_numpy_and_torch_to_avx2():
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", PROBE], env=avx2_env(), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]  # -W error: numpy would warn on a name it does not know
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["torch"] in ("AVX2", "DEFAULT")
    assert [name for name in found["numpy"] if "512" in name or name == "X86_V4"] == []
