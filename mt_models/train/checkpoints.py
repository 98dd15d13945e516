"""A training's output directory: its checkpoints and what a finished run leaves, and the training's error type.

- one run per directory (:func:`prepare_output_dir`, :func:`training_outputs`: what a training writes there);
- checkpoints (``step_N`` / ``epoch_N``, :func:`save_checkpoint`): written as ``*.tmp`` and renamed when complete,
  with ``run.json`` (what defines the run, and the losses so far) beside the state, checked on resume
  (:func:`find_checkpoint`, :func:`check_checkpoint`, :func:`check_resumed_run`);
- :class:`TrainingError`, what :mod:`mt_models.train.loop` raises too.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

from mt_models.runtime.fast_path import process_state
from mt_models.scoring.records import damaged_weights_reason, write_json

__all__ = [
    "CHECKPOINT_PATTERN",
    "TRAIN_RESULTS_FILENAME",
    "TrainingError",
    "check_checkpoint",
    "check_resumed_run",
    "find_checkpoint",
    "prepare_output_dir",
    "save_checkpoint",
    "training_outputs",
]

TRAIN_RESULTS_FILENAME = "train_results.json"


class TrainingError(ValueError):
    """Options or a Hub upload that cannot go ahead; the message is one line with the fix."""


CHECKPOINT_PATTERN = re.compile(r"(step|epoch)_(\d+)")
# What a finished run leaves in its output directory besides checkpoints.
RUN_FILES = ("model.safetensors", "pytorch_model.bin", TRAIN_RESULTS_FILENAME)
# What defines a run, recorded in each checkpoint: a resume that differs in one of these is another run.
RUN_FILENAME = "run.json"
# Besides checkpoints: the model's files (save_pretrained, the card), the trackers' logs, the presence report of
# --videos, and the evaluation the protocol runner writes beside the model.
TRAINING_MAKES = (
    "step_*", "epoch_*", "*.tmp", TRAIN_RESULTS_FILENAME, "runs", "motion_transfer_train", "eval", "meta/presence.*",
)  # fmt: skip
MODEL_FILES = ("config.json", "model.safetensors", "pytorch_model.bin", "README.md")


def training_outputs(output_dir: str | os.PathLike) -> tuple[str, ...]:
    """The names a training writes into ``output_dir``: checkpoints and the summary always; a model's files
    (``config.json``, weights, ``README.md``) only where a training wrote them (``train_results.json`` beside them,
    or a ``config.json`` of this package's classifier), so a user's README or a backbone's checkpoint is not one."""
    from mt_models.models.classifier import DisentangledConfig

    output_dir = Path(output_dir)
    config = output_dir / "config.json"
    try:
        ours = config.is_file() and json.loads(config.read_text()).get("model_type") == DisentangledConfig.model_type
    except (OSError, ValueError):
        ours = False
    if (output_dir / TRAIN_RESULTS_FILENAME).is_file() or ours:
        return (*TRAINING_MAKES, *MODEL_FILES)
    return TRAINING_MAKES


def _checkpoints(output_dir: Path) -> list[Path]:
    return sorted(p for p in output_dir.glob("*_*") if p.is_dir() and CHECKPOINT_PATTERN.fullmatch(p.name))


def prepare_output_dir(output_dir: Path, options: Any) -> None:  # options: a train.loop.TrainingOptions
    """One run per output directory: refuse one that holds another run's checkpoints or model, unless resuming or
    ``--overwrite_output_dir`` (which deletes them, on the main process). Half-written ``*.tmp`` checkpoints go.
    (What a training does not write at all is refused before, by :func:`train`.)"""
    state = process_state()
    previous = [p.name for p in _checkpoints(output_dir)] + [n for n in RUN_FILES if (output_dir / n).is_file()]
    if previous and not options.resume_from_checkpoint and not options.overwrite_output_dir:
        raise TrainingError(
            f"--output_dir {output_dir} holds another run ({', '.join(previous[:3])}"
            f"{', ...' if len(previous) > 3 else ''}): continue it with --resume_from_checkpoint latest, start "
            "afresh with --overwrite_output_dir, or choose another --output_dir"
        )
    if state.is_main_process:
        for stale in output_dir.glob("*.tmp"):
            shutil.rmtree(stale, ignore_errors=True)
        if options.overwrite_output_dir and not options.resume_from_checkpoint:
            for checkpoint in _checkpoints(output_dir):
                shutil.rmtree(checkpoint)
            for name in RUN_FILES:
                (output_dir / name).unlink(missing_ok=True)
    state.wait_for_everyone()


def save_checkpoint(accelerator: Any, checkpoint: Path, run: dict[str, Any] | None = None) -> None:
    """``accelerator.save_state`` into ``checkpoint.tmp``, renamed to ``checkpoint`` once complete: a run killed while
    saving leaves no half-written ``step_N`` for ``latest`` to pick. ``run`` (what defines the run, and the losses so
    far) goes beside the state as ``run.json``. A disk that fills up while saving ends in one line that says so
    (:class:`TrainingError`), the partial checkpoint removed."""
    partial = checkpoint.with_name(checkpoint.name + ".tmp")
    try:
        accelerator.save_state(str(partial))
        if run is not None and accelerator.is_main_process:
            write_json(partial / RUN_FILENAME, run)
    except (OSError, RuntimeError) as error:  # torch.save reports a full disk as a RuntimeError
        if accelerator.is_main_process:
            shutil.rmtree(partial, ignore_errors=True)
        if not _disk_full(error):
            raise
        free = shutil.disk_usage(checkpoint.parent).free
        raise TrainingError(
            f"no space left on the disk of {checkpoint.parent} while writing checkpoint {checkpoint.name} "
            f"({free / 2**20:.0f} MiB free): free some space or choose another --output_dir, then resume with "
            "--resume_from_checkpoint latest"
        ) from None
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        if checkpoint.exists():
            shutil.rmtree(checkpoint)
        partial.rename(checkpoint)
    accelerator.wait_for_everyone()


def _disk_full(error: BaseException) -> bool:
    """Whether a save failed for want of space (``ENOSPC``/``EDQUOT``, or torch's "file write failed")."""
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(error)
    return "No space left" in text or "file write failed" in text


def check_resumed_run(checkpoint: Path, run: dict[str, Any]) -> dict[str, Any]:
    """Refuse to resume ``checkpoint`` with options that make another run (another dataset or revision, config,
    modality, model, head, batch size, seed...): one line naming the first difference. Returns the checkpoint's
    ``run.json`` (``{}`` for a checkpoint written before runs were recorded)."""
    path = checkpoint / RUN_FILENAME
    if not path.is_file():
        return {}
    recorded = json.loads(path.read_text())
    for name, value in run.items():
        if name in recorded.get("run", {}) and recorded["run"][name] != value:
            raise TrainingError(
                f"--resume_from_checkpoint {checkpoint}: that run used {name} {recorded['run'][name]!r}, this one "
                f"{value!r}; resume with the same options, or start another run (--overwrite_output_dir or another "
                "--output_dir)"
            )
    return recorded


def check_checkpoint(checkpoint: Path, num_processes: int = 1) -> None:
    """Refuse a checkpoint that misses a file ``save_state`` writes, or holds a truncated one, naming it."""
    fix = "resume from an earlier checkpoint, or start afresh with --overwrite_output_dir"
    weights = [checkpoint / n for n in ("model.safetensors", "pytorch_model.bin") if (checkpoint / n).is_file()]
    needed = ["optimizer.bin", "scheduler.bin", *(f"random_states_{i}.pkl" for i in range(num_processes))]
    missing = [n for n in needed if not (checkpoint / n).is_file()] + ([] if weights else ["model.safetensors"])
    if missing:
        raise TrainingError(f"checkpoint {checkpoint} is incomplete: {', '.join(missing)} missing; {fix}")
    for path in sorted(checkpoint.iterdir()):
        if path.suffix == ".safetensors":
            reason = damaged_weights_reason(path)
        elif path.suffix in (".bin", ".pkl"):  # torch.save's zip archives
            try:
                with zipfile.ZipFile(path) as archive:
                    reason = "damaged" if archive.testzip() is not None else None
            except (zipfile.BadZipFile, OSError) as error:
                reason = f"truncated or damaged ({error})"
        else:
            continue
        if reason:
            raise TrainingError(f"checkpoint {checkpoint}: {path.name} is {reason}; {fix}")


def find_checkpoint(output_dir: Path, requested: str, steps_per_epoch: int | None = None) -> Path:
    """The checkpoint directory to resume from: ``requested``, or for ``"latest"`` the one furthest into this run
    (the highest step; ``epoch_E`` counts as the step that ends epoch E), whatever the files' modification times."""
    if requested != "latest":
        path = Path(requested)
        if not path.is_dir():
            raise TrainingError(f"--resume_from_checkpoint {requested!r} is not a directory")
        return path
    candidates = _checkpoints(output_dir)
    if not candidates:
        raise TrainingError(f"--resume_from_checkpoint latest: no step_N / epoch_N directory in {output_dir}")

    def step(path: Path) -> tuple[int, int]:
        kind, number = CHECKPOINT_PATTERN.fullmatch(path.name).groups()
        if kind == "epoch":
            return ((int(number) + 1) * (steps_per_epoch or 0), 1)
        return (int(number), 0)

    return max(candidates, key=step)
