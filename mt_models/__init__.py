"""transformers video models for motion transferability: backbones, the disentangled classifier, X-CLIP prompts.

The package by job:

- ``models/``: what a model is (backbones, the classifier and its heads, X-CLIP prompts, preprocessing, the
  pipeline, model cards);
- ``runtime/``: running a model on this machine (the fast path, loading clips into batches, output directories);
- ``train/``: the training loop, augmentations, the validation split;
- ``scoring/``: evaluation on one protocol direction and the results record;
- ``experiments/``: the paper's protocol grid and findings;
- ``diagnosis/``: temporal probes, opposite classes, the diagnosis record and its report;
- ``options/``: the command-line options of the scripts (light: no torch).

The top level imports lazily (PEP 562): ``import mt_models.options`` imports neither torch nor transformers, and
``from mt_models import DisentangledVideoClassifier`` imports :mod:`mt_models.models` only then. Importing this package
still registers :class:`DisentangledConfig` / :class:`DisentangledVideoClassifier` with ``AutoConfig`` /
``AutoModel`` / ``AutoModelForVideoClassification`` and makes ``pipeline("video-classification", model=...)`` work on
our classifiers and X-CLIP prompt models (:mod:`mt_models.models.pipeline`): once transformers is imported (now, or
whenever it is), :mod:`mt_models.models` is imported, which registers them.

The modules' old paths (``mt_models.training``, ``mt_models.fast_path``, ...) import for one release, with a
``FutureWarning`` naming the new path (:func:`mt_datasets._exports.moved`).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from types import ModuleType
from typing import Any

from mt_datasets._exports import lazy_exports

_MODELS = "mt_models.models"
# public name -> module that defines it (imported lazily by __getattr__)
_LAZY = {
    name: f"{_MODELS}.{module}"
    for module, names in {
        "backbones": (
            "VideoBackbone",
            "backbone_class",
            "create_backbone",
            "list_backbones",
            "register_backbone",
            "save_tiny_checkpoint",
        ),
        "classifier": ("DisentangledClassifierOutput", "DisentangledConfig", "DisentangledVideoClassifier"),
        "pipeline": ("MotionVideoClassificationPipeline",),
        "preprocess": ("InputSpec", "normalize", "preprocess", "resize_and_crop"),
    }.items()
    for name in names
}

__all__ = sorted(_LAZY)

__getattr__ = lazy_exports(__name__, _LAZY)


def _register_models() -> None:
    """Import :mod:`mt_models.models` (it registers the classifier and the pipeline with transformers) unless it is
    imported or being imported already (then its ``__init__`` registers them when it ends)."""
    if _MODELS not in sys.modules:
        importlib.import_module(_MODELS)


class _ThenRegister(importlib.abc.Loader):
    """transformers' own loader, then :func:`_register_models` once transformers' ``__init__`` has run."""

    def __init__(self, loader: Any) -> None:
        self.loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        _forget_finder()
        _register_models()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.loader, name)


class _RegisterWhenTransformersLoads(importlib.abc.MetaPathFinder):
    """Finds ``transformers`` as the other finders do, with a loader that registers our models after it."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != "transformers":
            return None
        for finder in sys.meta_path:
            if finder is not self and (spec := getattr(finder, "find_spec", lambda *_: None)(fullname, path, target)):
                if spec.loader is not None:
                    spec.loader = _ThenRegister(spec.loader)
                return spec
        return None


def _forget_finder() -> None:
    sys.meta_path[:] = [finder for finder in sys.meta_path if not isinstance(finder, _RegisterWhenTransformersLoads)]


if "transformers" in sys.modules:
    _register_models()
elif not any(isinstance(finder, _RegisterWhenTransformersLoads) for finder in sys.meta_path):
    sys.meta_path.insert(0, _RegisterWhenTransformersLoads())
