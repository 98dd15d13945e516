"""Test-session settings: everything offline and hermetic.

The environment is set here, before any test module imports ``datasets`` / ``evaluate`` / ``transformers``:
no test may reach the internet or a hub (a test that runs its own Hub-protocol server on loopback passes its own
environment to the subprocess it starts), and caches live in a per-session temporary directory (per process: each
pytest-xdist worker imports this file and makes its own).

``make test`` runs the suite in pytest-xdist workers, one per core. Each worker then holds torch (and the BLAS) to its
share of the cores, so that two workers on two cores do not each start two threads and fight over them; the
subprocesses a test starts inherit the same setting (a test that compares a run in this process with one in a
subprocess compares the same kernels). An ``OMP_NUM_THREADS`` set by the user is kept.
"""

import os
import tempfile

import pytest

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

_WORKERS = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
if _WORKERS > 1:  # set before any test module imports torch: it reads the variable once, at import
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, len(os.sched_getaffinity(0)) // _WORKERS)))


def pytest_collection_modifyitems(items):
    """The modules marked ``slow`` first, the order otherwise kept: under pytest-xdist (``make test`` hands each
    worker whole modules, in this order) the long modules start early and the short ones fill in at the end, so that
    no worker is left running a long module alone while the other idles."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """A classifier trained by ``examples/train.py`` on a tiny Syn-TA (:func:`factories.make_tiny_run`), built once
    for the whole session (the pipeline and the scripts' tests read it): a ``factories.TinyRun``."""
    from factories import TinyRun, build_once, make_tiny_run

    return TinyRun.under(build_once(tmp_path_factory, "tiny-run", make_tiny_run))
