"""Training a disentangled coarse/fine classifier on one protocol direction: the loop ``examples/train.py`` runs.

:func:`train` takes :class:`TrainingOptions` (the script's command-line options) and runs in the calling process
under Accelerate (one CPU, one GPU or many processes alike), so ``examples/train.py`` and the protocol runner
(:mod:`mt_models.experiments.protocol`) share it. It saves the classifier with ``save_pretrained``, a versioned
``train_results.json`` and a model card (:mod:`mt_models.models.cards`) into ``output_dir``, and with ``push_to_hub``
uploads them to ``hub_model_id``. Checkpoints (``checkpointing_steps``) hold the full training state; a resumed run
skips the batches already seen and ends with the same weights as an uninterrupted one
(:mod:`mt_models.train.checkpoints`). :func:`train` reads as its steps: the data and the model, their optimisation
under Accelerate, the state of a resumed run, the epochs, then the model, its summary and its card saved.
"""

from __future__ import annotations

import argparse
import math
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
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
from mt_models.scoring.records import read_versioned_json, write_json
from mt_models.train.augment import AUGMENTATIONS, augment
from mt_models.train.checkpoints import (
    TRAIN_RESULTS_FILENAME,
    TrainingError,
    check_checkpoint,
    check_resumed_run,
    find_checkpoint,
    prepare_output_dir,
    save_checkpoint,
    training_outputs,
)

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

TRAIN_RESULTS_VERSION = 1
# What a model upload leaves out: the resumable training states and the trackers' logs.
PUSH_IGNORE_PATTERNS = ("step_*", "epoch_*", "step_*/**", "epoch_*/**", "runs/**", "eval/**", "*.tmp")


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
        from mt_models.runtime.fast_path import unavailable_precision

        if unavailable_precision(self.mixed_precision):  # before any work, not after loading the data
            raise TrainingError(unavailable_precision(self.mixed_precision))
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
    """The run, step by step: the output directory, the seed, the data and the model, their optimisation under
    Accelerate, the state of a resumed run, the epochs, then the model, its summary and its card saved."""
    from accelerate.utils import set_seed

    output_dir = Path(options.output_dir)
    prepare_output_dir(output_dir, options)
    state = process_state()
    set_seed(options.seed)
    run = _load_data_and_model(options, state)
    _prepare_optimisation(run, options, state, output_dir)
    progress = _restore_progress(run, options, output_dir)
    _train_epochs(run, progress, options, output_dir)
    loop_seconds = time.perf_counter() - progress.timed_since if progress.timed_since is not None else 0.0
    run.accelerator.wait_for_everyone()
    summary = _training_summary(run, progress, options, loop_seconds)
    _save_model_and_card(run, progress, options, output_dir, summary)
    run.accelerator.wait_for_everyone()  # leave together: a rank tearing down gloo while another still works can abort
    run.accelerator.end_training()
    return summary


@dataclass
class _Run:
    """What the loop trains: the data and the model, then (:func:`_prepare_optimisation`) their Accelerate set-up."""

    skipped: list[dict[str, str]]
    training_set: str
    model: Any
    spec: Any
    run_identity: dict[str, Any]
    trained_classes: list[str]
    train_set: Any
    fast_path: Any = None
    accelerator: Any = None
    train_dataloader: Any = None
    optimizer: Any = None
    lr_scheduler: Any = None
    forward: Any = None


@dataclass
class _Progress:
    """Where the loop stands: steps and epochs done (restored on resume), the losses so far, the timed clips."""

    overall_step: int = 0
    starting_epoch: int = 0
    resume_step: int = 0
    epoch_losses: list[float] = field(default_factory=list)
    resumed: dict[str, Any] = field(default_factory=dict)
    checkpoint: Path | None = None
    stopped: bool = False
    # Throughput of the loop as a user runs it (data, augmentation, step), from the second step on: the first
    # includes compilation.
    timed_clips: int = 0
    timed_since: float | None = None


def _load_data_and_model(options: TrainingOptions, state: Any) -> _Run:
    """The training split of the config (fine labels mapped to the fine head: the training set's classes) and the
    model: a pretrained backbone and new heads; with what defines the run."""
    from datasets import load_dataset

    from mt_datasets.protocol import training_set_of
    from mt_models.models.backbones import create_backbone
    from mt_models.models.classifier import DisentangledVideoClassifier
    from mt_models.runtime.data import CachedClipDataset, VideoClipDataset, taxonomy_of
    from mt_models.scoring.records import dataset_revision

    dataset = load_dataset(options.dataset, options.config, revision=options.revision)
    skipped = attach_training_videos(dataset, options)
    taxonomy = taxonomy_of(dataset)
    training_set = training_set_of(options.config)
    head_fine_ids = taxonomy.fine_indices(training_set)

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
    return _Run(skipped, training_set, model, spec, run_identity, trained_classes, train_set)


def _prepare_optimisation(run: _Run, options: TrainingOptions, state: Any, output_dir: Path) -> None:
    """The fast path (timed on this model and batch shape, or read from the cache of an earlier run's timings), the
    accelerator, the DataLoader, the optimizer and its schedule, prepared by Accelerate, and the forward step."""
    from accelerate import DataLoaderConfiguration
    from transformers import get_scheduler

    from mt_models.runtime.data import make_dataloader

    fast_path = measure_training_path(run.model, run.train_set, options, state)
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
        run.train_set,
        batch_size=options.batch_size,
        shuffle=True,
        num_workers=0 if options.cache_clips else options.num_workers,
        seed=options.seed,
        # A compiled step recompiles for every new batch shape: the short last batch is dropped (each epoch
        # reshuffles, so every clip is still seen) unless the set is too small to leave two full batches.
        drop_last=fast_path.compiled and len(run.train_set) >= 2 * options.batch_size * accelerator.num_processes,
    )

    fast_path.prepare_model(run.model)
    optimizer = torch.optim.AdamW(run.model.parameters(), lr=options.learning_rate, weight_decay=options.weight_decay)
    steps_per_epoch = math.ceil(len(train_dataloader) / accelerator.num_processes)
    updates_per_epoch = math.ceil(steps_per_epoch / options.gradient_accumulation_steps)
    lr_scheduler = get_scheduler(
        options.lr_scheduler_type,
        optimizer=optimizer,
        num_warmup_steps=options.num_warmup_steps + round(options.num_warmup_epochs * updates_per_epoch),
        num_training_steps=updates_per_epoch * options.num_epochs,
    )
    run.model, run.optimizer, run.train_dataloader, run.lr_scheduler = accelerator.prepare(
        run.model, optimizer, train_dataloader, lr_scheduler
    )
    run.fast_path, run.accelerator = fast_path, accelerator
    # The forward pass, compiled where the fast path says so (the parameters stay those of ``model``, which is what
    # checkpoints and save_pretrained see).
    run.forward = CompiledStep(run.model, fast_path.compiled)


def _restore_progress(run: _Run, options: TrainingOptions, output_dir: Path) -> _Progress:
    """Resume: restore every state, then say which epochs and batches are done (and their losses); else a start."""
    progress = _Progress()
    if not options.resume_from_checkpoint:
        return progress
    batches = len(run.train_dataloader)
    checkpoint = find_checkpoint(output_dir, options.resume_from_checkpoint, batches)
    check_checkpoint(checkpoint, run.accelerator.num_processes)
    resumed = check_resumed_run(checkpoint, run.run_identity)
    run.accelerator.print(f"resuming from {checkpoint}")
    run.accelerator.load_state(str(checkpoint))
    progress.checkpoint, progress.resumed = checkpoint, resumed
    kind, number = checkpoint.name.rsplit("_", 1)
    if kind == "epoch":
        progress.starting_epoch = int(number) + 1
        progress.overall_step = progress.starting_epoch * batches
    else:
        progress.overall_step = int(number)
        progress.starting_epoch, progress.resume_step = divmod(progress.overall_step, batches)
    # The losses of the epochs (and of the part of an epoch) done before the checkpoint: the record of a resumed
    # run holds every epoch's loss, as an uninterrupted run's does.
    progress.epoch_losses = list(resumed.get("train_loss_per_epoch", []))
    if resumed.get("partial_batches") and resumed["epoch"] < progress.starting_epoch:  # saved as that epoch ended
        sums = torch.tensor(resumed["partial_loss_sums"], dtype=torch.float32)
        progress.epoch_losses.append((sums / resumed["partial_batches"]).mean().item())
    return progress


def _run_record(
    run: _Run, progress: _Progress, epoch: int, total_loss: torch.Tensor | None, num_batches: int
) -> dict[str, Any]:
    """What ``run.json`` of a checkpoint holds: the run's identity, the losses so far (every process's)."""
    sums = run.accelerator.gather(total_loss.reshape(1)).tolist() if total_loss is not None else []
    return {
        "run": run.run_identity,
        "train_loss_per_epoch": list(progress.epoch_losses),
        "epoch": epoch,
        "partial_loss_sums": sums,
        "partial_batches": num_batches,
    }


def _train_epochs(run: _Run, progress: _Progress, options: TrainingOptions, output_dir: Path) -> None:
    """The epochs from where the run stands: each one's mean loss said, logged and kept; checkpoints as asked."""
    accelerator = run.accelerator
    for epoch in range(progress.starting_epoch, options.num_epochs):
        total_loss, num_batches = _train_epoch(run, progress, options, output_dir, epoch)
        mean_loss = accelerator.reduce(total_loss / max(num_batches, 1), reduction="mean").item()
        progress.epoch_losses.append(mean_loss)
        accelerator.print(f"epoch {epoch}: train loss {mean_loss:.4f}")
        if options.with_tracking:
            accelerator.log({"train_loss": mean_loss, "epoch": epoch}, step=progress.overall_step)
        if progress.stopped:
            break
        if options.checkpointing_steps == "epoch":
            save_checkpoint(accelerator, output_dir / f"epoch_{epoch}", _run_record(run, progress, epoch, None, 0))


def _train_epoch(
    run: _Run, progress: _Progress, options: TrainingOptions, output_dir: Path, epoch: int
) -> tuple[torch.Tensor, int]:
    """One epoch's batches (those not yet done, on resume): returns this process's loss sum and its batch count."""
    from tqdm.auto import tqdm

    from mt_models.models.preprocess import normalize

    accelerator, model, resumed = run.accelerator, run.model, progress.resumed
    steps = options.checkpointing_steps
    checkpoint_every = int(steps) if steps and str(steps).isdigit() else None
    model.train()
    run.train_dataloader.set_epoch(epoch)
    active_dataloader = run.train_dataloader
    resuming = epoch == progress.starting_epoch and progress.resume_step
    if resuming:
        active_dataloader = accelerator.skip_first_batches(run.train_dataloader, progress.resume_step)
    total_loss, num_batches = torch.zeros((), device=accelerator.device), 0
    if resuming and resumed.get("epoch") == epoch:
        total_loss += resumed["partial_loss_sums"][accelerator.process_index]
        num_batches = resumed["partial_batches"]
    bar = tqdm(active_dataloader, desc=f"epoch {epoch}", unit="batch", disable=not accelerator.is_main_process)
    for batch in bar:
        with accelerator.accumulate(model):
            pixel_values = normalize(augment(batch["frames"], options.augment), run.spec)
            outputs = run.forward(pixel_values, coarse_labels=batch["coarse_label"], fine_labels=batch["fine_label"])
            accelerator.backward(outputs.loss)
            run.optimizer.step()
            run.lr_scheduler.step()
            run.optimizer.zero_grad()
        total_loss += outputs.loss.detach()
        num_batches += 1
        progress.overall_step += 1
        if progress.timed_since is None:
            progress.timed_since = time.perf_counter()
        else:
            progress.timed_clips += len(batch["coarse_label"]) * accelerator.num_processes
        if checkpoint_every and progress.overall_step % checkpoint_every == 0:
            record = _run_record(run, progress, epoch, total_loss, num_batches)
            save_checkpoint(accelerator, output_dir / f"step_{progress.overall_step}", record)
        if options.stop_after_steps is not None and progress.overall_step >= options.stop_after_steps:
            progress.stopped = True
            break
    return total_loss, num_batches


def _training_summary(run: _Run, progress: _Progress, options: TrainingOptions, loop_seconds: float) -> dict[str, Any]:
    """What ``train_results.json`` holds."""
    skipped = run.skipped
    return {
        "format_version": TRAIN_RESULTS_VERSION,
        "dataset": options.dataset,
        "dataset_revision": run.run_identity["dataset revision"],
        "config": options.config,
        "model": options.model,
        "seed": options.seed,
        "batch_size": options.batch_size,
        "coarse_classes_trained": run.trained_classes,
        "resumed_from": str(progress.checkpoint) if options.resume_from_checkpoint else None,
        "steps": progress.overall_step,
        "epochs_run": len(progress.epoch_losses),
        "train_loss_per_epoch": progress.epoch_losses,
        "stopped_early": progress.stopped,
        "skipped_videos": {
            "missing": sum(s["reason"].startswith("missing") for s in skipped),
            "undecodable": sum(not s["reason"].startswith("missing") for s in skipped),
        },
        "fast_path": {**run.fast_path.to_dict(), "compiled": run.forward.compiled},
        "loop_clips_per_second": round(progress.timed_clips / loop_seconds, 2) if progress.timed_clips else None,
    }


def _save_model_and_card(
    run: _Run, progress: _Progress, options: TrainingOptions, output_dir: Path, summary: dict[str, Any]
) -> None:
    """The classifier (weights and config: backbone, labels, head options, input spec) unless the run stopped early,
    the summary, the model card, and the upload when asked (``summary["pushed_to"]``)."""
    from mt_datasets.protocol import other_set
    from mt_models.models.cards import training_model_card
    from mt_models.scoring.records import package_version

    accelerator, stopped, spec = run.accelerator, progress.stopped, run.spec
    if not stopped:
        unwrapped = accelerator.unwrap_model(run.model)
        unwrapped.save_pretrained(
            output_dir, is_main_process=accelerator.is_main_process, save_function=accelerator.save
        )
    if not accelerator.is_main_process:
        return
    write_json(output_dir / TRAIN_RESULTS_FILENAME, summary)
    if stopped:
        return
    config = accelerator.unwrap_model(run.model).config
    card = training_model_card(
        {
            "base_model": options.model,
            "backbone": config.backbone,
            "dataset": options.dataset,
            "config": options.config,
            "fine_set": run.training_set,
            "held_out_set": other_set(run.training_set),
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
                "train_loss_per_epoch": progress.epoch_losses,
            },
            "package_version": package_version(),
        }
    )
    card.save(output_dir / "README.md")
    if options.push_to_hub:
        summary["pushed_to"] = push_model_to_hub(output_dir, options.hub_model_id, private=options.hub_private)
        accelerator.print(f"pushed {output_dir} to {options.hub_model_id}")
