"""Training a disentangled coarse/fine classifier on one protocol direction: the loop ``examples/train.py`` runs.

:func:`train` takes :class:`TrainingOptions` (the script's command-line options) and runs in the calling process
under Accelerate (one CPU, one GPU or many processes alike), so ``examples/train.py`` and the protocol runner
(:mod:`mt_models.experiments.protocol`) share it. It saves the classifier with ``save_pretrained``, a versioned
``train_results.json`` and a model card (:mod:`mt_models.models.cards`) into ``output_dir``, and with ``push_to_hub``
uploads them to ``hub_model_id``. Checkpoints (``checkpointing_steps``) hold the full training state; a resumed run
skips the batches already seen and ends with the same weights as an uninterrupted one.
"""

from __future__ import annotations

import argparse
import errno
import json
import math
import os
import re
import shutil
import zipfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import torch

from mt_models.models.classifier import HeadOptions
from mt_models.options import (
    RunOptions,
    add_training_arguments,  # its home is light, for train.py --help
)
from mt_models.runtime.fast_path import CompiledStep, FastPath, choose_fast_path, new_accelerator, process_state
from mt_models.scoring.evaluation import HEAD_OPTIONS
from mt_models.scoring.records import damaged_weights_reason, read_versioned_json, write_json
from mt_models.train.augment import AUGMENTATIONS, augment

__all__ = [
    "TRAIN_RESULTS_FILENAME",
    "TRAIN_RESULTS_VERSION",
    "TrainingError",
    "TrainingOptions",
    "add_training_arguments",
    "check_checkpoint",
    "check_resumed_run",
    "find_checkpoint",
    "prepare_output_dir",
    "save_checkpoint",
    "push_model_to_hub",
    "read_train_results",
    "train",
    "training_options",
    "training_outputs",
]

TRAIN_RESULTS_FILENAME = "train_results.json"
TRAIN_RESULTS_VERSION = 1
# What a model upload leaves out: the resumable training states and the trackers' logs.
PUSH_IGNORE_PATTERNS = ("step_*", "epoch_*", "step_*/**", "epoch_*/**", "runs/**", "eval/**", "*.tmp")


class TrainingError(ValueError):
    """Options or a Hub upload that cannot go ahead; the message is one line with the fix."""


@dataclass(kw_only=True)
class TrainingOptions(RunOptions, HeadOptions):
    """The options of ``examples/train.py`` (see its ``--help``): the run's, the head's, and training's own."""

    modality: str | None = None
    num_frames: int | None = None
    cache_clips: bool = False
    baseline: bool = False
    num_epochs: int = 10
    learning_rate: float = 1e-4
    weight_decay: float = 0.05
    lr_scheduler_type: str = "cosine"
    num_warmup_steps: int = 0
    num_warmup_epochs: float = 0.0
    augment: str = "none"
    gradient_accumulation_steps: int = 1
    seed: int = 0
    checkpointing_steps: str | None = None
    resume_from_checkpoint: str | None = None
    stop_after_steps: int | None = None
    overwrite_output_dir: bool = False
    with_tracking: bool = False
    push_to_hub: bool = False
    hub_model_id: str | None = None
    hub_private: bool = False
    compile: str = "auto"
    channels_last: str = "auto"

    def __post_init__(self) -> None:
        for name in ("num_epochs", "batch_size", "learning_rate", "gradient_accumulation_steps"):
            if not getattr(self, name) > 0:  # zero epochs would save an untrained model that looks finished
                raise TrainingError(f"--{name} must be positive, got {getattr(self, name)}")
        if self.modality is not None:
            from mt_models.models.preprocess import modality_parts

            try:
                modality_parts(self.modality)
            except ValueError as error:
                raise TrainingError(f"--modality: {error}") from None
        if self.baseline:
            self.head = "baseline"
        self.resolve_head_options()
        steps = self.checkpointing_steps
        if steps not in (None, "epoch") and not str(steps).isdigit():
            raise TrainingError(f"--checkpointing_steps must be an integer or 'epoch', got {steps!r}")
        if steps and str(steps).isdigit() and int(steps) % self.gradient_accumulation_steps:
            # A checkpoint taken mid-accumulation would lose the gradients accumulated so far.
            raise TrainingError("--checkpointing_steps must be a multiple of --gradient_accumulation_steps")
        if self.augment not in AUGMENTATIONS:
            raise TrainingError(f"--augment must be one of {list(AUGMENTATIONS)}, got {self.augment!r}")
        if self.push_to_hub and not self.hub_model_id:
            raise TrainingError("--push_to_hub needs --hub_model_id ORG/NAME, the model repository to upload to")
        reason = self.missing_local_paths()
        if reason:
            raise TrainingError(reason)


def training_options(argv: Sequence[str]) -> TrainingOptions:
    """:class:`TrainingOptions` from command-line arguments, as ``train.py`` takes them (the protocol runner's
    ``train_args`` pass through here)."""
    parser = argparse.ArgumentParser(prog="train.py")
    add_training_arguments(parser)
    return TrainingOptions(**vars(parser.parse_args(list(argv))))


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


def prepare_output_dir(output_dir: Path, options: TrainingOptions) -> None:
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


def attach_training_videos(dataset: Any, options: TrainingOptions) -> list[dict[str, str]]:
    """Join the train split of a metadata-only dataset with ``options.videos`` in place, as eval does; returns the
    skipped rows (missing or undecodable files). A metadata-only dataset without ``--videos``, or a training set with
    no decodable video, is refused in one line."""
    from datasets import DatasetDict

    from mt_models.scoring.evaluation import EvaluationInputError, attach_eval_videos, require_decodable

    try:
        joined, skipped = attach_eval_videos(
            DatasetDict(train=dataset["train"]),
            dataset=options.dataset,
            videos=options.videos,
            report_dir=options.output_dir,
            splits=("train",),
        )
        require_decodable("train", len(joined["train"]) + len(skipped), skipped)
    except EvaluationInputError as error:
        raise TrainingError(str(error)) from None
    dataset["train"] = joined["train"]
    return skipped


def read_train_results(path: str | os.PathLike) -> dict[str, Any]:
    """Read ``train_results.json`` (or a directory holding one)."""
    _, values = read_versioned_json(path, TRAIN_RESULTS_FILENAME, max_version=TRAIN_RESULTS_VERSION, what="training")
    return values


def push_model_to_hub(output_dir: str | os.PathLike, repo_id: str, *, private: bool = False) -> str:
    """Upload a trained model directory (weights, config, card, ``train_results.json``) to the model repo ``repo_id``.

    Training states and logs stay local. Hub errors raise :class:`TrainingError` with one line. Returns the commit URL.
    """
    from huggingface_hub import HfApi, constants
    from huggingface_hub.errors import HfHubHTTPError

    if repo_id.count("/") != 1:
        raise TrainingError(f"--hub_model_id must be ORG/NAME, got {repo_id!r}")
    if constants.HF_HUB_OFFLINE:
        raise TrainingError("HF_HUB_OFFLINE is set: unset it to --push_to_hub")
    api = HfApi()
    try:
        api.create_repo(repo_id, repo_type="model", private=private, exist_ok=True)
        commit = api.upload_folder(
            repo_id=repo_id,
            folder_path=str(output_dir),
            repo_type="model",
            ignore_patterns=list(PUSH_IGNORE_PATTERNS),
            commit_message="Upload a motion-transfer classifier",
        )
    except HfHubHTTPError as error:
        status = error.response.status_code if error.response is not None else "?"
        raise TrainingError(
            f"the Hub answered {status} for {repo_id} at {api.endpoint}: {str(error).splitlines()[0]} "
            "(check HF_TOKEN has write access, or run `hf auth login`)"
        ) from None
    return str(commit)


def measure_training_path(model: torch.nn.Module, train_set: Any, options: TrainingOptions, state: Any) -> FastPath:
    """The run's fast path (:func:`mt_models.runtime.fast_path.choose_fast_path`), timed on ``model`` with a batch of
    ``options.batch_size`` copies of the first training clip. The main process times it first and caches the timings;
    the other processes then read them, so two processes never time on the same cores at once."""
    from mt_models.models.preprocess import normalize

    with torch.random.fork_rng(devices=[]):
        sample = train_set[0]
    batch = options.batch_size
    frames = sample["frames"].unsqueeze(0).expand(batch, *sample["frames"].shape).contiguous()
    inputs = {
        "pixel_values": normalize(frames, model.input_spec).to(state.device),
        "coarse_labels": torch.full((batch,), int(sample["coarse_label"]), device=state.device),
        "fine_labels": torch.full((batch,), int(sample["fine_label"]), device=state.device),
    }
    steps_per_epoch = max(len(train_set) // (batch * state.num_processes), 1)
    with state.main_process_first():
        return choose_fast_path(
            state.device,
            mixed_precision=options.mixed_precision,
            compile=options.compile,
            channels_last=options.channels_last,
            model=model.to(state.device),
            inputs=inputs,
            total_steps=steps_per_epoch * options.num_epochs,
        )


def train(options: TrainingOptions) -> dict[str, Any]:
    """Train on the ``train`` split of ``options.config``; returns the summary written to ``train_results.json``.

    The output directory is checked and held first (:func:`mt_models.runtime.output_dirs.claim_output_dir`): one that
    holds what a training does not write, or that another live run holds, is refused before any work.
    """
    from mt_models.runtime.output_dirs import claim_output_dir

    makes = training_outputs(options.output_dir)
    with claim_output_dir(options.output_dir, makes=makes, what="training", error=TrainingError):
        return _train(options)


def _train(options: TrainingOptions) -> dict[str, Any]:
    import time

    from accelerate import DataLoaderConfiguration
    from accelerate.utils import set_seed
    from datasets import load_dataset
    from tqdm.auto import tqdm
    from transformers import get_scheduler

    from mt_datasets.protocol import other_set, training_set_of
    from mt_models.models.backbones import create_backbone
    from mt_models.models.cards import training_model_card
    from mt_models.models.classifier import DisentangledVideoClassifier
    from mt_models.models.preprocess import normalize
    from mt_models.runtime.data import CachedClipDataset, VideoClipDataset, make_dataloader, taxonomy_of
    from mt_models.scoring.records import dataset_revision, package_version

    output_dir = Path(options.output_dir)
    prepare_output_dir(output_dir, options)
    state = process_state()
    set_seed(options.seed)

    # The dataset: the training split of the config, fine labels mapped to the fine head (the training set's classes).
    dataset = load_dataset(options.dataset, options.config, revision=options.revision)
    skipped = attach_training_videos(dataset, options)
    taxonomy = taxonomy_of(dataset)
    training_set = training_set_of(options.config)
    head_fine_ids = taxonomy.fine_indices(training_set)

    # The model: a pretrained backbone and new heads.
    backbone = create_backbone(options.model, num_frames=options.num_frames, modality=options.modality)
    model = DisentangledVideoClassifier.for_training_set(
        backbone,
        taxonomy,
        training_set,
        **{option.name: getattr(options, option.name) for option in fields(HeadOptions)},
        dataset=options.dataset,
    )
    spec = model.input_spec
    # What defines this run: a resume that differs in any of these is refused (check_resumed_run).
    run_identity = {
        "--dataset": options.dataset,
        "dataset revision": dataset_revision(options.dataset, options.revision),
        "--config": options.config,
        "--modality": spec.modality,
        "--num_frames": spec.num_frames,
        "--model": options.model,
        **{f"--{option.name}": getattr(options, option.name) for option in fields(HeadOptions)},
        "--batch_size": options.batch_size,
        "--gradient_accumulation_steps": options.gradient_accumulation_steps,
        "--seed": options.seed,
        "processes": state.num_processes,
    }
    trained_classes = sorted({taxonomy.coarse_names[c] for c in dataset["train"]["coarse_label"]})
    train_set = VideoClipDataset(
        dataset["train"],
        spec,
        sampling=options.sampling,
        fine_label_map={dataset_id: head_id for head_id, dataset_id in enumerate(head_fine_ids)},
    )
    if options.cache_clips:
        train_set = CachedClipDataset(train_set, num_workers=options.num_workers, show_progress=state.is_main_process)

    # The fast path, timed on this model and batch shape (or read from the cache of an earlier run's timings).
    fast_path = measure_training_path(model, train_set, options, state)
    accelerator = new_accelerator(
        fast_path.precision,
        gradient_accumulation_steps=options.gradient_accumulation_steps,
        log_with="all" if options.with_tracking else None,
        project_dir=str(output_dir),
        # The sampler's order is a function of (seed, epoch), so a resumed run sees the batches the original would.
        dataloader_config=DataLoaderConfiguration(use_seedable_sampler=True),
    )
    if options.with_tracking:
        accelerator.init_trackers("motion_transfer_train", config=asdict(options))
    accelerator.print(fast_path.describe())
    train_dataloader = make_dataloader(
        train_set,
        batch_size=options.batch_size,
        shuffle=True,
        num_workers=0 if options.cache_clips else options.num_workers,
        seed=options.seed,
        # A compiled step recompiles for every new batch shape: the short last batch is dropped (each epoch
        # reshuffles, so every clip is still seen) unless the set is too small to leave two full batches.
        drop_last=fast_path.compiled and len(train_set) >= 2 * options.batch_size * accelerator.num_processes,
    )

    fast_path.prepare_model(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=options.learning_rate, weight_decay=options.weight_decay)
    steps_per_epoch = math.ceil(len(train_dataloader) / accelerator.num_processes)
    updates_per_epoch = math.ceil(steps_per_epoch / options.gradient_accumulation_steps)
    lr_scheduler = get_scheduler(
        options.lr_scheduler_type,
        optimizer=optimizer,
        num_warmup_steps=options.num_warmup_steps + round(options.num_warmup_epochs * updates_per_epoch),
        num_training_steps=updates_per_epoch * options.num_epochs,
    )
    model, optimizer, train_dataloader, lr_scheduler = accelerator.prepare(
        model, optimizer, train_dataloader, lr_scheduler
    )
    # The forward pass, compiled where the fast path says so (the parameters stay those of ``model``, which is what
    # checkpoints and save_pretrained see).
    forward = CompiledStep(model, fast_path.compiled)

    # Resume: restore every state, then skip the epochs and batches already done.
    overall_step, starting_epoch, resume_step = 0, 0, 0
    epoch_losses: list[float] = []
    resumed: dict[str, Any] = {}
    if options.resume_from_checkpoint:
        checkpoint = find_checkpoint(output_dir, options.resume_from_checkpoint, len(train_dataloader))
        check_checkpoint(checkpoint, accelerator.num_processes)
        resumed = check_resumed_run(checkpoint, run_identity)
        accelerator.print(f"resuming from {checkpoint}")
        accelerator.load_state(str(checkpoint))
        kind, number = checkpoint.name.rsplit("_", 1)
        if kind == "epoch":
            starting_epoch = int(number) + 1
            overall_step = starting_epoch * len(train_dataloader)
        else:
            overall_step = int(number)
            starting_epoch, resume_step = divmod(overall_step, len(train_dataloader))
        # The losses of the epochs (and of the part of an epoch) done before the checkpoint: the record of a resumed
        # run holds every epoch's loss, as an uninterrupted run's does.
        epoch_losses = list(resumed.get("train_loss_per_epoch", []))
        if resumed.get("partial_batches") and resumed["epoch"] < starting_epoch:  # saved as that epoch ended
            sums = torch.tensor(resumed["partial_loss_sums"], dtype=torch.float32)
            epoch_losses.append((sums / resumed["partial_batches"]).mean().item())

    def run_record(epoch: int, total_loss: torch.Tensor | None, num_batches: int) -> dict[str, Any]:
        """What ``run.json`` of a checkpoint holds: the run's identity, the losses so far (every process's)."""
        sums = accelerator.gather(total_loss.reshape(1)).tolist() if total_loss is not None else []
        return {
            "run": run_identity,
            "train_loss_per_epoch": list(epoch_losses),
            "epoch": epoch,
            "partial_loss_sums": sums,
            "partial_batches": num_batches,
        }

    steps = options.checkpointing_steps
    checkpoint_every = int(steps) if steps and str(steps).isdigit() else None
    stopped = False
    # Throughput of the loop as a user runs it (data, augmentation, step), from the second step on: the first
    # includes compilation.
    timed_clips, timed_since = 0, None
    for epoch in range(starting_epoch, options.num_epochs):
        model.train()
        train_dataloader.set_epoch(epoch)
        active_dataloader = train_dataloader
        if epoch == starting_epoch and resume_step:
            active_dataloader = accelerator.skip_first_batches(train_dataloader, resume_step)
        total_loss, num_batches = torch.zeros((), device=accelerator.device), 0
        if epoch == starting_epoch and resume_step and resumed.get("epoch") == epoch:
            total_loss += resumed["partial_loss_sums"][accelerator.process_index]
            num_batches = resumed["partial_batches"]
        bar = tqdm(active_dataloader, desc=f"epoch {epoch}", unit="batch", disable=not accelerator.is_main_process)
        for batch in bar:
            with accelerator.accumulate(model):
                pixel_values = normalize(augment(batch["frames"], options.augment), spec)
                outputs = forward(pixel_values, coarse_labels=batch["coarse_label"], fine_labels=batch["fine_label"])
                accelerator.backward(outputs.loss)
                optimizer.step()
                lr_scheduler.step()
                optimizer.zero_grad()
            total_loss += outputs.loss.detach()
            num_batches += 1
            overall_step += 1
            if timed_since is None:
                timed_since = time.perf_counter()
            else:
                timed_clips += len(batch["coarse_label"]) * accelerator.num_processes
            if checkpoint_every and overall_step % checkpoint_every == 0:
                save_checkpoint(
                    accelerator, output_dir / f"step_{overall_step}", run_record(epoch, total_loss, num_batches)
                )
            if options.stop_after_steps is not None and overall_step >= options.stop_after_steps:
                stopped = True
                break
        mean_loss = accelerator.reduce(total_loss / max(num_batches, 1), reduction="mean").item()
        epoch_losses.append(mean_loss)
        accelerator.print(f"epoch {epoch}: train loss {mean_loss:.4f}")
        if options.with_tracking:
            accelerator.log({"train_loss": mean_loss, "epoch": epoch}, step=overall_step)
        if stopped:
            break
        if options.checkpointing_steps == "epoch":
            save_checkpoint(accelerator, output_dir / f"epoch_{epoch}", run_record(epoch, None, 0))

    loop_seconds = time.perf_counter() - timed_since if timed_since is not None else 0.0

    # Save the classifier (weights and config: backbone, labels, head options, input spec) and a summary.
    accelerator.wait_for_everyone()
    summary = {
        "format_version": TRAIN_RESULTS_VERSION,
        "dataset": options.dataset,
        "dataset_revision": run_identity["dataset revision"],
        "config": options.config,
        "model": options.model,
        "seed": options.seed,
        "batch_size": options.batch_size,
        "coarse_classes_trained": trained_classes,
        "resumed_from": str(checkpoint) if options.resume_from_checkpoint else None,
        "steps": overall_step,
        "epochs_run": len(epoch_losses),
        "train_loss_per_epoch": epoch_losses,
        "stopped_early": stopped,
        "skipped_videos": {
            "missing": sum(s["reason"].startswith("missing") for s in skipped),
            "undecodable": sum(not s["reason"].startswith("missing") for s in skipped),
        },
        "fast_path": {**fast_path.to_dict(), "compiled": forward.compiled},
        "loop_clips_per_second": round(timed_clips / loop_seconds, 2) if timed_clips else None,
    }
    if not stopped:
        unwrapped = accelerator.unwrap_model(model)
        unwrapped.save_pretrained(
            output_dir, is_main_process=accelerator.is_main_process, save_function=accelerator.save
        )
    if accelerator.is_main_process:
        write_json(output_dir / TRAIN_RESULTS_FILENAME, summary)
        if not stopped:
            config = accelerator.unwrap_model(model).config
            card = training_model_card(
                {
                    "base_model": options.model,
                    "backbone": config.backbone,
                    "dataset": options.dataset,
                    "config": options.config,
                    "fine_set": training_set,
                    "held_out_set": other_set(training_set),
                    "head": {k: getattr(config, k) for k in HEAD_OPTIONS},
                    "num_coarse": len(config.coarse_labels),
                    "num_fine": len(config.fine_labels),
                    "num_frames": spec.num_frames,
                    "crop_size": spec.crop_size,
                    "modality": spec.modality,
                    "training": {
                        "num_epochs": options.num_epochs,
                        "learning_rate": options.learning_rate,
                        "batch_size": options.batch_size,
                        "seed": options.seed,
                        "train_loss_per_epoch": epoch_losses,
                    },
                    "package_version": package_version(),
                }
            )
            card.save(output_dir / "README.md")
            if options.push_to_hub:
                summary["pushed_to"] = push_model_to_hub(output_dir, options.hub_model_id, private=options.hub_private)
                accelerator.print(f"pushed {output_dir} to {options.hub_model_id}")
    accelerator.wait_for_everyone()  # leave together: a rank tearing down gloo while another still works can abort
    accelerator.end_training()
    return summary
