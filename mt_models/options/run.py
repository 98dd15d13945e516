"""The options every script that runs a model on one protocol direction takes (``train.py``, ``eval.py``).

:class:`RunOptions` holds the dataset and its direction, the model, the output directory and how clips are loaded
and batched; :class:`mt_models.train.loop.TrainingOptions` and :class:`mt_models.scoring.evaluation.EvaluationOptions`
extend it with their own. The command-line options that fill it are :mod:`mt_models.options.arguments`'.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RunOptions"]


@dataclass(kw_only=True)
class RunOptions:
    """What ``train.py`` and ``eval.py`` both take (see their ``--help``)."""

    dataset: str
    model: str
    output_dir: str
    config: str = "set1"
    revision: str | None = None
    videos: str | None = None
    sampling: str = "uniform"
    batch_size: int = 8
    num_workers: int = 2
    mixed_precision: str | None = "auto"

    def missing_local_paths(self) -> str | None:
        """One line when ``--dataset``, ``--model`` or ``--videos`` is a mistyped local path (part of it exists as a
        local folder, the rest not), so that no Hub lookup or network error answers it; else None."""
        from mt_models.runtime.output_dirs import missing_local_path

        for option, value in (("--dataset", self.dataset), ("--model", self.model), ("--videos", self.videos)):
            reason = missing_local_path(value, option)
            if reason:
                return reason
        return None
