"""Train a disentangled coarse/fine video classifier on one direction of the motion-transferability protocol.

Config ``set1`` trains on the training videos of the fine variants of set 1 (``eval.py`` then tests on set-1
validation videos, "known", and set-2 ones, "unknown"); ``set2`` the reverse. Runs on one CPU, one GPU or many
processes alike:

    accelerate launch examples/train.py --dataset motion-transfer/syn-ta --config set1 \\
        --model MCG-NJU/videomae-base-finetuned-kinetics --output_dir runs/videomae-set1

``--model`` is a backbone: a Hub id, a local checkpoint directory, or a registered name (``mt_models.list_backbones()``,
loading its default checkpoint). The trained classifier is saved with ``save_pretrained`` into ``--output_dir``, with
``train_results.json`` beside it. ``--checkpointing_steps N`` (or ``epoch``) saves the full training state
(model, optimizer, scheduler, RNGs) to ``output_dir/step_N`` (``epoch_E``); ``--resume_from_checkpoint`` continues
from one (or from the latest with ``latest``), skipping the batches already seen, and ends with the same weights as an
uninterrupted run.
"""

from __future__ import annotations

import argparse
import json
import math
import re
from pathlib import Path

import torch
from accelerate import Accelerator, DataLoaderConfiguration
from accelerate.utils import set_seed
from datasets import load_dataset
from transformers import get_scheduler

from mt_datasets.hub import render_card
from mt_datasets.protocol import PROTOCOL_CONFIGS, other_set, training_set_of
from mt_models import DisentangledVideoClassifier, create_backbone, normalize
from mt_models.augment import AUGMENTATIONS, augment
from mt_models.data import CachedClipDataset, VideoClipDataset, make_dataloader, taxonomy_of
from mt_models.records import package_version

HEAD_OPTIONS = ("embedding_dim", "fine_loss_weight", "decorrelation_weight", "adversarial_weight")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    data = parser.add_argument_group("data")
    data.add_argument("--dataset", required=True, help="Hub id or local directory of a motion-transfer dataset")
    data.add_argument("--config", default="set1", choices=list(PROTOCOL_CONFIGS), help="protocol direction")
    data.add_argument("--revision", default=None, help="dataset revision (branch, tag or commit) on the Hub")
    data.add_argument("--num_frames", type=int, default=None, help="frames per clip (default: the backbone's)")
    data.add_argument("--sampling", default="uniform", choices=["uniform", "stride"], help="frame sampling")
    data.add_argument("--num_workers", type=int, default=2, help="DataLoader decoding processes")
    data.add_argument(
        "--cache_clips", action="store_true", help="decode the training clips once and keep them in memory"
    )
    head = parser.add_argument_group("model")
    head.add_argument("--model", required=True, help="backbone: Hub id, local directory or registered name")
    head.add_argument(
        "--modality",
        default=None,
        help="input modality: rgb, fg, diff or a '+' stack such as fg+diff (default: the backbone's; stored with "
        "the model, so eval and diagnose use it too)",
    )
    head.add_argument("--embedding_dim", type=int, default=256)
    head.add_argument("--dropout", type=float, default=0.0)
    head.add_argument("--fine_loss_weight", type=float, default=1.0)
    head.add_argument("--decorrelation_weight", type=float, default=1.0)
    head.add_argument("--adversarial_weight", type=float, default=0.1)
    head.add_argument("--label_smoothing", type=float, default=0.0, help="of the coarse cross-entropy")
    head.add_argument("--baseline", action="store_true", help="plain coarse classifier: every extra weight 0")
    optim = parser.add_argument_group("optimisation")
    optim.add_argument("--num_epochs", type=int, default=10)
    optim.add_argument("--learning_rate", type=float, default=1e-4)
    optim.add_argument("--weight_decay", type=float, default=0.05)
    optim.add_argument("--lr_scheduler_type", default="cosine", help="a transformers scheduler name")
    optim.add_argument("--num_warmup_steps", type=int, default=0)
    optim.add_argument("--num_warmup_epochs", type=float, default=0.0, help="warm-up in epochs (adds to the steps)")
    optim.add_argument(
        "--augment",
        default="none",
        choices=AUGMENTATIONS,
        help="training augmentation: 'shift' moves each clip by up to 4 pixels. Flips and time reversal are not "
        "offered: they turn a fine variant into another (left-to-right into right-to-left, appearing into "
        "disappearing) and would leak held-out variants into training",
    )
    optim.add_argument("--batch_size", type=int, default=8, help="per process")
    optim.add_argument("--gradient_accumulation_steps", type=int, default=1)
    optim.add_argument("--mixed_precision", default=None, choices=["no", "fp16", "bf16"])
    optim.add_argument("--seed", type=int, default=0)
    run = parser.add_argument_group("run")
    run.add_argument("--output_dir", required=True)
    run.add_argument("--checkpointing_steps", default=None, help="save the training state every N steps, or 'epoch'")
    run.add_argument("--resume_from_checkpoint", default=None, help="a checkpoint directory, or 'latest'")
    run.add_argument(
        "--stop_after_steps",
        type=int,
        default=None,
        help="stop after N steps as if interrupted (the LR schedule still spans --num_epochs); resume later",
    )
    run.add_argument("--with_tracking", action="store_true", help="log to the trackers Accelerate finds")
    args = parser.parse_args(argv)
    if args.baseline:
        args.fine_loss_weight = args.decorrelation_weight = args.adversarial_weight = 0.0
    if args.checkpointing_steps not in (None, "epoch") and not args.checkpointing_steps.isdigit():
        parser.error(f"--checkpointing_steps must be an integer or 'epoch', got {args.checkpointing_steps!r}")
    if args.checkpointing_steps and args.checkpointing_steps.isdigit():
        if int(args.checkpointing_steps) % args.gradient_accumulation_steps:
            # A checkpoint taken mid-accumulation would lose the gradients accumulated so far.
            parser.error("--checkpointing_steps must be a multiple of --gradient_accumulation_steps")
    return args


def find_checkpoint(output_dir: Path, requested: str) -> Path:
    """The checkpoint directory to resume from: ``requested``, or the most advanced one for ``"latest"``."""
    if requested != "latest":
        path = Path(requested)
        if not path.is_dir():
            raise FileNotFoundError(f"--resume_from_checkpoint {requested!r} is not a directory")
        return path
    candidates = [p for p in output_dir.glob("*_*") if re.fullmatch(r"(step|epoch)_\d+", p.name)]
    if not candidates:
        raise FileNotFoundError(f"--resume_from_checkpoint latest: no step_N / epoch_N directory in {output_dir}")
    return max(candidates, key=lambda p: p.stat().st_mtime)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    output_dir = Path(args.output_dir)
    accelerator = Accelerator(
        mixed_precision=args.mixed_precision,
        gradient_accumulation_steps=args.gradient_accumulation_steps,
        log_with="all" if args.with_tracking else None,
        project_dir=str(output_dir),
        # The sampler's order is a function of (seed, epoch), so a resumed run sees the batches the original would.
        dataloader_config=DataLoaderConfiguration(use_seedable_sampler=True),
    )
    if args.with_tracking:
        accelerator.init_trackers("motion_transfer_train", config=vars(args))
    set_seed(args.seed)

    # The dataset: the training split of the config, fine labels mapped to the fine head (the training set's classes).
    dataset = load_dataset(args.dataset, args.config, revision=args.revision)
    taxonomy = taxonomy_of(dataset)
    training_set = training_set_of(args.config)
    head_fine_ids = taxonomy.fine_indices(training_set)

    # The model: a pretrained backbone and new heads.
    backbone = create_backbone(args.model, num_frames=args.num_frames, modality=args.modality)
    model = DisentangledVideoClassifier.for_training_set(
        backbone,
        taxonomy,
        training_set,
        embedding_dim=args.embedding_dim,
        dropout=args.dropout,
        fine_loss_weight=args.fine_loss_weight,
        decorrelation_weight=args.decorrelation_weight,
        adversarial_weight=args.adversarial_weight,
        label_smoothing=args.label_smoothing,
        dataset=args.dataset,
    )
    spec = model.input_spec
    train_set = VideoClipDataset(
        dataset["train"],
        spec,
        sampling=args.sampling,
        fine_label_map={dataset_id: head_id for head_id, dataset_id in enumerate(head_fine_ids)},
    )
    if args.cache_clips:
        train_set = CachedClipDataset(
            train_set, num_workers=args.num_workers, show_progress=accelerator.is_main_process
        )
    train_dataloader = make_dataloader(
        train_set,
        batch_size=args.batch_size,
        shuffle=True,
        num_workers=0 if args.cache_clips else args.num_workers,
        seed=args.seed,
    )

    optimizer = torch.optim.AdamW(model.parameters(), lr=args.learning_rate, weight_decay=args.weight_decay)
    steps_per_epoch = math.ceil(len(train_dataloader) / accelerator.num_processes)
    updates_per_epoch = math.ceil(steps_per_epoch / args.gradient_accumulation_steps)
    lr_scheduler = get_scheduler(
        args.lr_scheduler_type,
        optimizer=optimizer,
        num_warmup_steps=args.num_warmup_steps + round(args.num_warmup_epochs * updates_per_epoch),
        num_training_steps=updates_per_epoch * args.num_epochs,
    )
    model, optimizer, train_dataloader, lr_scheduler = accelerator.prepare(
        model, optimizer, train_dataloader, lr_scheduler
    )

    # Resume: restore every state, then skip the epochs and batches already done.
    overall_step, starting_epoch, resume_step = 0, 0, 0
    if args.resume_from_checkpoint:
        checkpoint = find_checkpoint(output_dir, args.resume_from_checkpoint)
        accelerator.print(f"resuming from {checkpoint}")
        accelerator.load_state(str(checkpoint))
        kind, number = checkpoint.name.rsplit("_", 1)
        if kind == "epoch":
            starting_epoch = int(number) + 1
            overall_step = starting_epoch * len(train_dataloader)
        else:
            overall_step = int(number)
            starting_epoch, resume_step = divmod(overall_step, len(train_dataloader))

    checkpoint_every = int(args.checkpointing_steps) if (args.checkpointing_steps or "").isdigit() else None
    epoch_losses: list[float] = []
    stopped = False
    for epoch in range(starting_epoch, args.num_epochs):
        model.train()
        train_dataloader.set_epoch(epoch)
        active_dataloader = train_dataloader
        if epoch == starting_epoch and resume_step:
            active_dataloader = accelerator.skip_first_batches(train_dataloader, resume_step)
        total_loss, num_batches = torch.zeros((), device=accelerator.device), 0
        for batch in active_dataloader:
            with accelerator.accumulate(model):
                pixel_values = normalize(augment(batch["frames"], args.augment), spec)
                outputs = model(pixel_values, coarse_labels=batch["coarse_label"], fine_labels=batch["fine_label"])
                accelerator.backward(outputs.loss)
                optimizer.step()
                lr_scheduler.step()
                optimizer.zero_grad()
            total_loss += outputs.loss.detach()
            num_batches += 1
            overall_step += 1
            if checkpoint_every and overall_step % checkpoint_every == 0:
                accelerator.save_state(str(output_dir / f"step_{overall_step}"))
            if args.stop_after_steps is not None and overall_step >= args.stop_after_steps:
                stopped = True
                break
        mean_loss = accelerator.reduce(total_loss / max(num_batches, 1), reduction="mean").item()
        epoch_losses.append(mean_loss)
        accelerator.print(f"epoch {epoch}: train loss {mean_loss:.4f}")
        if args.with_tracking:
            accelerator.log({"train_loss": mean_loss, "epoch": epoch}, step=overall_step)
        if stopped:
            break
        if args.checkpointing_steps == "epoch":
            accelerator.save_state(str(output_dir / f"epoch_{epoch}"))

    # Save the classifier (weights and config: backbone, labels, head options, input spec) and a summary.
    accelerator.wait_for_everyone()
    summary = {
        "dataset": args.dataset,
        "config": args.config,
        "model": args.model,
        "seed": args.seed,
        "steps": overall_step,
        "epochs_run": len(epoch_losses),
        "train_loss_per_epoch": epoch_losses,
        "stopped_early": stopped,
    }
    if not stopped:
        unwrapped = accelerator.unwrap_model(model)
        unwrapped.save_pretrained(
            output_dir, is_main_process=accelerator.is_main_process, save_function=accelerator.save
        )
    if accelerator.is_main_process:
        output_dir.mkdir(parents=True, exist_ok=True)
        (output_dir / "train_results.json").write_text(json.dumps(summary, indent=2) + "\n")
        if not stopped:
            config = accelerator.unwrap_model(model).config
            card = render_card(
                "model_card.md.j2",
                {
                    "base_model": args.model,
                    "backbone": config.backbone,
                    "dataset": args.dataset,
                    "config": args.config,
                    "fine_set": training_set,
                    "held_out_set": other_set(training_set),
                    "head": {k: getattr(config, k) for k in HEAD_OPTIONS},
                    "num_coarse": len(config.coarse_labels),
                    "num_fine": len(config.fine_labels),
                    "num_frames": spec.num_frames,
                    "crop_size": spec.crop_size,
                    "training": {
                        "num_epochs": args.num_epochs,
                        "learning_rate": args.learning_rate,
                        "batch_size": args.batch_size,
                        "seed": args.seed,
                        "train_loss_per_epoch": epoch_losses,
                    },
                    "package_version": package_version(),
                },
            )
            (output_dir / "README.md").write_text(card)
    accelerator.wait_for_everyone()  # leave together: a rank tearing down gloo while another still works can abort
    accelerator.end_training()
    return summary


if __name__ == "__main__":
    main()
