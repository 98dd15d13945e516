"""Test-session settings: everything offline and hermetic.

The environment is set here, before any test module imports ``datasets`` / ``evaluate`` / ``transformers``:
no test may reach the internet or a hub (a test that runs its own Hub-protocol server on loopback passes its own
environment to the subprocess it starts), and caches live in a per-session temporary directory.
"""

import os
import tempfile

_SESSION_HOME = tempfile.mkdtemp(prefix="mt-tests-hf-home-")

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["HF_EVALUATE_OFFLINE"] = "1"  # evaluate ignores HF_HUB_OFFLINE
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HOME"] = _SESSION_HOME
os.environ["HF_DATASETS_CACHE"] = os.path.join(_SESSION_HOME, "datasets")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("MPLBACKEND", "Agg")
# Training and evaluation run in fp32, eagerly, unless a test asks for the fast path by option (tests/test_fast_path.py
# does, with --mixed_precision auto --compile auto): compiling each tiny model would cost ~20 s a run, and tests that
# compare two code paths within float32 tolerances mean float32.
os.environ["MT_MIXED_PRECISION"] = "no"
os.environ["MT_COMPILE"] = "no"
