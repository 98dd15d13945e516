"""Make ``evaluate.load("motion_transferability")`` find the module shipped in this package.

How evaluate 0.4 resolves a bare name (``evaluate/loading.py``, ``evaluation_module_factory``): a directory of that
name holding ``<name>.py`` in the working directory; else the Hub Spaces ``evaluate-metric/<name>`` (then
``evaluate-comparison/…``, ``evaluate-measurement/…``); and when those fail (offline, or no such Space) the newest
copy in its modules cache, ``<HF_MODULES_CACHE>/evaluate_modules/metrics/evaluate-metric--<name>/<hash>/``. No
registry exists, so :func:`register_with_evaluate` puts our module into that cache entry, the way evaluate itself
stores a loaded module: the script, the files it imports relatively, and the package markers. Nothing is sent over
the network. evaluate logs a warning when it takes a module from the cache ("could not be found ... using the cached
version"); for this module that is the expected path, so :func:`register_with_evaluate` rewrites it into a line saying
what happened (:class:`_SayWhatHappened`). The results are those of ``evaluate.load(<this directory>)``. The Hub has
no ``evaluate-metric/motion_transferability`` Space; should one appear, evaluate would load it first.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import warnings
from pathlib import Path

__all__ = ["EVALUATE_MODULE_DIR", "MODULE_NAME", "evaluate_cache_entry", "register_with_evaluate"]

# The evaluate module's directory; evaluate.load() takes it as a path from any working directory.
EVALUATE_MODULE_DIR = Path(__file__).resolve().parent / "motion_transferability"
MODULE_NAME = EVALUATE_MODULE_DIR.name
# The files evaluate copies when it loads the module: the script and its relative imports.
MODULE_FILES = (f"{MODULE_NAME}.py", "transferability.py", "inputs.py")


def _modules_cache() -> Path:
    """evaluate's HF_MODULES_CACHE, read as ``evaluate.config`` reads it (without importing evaluate, which is slow)."""
    if "evaluate.config" in sys.modules:
        return Path(sys.modules["evaluate.config"].HF_MODULES_CACHE)
    hf_home = os.getenv("HF_HOME", os.path.join(os.getenv("XDG_CACHE_HOME", "~/.cache"), "huggingface"))
    return Path(os.getenv("HF_MODULES_CACHE", os.path.join(os.path.expanduser(hf_home), "modules")))


def evaluate_cache_entry(modules_cache: str | Path | None = None) -> Path:
    """The directory of evaluate's modules cache that holds this version of the module (named by its content hash)."""
    digest = hashlib.sha256()
    for name in MODULE_FILES:
        digest.update((EVALUATE_MODULE_DIR / name).read_bytes())
    root = Path(modules_cache) if modules_cache is not None else _modules_cache()
    return root / "evaluate_modules" / "metrics" / f"evaluate-metric--{MODULE_NAME}" / digest.hexdigest()


def register_with_evaluate(modules_cache: str | Path | None = None) -> Path | None:
    """Install the module into evaluate's modules cache as the canonical ``motion_transferability``; returns its path.

    Idempotent, and run by ``import mt_metrics``. The entry's script is touched so that it is the newest one (evaluate
    takes the most recently modified). When the cache cannot be written (a read-only home) it warns and returns None:
    ``mt_metrics.load()`` still works.
    """
    entry = evaluate_cache_entry(modules_cache)
    _install_log_filter()
    try:
        entry.mkdir(parents=True, exist_ok=True)
        for package in (entry.parents[2], entry.parents[1], entry.parent, entry):
            (package / "__init__.py").touch(exist_ok=True)
        for name in MODULE_FILES:
            target = entry / name
            data = (EVALUATE_MODULE_DIR / name).read_bytes()
            if not target.is_file() or target.read_bytes() != data:
                temporary = target.with_name(f".{name}.{os.getpid()}.tmp")
                temporary.write_bytes(data)
                os.replace(temporary, target)  # atomic: a concurrent evaluate.load never reads half a file
        os.utime(entry / MODULE_FILES[0])
    except OSError as error:
        warnings.warn(
            f"mt_metrics could not register {MODULE_NAME!r} in evaluate's modules cache ({error}); "
            "use mt_metrics.load() or set HF_MODULES_CACHE to a writable directory",
            stacklevel=2,
        )
        return None
    return entry


class _SayWhatHappened(logging.Filter):
    """Rewrites evaluate's warning about taking ``motion_transferability`` from its modules cache (which reads like a
    failure) into what happened: the copy that ``import mt_metrics`` registered was loaded."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if f"evaluate-metric--{MODULE_NAME}" in message and "couldn't be found locally" in message:
            record.msg = (
                f"evaluate.load({MODULE_NAME!r}): loaded the module that `import mt_metrics` installed in evaluate's "
                "modules cache (this package's version; no Space evaluate-metric/%s on the Hub)"
            )
            record.args = (MODULE_NAME,)
        return True


def _install_log_filter() -> None:
    logger = logging.getLogger("evaluate.loading")
    if not any(isinstance(f, _SayWhatHappened) for f in logger.filters):
        logger.addFilter(_SayWhatHappened())
