"""Evaluate a model on one direction of the motion-transferability protocol and write ``all_results.json``.

The model sees the ``known`` split (validation videos of the fine variants it was trained on) and the ``unknown``
split (validation videos of the held-out variants of the same coarse actions); the ``motion_transferability``
metric scores the coarse predictions. Any number of processes:

    accelerate launch examples/eval.py --dataset motion-transfer/syn-ta --config set1 --model runs/videomae-set1

``--model`` is a classifier trained by ``train.py`` (a directory or Hub id), or with ``--open_vocabulary`` an X-CLIP
checkpoint that classifies by class-name prompts; that also scores the fine base-to-novel task (known videos among
the training set's fine names, unknown videos zero-shot among the held-out set's). ``--num_clips`` > 1 averages the
class probabilities of several clips per video. Videos that fail to decode are skipped and counted in the record's
``skipped_videos``. Per-video predictions go to ``predictions.json`` beside the record (``run_protocol.py`` pools
both directions from them).
"""

from __future__ import annotations

import argparse
import json
import uuid
from pathlib import Path

import torch
from accelerate import Accelerator
from datasets import load_dataset

import mt_metrics
from mt_datasets.protocol import PROTOCOL_CONFIGS, TEST_SPLITS, direction, other_set, training_set_of
from mt_models import DisentangledVideoClassifier, normalize
from mt_models.data import VideoClipDataset, make_dataloader, taxonomy_of
from mt_models.open_vocab import DEFAULT_PROMPT_TEMPLATE, OpenVocabularyClassifier
from mt_models.records import ResultsRecord, dataset_revision

HEAD_OPTIONS = ("embedding_dim", "fine_loss_weight", "decorrelation_weight", "adversarial_weight")


def add_data_and_model_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every evaluating script shares (eval.py, diagnose.py): dataset, direction and model."""
    parser.add_argument("--dataset", required=True, help="Hub id or local directory of a motion-transfer dataset")
    parser.add_argument("--config", default="set1", choices=list(PROTOCOL_CONFIGS), help="protocol direction")
    parser.add_argument("--revision", default=None, help="dataset revision (branch, tag or commit) on the Hub")
    parser.add_argument("--model", required=True, help="trained classifier, or an X-CLIP checkpoint")
    parser.add_argument("--open_vocabulary", action="store_true", help="zero-shot X-CLIP with class-name prompts")
    parser.add_argument("--prompt_template", default=DEFAULT_PROMPT_TEMPLATE, help="prompt with one {} slot")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_data_and_model_arguments(parser)
    parser.add_argument("--num_clips", type=int, default=1, help="clips per video; probabilities are averaged")
    parser.add_argument("--sampling", default="uniform", choices=["uniform", "stride"])
    parser.add_argument("--batch_size", type=int, default=8, help="per process")
    parser.add_argument("--num_workers", type=int, default=2, help="DataLoader decoding processes")
    parser.add_argument("--mixed_precision", default=None, choices=["no", "fp16", "bf16"])
    parser.add_argument("--bootstrap_samples", type=int, default=0, help="replicates for confidence intervals")
    parser.add_argument("--seed", type=int, default=None, help="recorded seed (default: the model's training seed)")
    parser.add_argument("--output_dir", required=True, help="where all_results.json goes")
    return parser.parse_args(argv)


def load_model(args: argparse.Namespace, training_set: int) -> DisentangledVideoClassifier | OpenVocabularyClassifier:
    if args.open_vocabulary:
        return OpenVocabularyClassifier.from_pretrained(args.model, prompt_template=args.prompt_template)
    model = DisentangledVideoClassifier.from_pretrained(args.model)
    if model.config.fine_set not in (None, training_set):
        raise ValueError(
            f"{args.model} was trained on fine set {model.config.fine_set} but --config {args.config} evaluates a "
            f"model trained on set {training_set}: pass --config set{model.config.fine_set}"
        )
    return model.eval()


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    accelerator = Accelerator(mixed_precision=args.mixed_precision)
    dataset = load_dataset(args.dataset, args.config, revision=args.revision)
    taxonomy = taxonomy_of(dataset)
    training_set = training_set_of(args.config)
    model = load_model(args, training_set)
    spec = model.input_spec
    model = accelerator.prepare_model(model, evaluation_mode=True)
    train_args_file = Path(args.model) / "train_results.json"
    seed = args.seed
    if seed is None:
        seed = json.loads(train_args_file.read_text())["seed"] if train_args_file.is_file() else 0

    # Fine classes of each split for the open-vocabulary fine task: the training set's names for known videos,
    # the held-out set's for unknown ones.
    fine_ids = {"known": taxonomy.fine_indices(training_set), "unknown": taxonomy.fine_indices(other_set(training_set))}
    fine_names = {split: [taxonomy.fine_names[i] for i in ids] for split, ids in fine_ids.items()}

    columns: dict[str, list[torch.Tensor]] = {}
    for split in TEST_SPLITS:
        split_set = VideoClipDataset(dataset[split], spec, num_clips=args.num_clips, sampling=args.sampling)
        dataloader = accelerator.prepare(
            make_dataloader(split_set, batch_size=args.batch_size, num_workers=args.num_workers)
        )
        position_of_fine = {dataset_id: k for k, dataset_id in enumerate(fine_ids[split])}
        for batch in dataloader:
            frames = batch["frames"]
            if args.num_clips == 1:
                frames = frames.unsqueeze(1)
            views = frames.shape[1]
            pixel_values = normalize(frames.flatten(0, 1), spec)
            with torch.no_grad():
                if args.open_vocabulary:
                    coarse_logits = model(pixel_values, taxonomy.coarse_names)
                    fine_logits = model(pixel_values, fine_names[split])
                else:
                    coarse_logits, fine_logits = model(pixel_values).coarse_logits, None
            # Multi-view testing: average the class probabilities of the views of each video.
            coarse_scores = coarse_logits.float().softmax(-1).unflatten(0, (-1, views)).mean(1)
            record = {
                "coarse_scores": coarse_scores,
                "coarse_label": batch["coarse_label"],
                "dataset_fine_label": batch["dataset_fine_label"],
                "decoded": batch["decoded"].long(),  # integers: not every collective backend gathers bools
                "index": batch["index"],
                "is_known": torch.full_like(batch["index"], int(split == "known")),
            }
            if fine_logits is not None:
                record["fine_prediction"] = fine_logits.float().softmax(-1).unflatten(0, (-1, views)).mean(1).argmax(-1)
                record["fine_reference"] = torch.tensor(
                    [position_of_fine.get(int(f), -1) for f in batch["dataset_fine_label"]], device=frames.device
                )
            # gather_for_metrics drops the samples Accelerate repeated to even out the last batch.
            for name, value in accelerator.gather_for_metrics(record).items():
                columns.setdefault(name, []).append(value.cpu())
    data = {name: torch.cat(values) for name, values in columns.items()}

    decoded = data["decoded"].bool()
    is_known = data["is_known"].bool()
    skipped = {"known": int((~decoded & is_known).sum()), "unknown": int((~decoded & ~is_known).sum())}
    predictions = data["coarse_scores"].argmax(-1)
    num_coarse = len(taxonomy.coarse_names)
    result: dict = {}
    if accelerator.is_main_process:
        metric = mt_metrics.load(
            config_name="top5" if num_coarse >= 5 else "default",
            with_fine_references=True,
            experiment_id=uuid.uuid4().hex,  # concurrent evaluations must not share evaluate's cache files
        )
        keep = decoded.numpy()
        batch_kwargs = dict(
            predictions=predictions.numpy()[keep],
            references=data["coarse_label"].numpy()[keep],
            is_known=is_known.numpy()[keep],
            fine_references=data["dataset_fine_label"].numpy()[keep],
        )
        if num_coarse >= 5:
            batch_kwargs["prediction_scores"] = data["coarse_scores"].numpy()[keep]
        metric.add_batch(**batch_kwargs)
        scores = metric.compute(num_classes=num_coarse, bootstrap_samples=args.bootstrap_samples, seed=seed)
        fine_scores = None
        if "fine_prediction" in data:
            fine_scores = mt_metrics.compute_transferability(
                data["fine_prediction"].numpy()[keep],
                data["fine_reference"].numpy()[keep],
                is_known.numpy()[keep],
                bootstrap_samples=args.bootstrap_samples,
                seed=seed,
            )
        head = {}
        if not args.open_vocabulary:
            config = accelerator.unwrap_model(model).config
            head = {name: getattr(config, name) for name in HEAD_OPTIONS}
            head["backbone"] = config.backbone
        record = ResultsRecord(
            dataset=args.dataset,
            dataset_revision=dataset_revision(args.dataset, args.revision),
            config=args.config,
            direction=direction(training_set),
            model=args.model,
            model_kind="open_vocabulary" if args.open_vocabulary else "disentangled",
            seed=seed,
            num_frames=spec.num_frames,
            num_clips=args.num_clips,
            skipped_videos=skipped,
            scores=scores,
            fine_scores=fine_scores,
            head=head,
            extra={"taxonomy": taxonomy.name}
            | ({"prompt_template": args.prompt_template} if args.open_vocabulary else {}),
        )
        path = record.write(args.output_dir)
        # Per-video predictions (dataset row order within each split), for pooling directions and bootstrapping.
        order = torch.argsort(data["index"] + (~is_known).long() * (len(data["index"]) + 1))
        per_video = {
            "split": ["known" if k else "unknown" for k in is_known[order].tolist()],
            "index": data["index"][order].tolist(),
            "decoded": decoded[order].tolist(),
            "prediction": predictions[order].tolist(),
            "reference": data["coarse_label"][order].tolist(),
            "fine_reference": data["dataset_fine_label"][order].tolist(),
        }
        (path.parent / "predictions.json").write_text(json.dumps(per_video) + "\n")
        result = record.to_dict()
        accelerator.print(
            json.dumps(
                {
                    "all_results": str(path),
                    "known_accuracy": scores["known_accuracy"],
                    "unknown_accuracy": scores["unknown_accuracy"],
                    "skipped_videos": skipped,
                }
            )
        )
    accelerator.wait_for_everyone()
    accelerator.end_training()
    return result


if __name__ == "__main__":
    main()
