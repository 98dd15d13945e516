"""Evaluation on one protocol direction: what ``examples/eval.py`` and ``examples/diagnose.py`` share, and eval itself.

- the command-line options of both scripts (:func:`add_data_and_model_arguments`), ``--videos DIR`` included;
- the dataset (:func:`load_eval_dataset`; :func:`attach_eval_videos` joins a metadata-only K400-TA / SSv2-TA with
  the user's videos through :func:`mt_datasets.attach_videos`) and the model (:func:`load_model`), with their label
  spaces checked against each other before any video is probed or decoded (:func:`check_label_spaces`);
- the known/unknown prediction loop (:func:`predict_splits`): Accelerate-sharded, gathered with
  ``gather_for_metrics``, a tqdm bar on the main process, and every video that could not be decoded listed by split,
  id and reason (:func:`skipped_videos`);
- :func:`evaluate_direction`, the whole of ``eval.py``: scores from the ``motion_transferability`` metric,
  ``all_results.json`` and ``predictions.json``.

Mistakes a user makes (a bare backbone where a trained classifier is needed, a set-1 model with ``--config set2``,
a model and a dataset with different classes, a metadata-only dataset without ``--videos``) raise
:class:`EvaluationInputError`, whose message is one line naming the bad value and the fix; the scripts print it
without a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from mt_datasets.protocol import TEST_SPLITS, direction, other_set, training_set_of
from mt_datasets.taxonomy import Taxonomy
from mt_models.models.classifier import DisentangledConfig
from mt_models.models.open_vocab import DEFAULT_PROMPT_TEMPLATE
from mt_models.models.preprocess import InputSpec
from mt_models.options import (  # light homes, for the scripts' --help
    RunOptions,
    add_data_and_model_arguments,
    add_evaluation_arguments,
)
from mt_models.runtime.data import VideoClipDataset, make_dataloader, taxonomy_of
from mt_models.runtime.fast_path import CompiledStep, evaluation_accelerator
from mt_models.scoring.records import damaged_weights_reason, read_versioned_json, write_json

__all__ = [
    "HEAD_OPTIONS",
    "PREDICTIONS_FILENAME",
    "PREDICTIONS_VERSION",
    "EvaluationInputError",
    "EvaluationOptions",
    "add_data_and_model_arguments",
    "add_evaluation_arguments",
    "attach_eval_videos",
    "check_label_spaces",
    "EVALUATION_MAKES",
    "untrained_classes",
    "evaluate_direction",
    "evaluation_options",
    "load_eval_dataset",
    "load_model",
    "predict_splits",
    "read_predictions",
    "require_decodable",
    "skipped_videos",
    "write_predictions",
]

# The classifier options a results record carries (and the model card lists).
HEAD_OPTIONS = (
    "head",
    "embedding_dim",
    "fine_loss_weight",
    "decorrelation_weight",
    "adversarial_weight",
    "fine_marginal_weight",
    "fine_gradient_scale",
    "invariance_weight",
    "contrastive_weight",
    "temperature",
    "mix_alpha",
    "slow_segments",
)
PREDICTIONS_FILENAME = "predictions.json"
PREDICTIONS_VERSION = 1
# What an evaluation writes into its --output_dir (the presence report only with --videos).
EVALUATION_MAKES = ("all_results.json", PREDICTIONS_FILENAME, "meta/presence.*")


class EvaluationInputError(ValueError):
    """A model, dataset or option that cannot be evaluated as given; the message is one line with the fix."""


def evaluation_options(argv: Sequence[str]) -> EvaluationOptions:
    """:class:`EvaluationOptions` from command-line arguments, as ``eval.py`` takes them."""
    parser = argparse.ArgumentParser(prog="eval.py")
    add_evaluation_arguments(parser)
    return EvaluationOptions(**vars(parser.parse_args(list(argv))))


def load_eval_dataset(dataset: str, config: str, *, revision: str | None = None) -> Any:
    """The ``DatasetDict`` of ``config`` (train / known / unknown); a metadata-only one has no ``video`` column yet."""
    from datasets import load_dataset

    return load_dataset(dataset, config, revision=revision)


def attach_eval_videos(
    loaded: Any,
    *,
    dataset: str,
    videos: str | None,
    report_dir: str | os.PathLike | None = None,
    splits: Sequence[str] = TEST_SPLITS,
) -> tuple[Any, list[dict[str, str]]]:
    """Join a metadata-only dataset with the videos under ``videos`` (:func:`mt_datasets.attach_videos`).

    Returns the dataset, without the rows whose file is missing or undecodable, and those rows as skipped-video
    entries (``{"split", "video_id", "reason"}``, for ``splits``); with ``report_dir`` the presence report (per
    video, why) is written there. Without ``videos`` a metadata-only dataset is refused with the fix; with it, a
    dataset that has its videos is.
    """
    has_video = "video" in next(iter(loaded.values())).column_names
    if videos is None:
        if not has_video:
            raise EvaluationInputError(
                f"--dataset {dataset} is metadata-only (no video column): pass --videos DIR, the folder of your copy "
                "of its videos"
            )
        return loaded, []
    if has_video:
        raise EvaluationInputError(f"--videos {videos}: --dataset {dataset} already has its videos; leave it out")
    from mt_datasets import attach_videos

    try:
        joined = attach_videos(loaded, videos, on_missing="flag", report_dir=report_dir)
    except FileNotFoundError as error:
        raise EvaluationInputError(f"--videos {videos}: {error}") from None
    skipped = [
        {"split": split, "video_id": str(video_id), "reason": _absent_reason(videos, relative)}
        for split in splits
        for video_id, relative, present in zip(
            joined[split]["video_id"], joined[split]["relative_path"], joined[split]["video_present"], strict=True
        )
        if not present
    ]
    kept = {name: split.filter(lambda row: row["video_present"]) for name, split in joined.items()}
    return type(joined)({name: split.remove_columns("video_present") for name, split in kept.items()}), skipped


def _absent_reason(videos: str, relative: str) -> str:
    """Why a row's video was not joined: its file is missing, or is there and does not decode."""
    if (Path(videos) / relative).is_file():
        return f"undecodable: {relative} under {videos} does not decode (see meta/presence.md)"
    return f"missing: no file {relative} under {videos}"


def require_decodable(split: str, total: int, skipped: Sequence[Mapping[str, str]]) -> None:
    """Stop with one line when a split has no decodable video: scores over nothing would look like a result."""
    if total and sum(s["split"] == split for s in skipped) < total:
        return
    ours = [s for s in skipped if s["split"] == split]
    missing = sum(s["reason"].startswith("missing") for s in ours)
    raise EvaluationInputError(
        f"the {split} split has no decodable video: {missing} missing, {len(ours) - missing} undecodable of "
        f"{total}; check --videos (or the dataset) and see the presence report"
    )


def _model_type(model: str) -> str | None:
    """The ``model_type`` in a checkpoint's config.json (a directory or a Hub id); None when it has none."""
    local = Path(model)
    if local.is_dir():
        config_file = local / "config.json"
        if not config_file.is_file():
            raise EvaluationInputError(f"--model {model}: no config.json there; give a directory written by train.py")
        return json.loads(config_file.read_text()).get("model_type")
    from transformers import AutoConfig

    from mt_models.models.cards import is_hub_id

    if not local.expanduser().exists() and not is_hub_id(model):  # fail at once instead of retrying the Hub
        raise EvaluationInputError(f"--model {model}: no such directory (and not a Hub id owner/name)")
    try:
        return AutoConfig.from_pretrained(model).model_type
    except (OSError, ValueError) as error:
        raise EvaluationInputError(f"--model {model}: cannot load its config ({str(error).splitlines()[0]})") from None


def load_model(
    model: str,
    *,
    config: str,
    open_vocabulary: bool = False,
    prompt_template: str = DEFAULT_PROMPT_TEMPLATE,
) -> torch.nn.Module:
    """A trained classifier (or, with ``open_vocabulary``, an X-CLIP prompt classifier), in eval mode.

    Raises:
        EvaluationInputError: ``model`` is not a classifier trained by ``train.py`` (e.g. a bare backbone), or was
            trained on the other fine set than ``config`` evaluates.
    """
    from mt_models.models.classifier import DisentangledVideoClassifier
    from mt_models.models.open_vocab import OpenVocabularyClassifier

    model_type = _model_type(model)
    if open_vocabulary:
        if model_type != "xclip":
            raise EvaluationInputError(
                f"--open_vocabulary needs an X-CLIP checkpoint; {model} is a {model_type!r} model: leave out "
                "--open_vocabulary for a classifier trained by train.py"
            )
        return OpenVocabularyClassifier.from_pretrained(model, prompt_template=prompt_template)
    if model_type != DisentangledConfig.model_type:
        hint = (
            "add --open_vocabulary to classify with class-name prompts"
            if model_type == "xclip"
            else f"train a classifier first: accelerate launch examples/train.py --model {model} ..."
        )
        raise EvaluationInputError(
            f"--model {model} is a bare {model_type!r} backbone, not a classifier trained by train.py: {hint}"
        )
    weights = Path(model) / "model.safetensors"
    reason = damaged_weights_reason(weights) if weights.is_file() else None
    if reason:
        raise EvaluationInputError(
            f"--model {model}: {weights} is {reason}; copy the model again or retrain it (examples/train.py)"
        )
    classifier = DisentangledVideoClassifier.from_pretrained(model)
    training_set = training_set_of(config)
    if classifier.config.fine_set not in (None, training_set):
        raise EvaluationInputError(
            f"--model {model} was trained on fine set {classifier.config.fine_set} but --config {config} evaluates a "
            f"model trained on set {training_set}: pass --config set{classifier.config.fine_set}"
        )
    return classifier.eval()


def check_label_spaces(model: torch.nn.Module, taxonomy: Taxonomy, *, model_name: str, dataset_name: str) -> None:
    """Refuse a classifier whose coarse classes are not the dataset's (checked before any video is decoded)."""
    labels = getattr(getattr(model, "config", None), "coarse_labels", None)
    if labels is None:  # an open-vocabulary model takes the dataset's class names as prompts
        return
    if list(labels) != list(taxonomy.coarse_names):
        source = getattr(model.config, "dataset", None) or "another dataset"
        raise EvaluationInputError(
            f"--model {model_name} classifies {len(labels)} coarse classes of {source} ({', '.join(labels[:3])}, ...) "
            f"but --dataset {dataset_name} is {taxonomy.name} with {len(taxonomy.coarse_names)} "
            f"({', '.join(taxonomy.coarse_names[:3])}, ...): evaluate a model trained on {taxonomy.name}"
        )


def _trained_classes(model: str) -> list[str] | None:
    """The coarse classes a classifier was trained on, from the ``train_results.json`` beside it (local or on the
    Hub); None when it has none (a model from before this was recorded, a zero-shot X-CLIP) or it cannot be read."""
    local = Path(model) / "train_results.json"
    if not local.is_file():
        from mt_models.models.cards import is_hub_id

        if not is_hub_id(model):
            return None
        from huggingface_hub import hf_hub_download

        try:
            local = Path(hf_hub_download(model, "train_results.json"))
        except Exception:  # noqa: BLE001 - absent, offline or unreachable: nothing to check against
            return None
    try:
        classes = json.loads(local.read_text()).get("coarse_classes_trained")
    except (OSError, ValueError):
        return None
    return list(classes) if isinstance(classes, list) else None


def untrained_classes(model: str, data_classes: Sequence[str]) -> dict[str, Any] | None:
    """Which coarse classes of the evaluated data ``model`` never saw in training: ``{"classes_not_trained",
    "classes_trained", "note"}`` (the note one line), or None when it saw every one (or did not record what it saw).

    A model scored on classes it was never trained on scores near zero on them whatever it learned; the record says
    so rather than let the number pass for a transfer result.
    """
    trained = _trained_classes(model)
    if trained is None:
        return None
    missing = [name for name in data_classes if name not in trained]
    if not missing:
        return None
    listed = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
    if len(missing) == len(data_classes):
        note = (
            f"no coarse class of the data ({listed}) was in the model's training data ({', '.join(trained[:5])}"
            f"{', ...' if len(trained) > 5 else ''}): these scores measure classes it never learned"
        )
    else:
        note = (
            f"{len(missing)} of the {len(data_classes)} coarse classes of the data were not in the model's training "
            f"data ({listed}): their videos are scored against classes it never learned"
        )
    return {"classes_not_trained": missing, "classes_trained": trained, "note": note}


def predict_splits(
    accelerator: Any,
    dataset: Mapping[str, Any],
    spec: InputSpec,
    predict: Callable[[dict[str, torch.Tensor], str], dict[str, torch.Tensor]],
    *,
    batch_size: int,
    num_workers: int,
    num_clips: int = 1,
    sampling: str = "uniform",
    splits: Sequence[str] = TEST_SPLITS,
) -> dict[str, torch.Tensor]:
    """Run ``predict(batch, split)`` over the known and unknown splits; returns every column, gathered, on the CPU.

    ``predict`` returns per-video tensors (first dimension = batch). Each result also has ``coarse_label``,
    ``dataset_fine_label``, ``decoded`` (1 or 0), ``index`` (row within its split) and ``is_known`` (1 or 0). Items
    are sharded across processes; ``gather_for_metrics`` drops the samples Accelerate repeats to even out the last
    batch. The progress bar shows on the main process only.
    """
    from tqdm.auto import tqdm

    columns: dict[str, list[torch.Tensor]] = {}
    for split in splits:
        split_set = VideoClipDataset(dataset[split], spec, num_clips=num_clips, sampling=sampling)
        dataloader = accelerator.prepare(make_dataloader(split_set, batch_size=batch_size, num_workers=num_workers))
        bar = tqdm(dataloader, desc=split, unit="batch", disable=not accelerator.is_main_process)
        for batch in bar:
            record = {
                **predict(batch, split),
                "coarse_label": batch["coarse_label"],
                "dataset_fine_label": batch["dataset_fine_label"],
                "decoded": batch["decoded"].long(),  # integers: not every collective backend gathers bools
                "index": batch["index"],
                "is_known": torch.full_like(batch["index"], int(split == "known")),
            }
            for name, value in accelerator.gather_for_metrics(record).items():
                columns.setdefault(name, []).append(value.cpu())
    return {name: torch.cat(values) for name, values in columns.items()}


def skipped_videos(dataset: Mapping[str, Any], data: Mapping[str, torch.Tensor]) -> list[dict[str, str]]:
    """The videos that could not be decoded: ``{"split", "video_id", "reason"}`` each, in split and row order.

    The reason is the decoder's message, found again here for these few rows (the workers that first failed on
    them cannot send strings through ``gather``).
    """
    from datasets import Video

    from mt_datasets.video import VideoDecodeError, read_clip

    failed = ~data["decoded"].bool()
    entries = []
    for split in TEST_SPLITS:
        rows = data["index"][failed & (data["is_known"].bool() == (split == "known"))].tolist()
        if not rows:
            continue
        table = dataset[split]
        if "video" in table.column_names and isinstance(table.features["video"], Video):
            table = table.cast_column("video", Video(decode=False))
        for index in sorted(rows):
            row = table[index]
            try:
                read_clip(row["video"], num_frames=1)
                reason = "decoding failed during evaluation"
            except VideoDecodeError as error:
                reason = str(error)
            entries.append({"split": split, "video_id": str(row["video_id"]), "reason": reason})
    return entries


def write_predictions(output_dir: str | os.PathLike, per_video: Mapping[str, list]) -> Path:
    """Write the per-video predictions as versioned ``predictions.json``; returns its path."""
    return write_json(Path(output_dir) / PREDICTIONS_FILENAME, {"format_version": PREDICTIONS_VERSION, **per_video})


def read_predictions(path: str | os.PathLike) -> dict[str, list]:
    """Read ``predictions.json`` (or a directory holding one); columns ``split``, ``index``, ``decoded``, ..."""
    _, values = read_versioned_json(path, PREDICTIONS_FILENAME, max_version=PREDICTIONS_VERSION, what="evaluation")
    values.pop("format_version")
    return values


@dataclass(kw_only=True)
class EvaluationOptions(RunOptions):
    """What ``eval.py`` takes (see ``examples/eval.py --help``): the run's options and evaluation's own."""

    open_vocabulary: bool = False
    prompt_template: str = DEFAULT_PROMPT_TEMPLATE
    num_clips: int = 1
    bootstrap_samples: int = 0
    seed: int | None = None
    update_model_card: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from mt_models.runtime.fast_path import unavailable_precision

        reason = unavailable_precision(self.mixed_precision) or self.missing_local_paths()
        if reason:
            raise EvaluationInputError(reason)


def _training_seed(model: str) -> int:
    """The seed recorded by train.py beside the model (0 for a model without one, e.g. zero-shot X-CLIP)."""
    summary = Path(model) / "train_results.json"
    return int(json.loads(summary.read_text()).get("seed", 0)) if summary.is_file() else 0


def timing_batch(model: torch.nn.Module, batch_size: int) -> dict[str, Any]:
    """``model`` and a batch of ``batch_size`` clips of its input shape, to time the evaluation's fast path on."""
    from mt_models.models.preprocess import normalize

    spec = model.input_spec
    generator = torch.Generator().manual_seed(0)  # any frames will do: the time of a step does not depend on them
    frames = torch.randint(0, 256, (batch_size, spec.num_frames, 3, *spec.crop_size), dtype=torch.uint8,
                           generator=generator)  # fmt: skip
    return {"model": model, "inputs": {"pixel_values": normalize(frames, spec)}}


def evaluate_direction(options: EvaluationOptions) -> dict[str, Any]:
    """Evaluate a model on the known and unknown splits of one direction; write the record and the predictions.

    Returns the results record as a dict on the main process (an empty dict on the others). The output directory is
    checked and held first (:func:`mt_models.runtime.output_dirs.claim_output_dir`): one that holds what an evaluation
    does not write (a dataset, a file in place of the folder), or that another live run holds, is refused before any
    work.
    """
    from mt_models.runtime.output_dirs import claim_output_dir

    with claim_output_dir(options.output_dir, makes=EVALUATION_MAKES, what="evaluation", error=EvaluationInputError):
        return _evaluate_direction(options)


def _evaluate_direction(options: EvaluationOptions) -> dict[str, Any]:
    """The evaluation, step by step: the model and the dataset (checked against each other), the fast path and the
    accelerator, the predictions of both splits, then (on the main process) the scores and the files written."""
    run = _load_model_and_dataset(options)
    _prepare_evaluation(run, options)
    data = predict_splits(
        run.accelerator,
        run.dataset,
        run.spec,
        _predictor(run, options),
        batch_size=options.batch_size,
        num_workers=options.num_workers,
        num_clips=options.num_clips,
        sampling=options.sampling,
    )
    for split in TEST_SPLITS:  # every rank has the gathered columns, so all stop together
        if not data["decoded"].bool()[data["is_known"].bool() == (split == "known")].any():
            require_decodable(split, run.totals[split], run.missing + skipped_videos(run.dataset, data))
    result: dict[str, Any] = {}
    if run.accelerator.is_main_process:
        scores, fine_scores = _scores(run, options, data)
        result = _write_results(run, options, data, scores, fine_scores)
    run.accelerator.wait_for_everyone()
    run.accelerator.end_training()
    return result


@dataclass
class _Evaluation:
    """What one evaluation works on: the model, the dataset and its videos, then the accelerator and the fast path."""

    training_set: str
    model: Any
    dataset: Any
    taxonomy: Taxonomy
    missing: list[dict[str, Any]]
    totals: dict[str, int]
    coverage: dict[str, Any] | None
    spec: InputSpec
    seed: int = 0
    accelerator: Any = None
    fast_path: Any = None
    forward: Any = None


def _load_model_and_dataset(options: EvaluationOptions) -> _Evaluation:
    """The model and the dataset, their label spaces checked against each other before any video is probed or
    decoded, the videos attached (a split with none decodable refused), and the classes the model was not trained on."""
    training_set = training_set_of(options.config)
    model = load_model(
        options.model,
        config=options.config,
        open_vocabulary=options.open_vocabulary,
        prompt_template=options.prompt_template,
    )
    dataset = load_eval_dataset(options.dataset, options.config, revision=options.revision)
    taxonomy = taxonomy_of(dataset)
    # Model and dataset must agree before any video is probed or decoded.
    check_label_spaces(model, taxonomy, model_name=options.model, dataset_name=options.dataset)
    dataset, missing = attach_eval_videos(
        dataset, dataset=options.dataset, videos=options.videos, report_dir=options.output_dir
    )
    totals = {split: len(dataset[split]) + sum(m["split"] == split for m in missing) for split in TEST_SPLITS}
    for split in TEST_SPLITS:
        if not len(dataset[split]):
            require_decodable(split, totals[split], missing)
    coverage = None
    if not options.open_vocabulary:
        data_classes = sorted(
            {taxonomy.coarse_names[c] for split in TEST_SPLITS for c in dataset[split]["coarse_label"]},
            key=taxonomy.coarse_names.index,
        )
        coverage = untrained_classes(options.model, data_classes)
    return _Evaluation(training_set, model, dataset, taxonomy, missing, totals, coverage, model.input_spec)


def _prepare_evaluation(run: _Evaluation, options: EvaluationOptions) -> None:
    """The accelerator and the fast path (timed on the model unless it is an open-vocabulary one), the model
    prepared, its forward step, and the seed of the bootstrap."""
    accelerator, fast_path = evaluation_accelerator(
        options.mixed_precision,
        **({} if options.open_vocabulary else timing_batch(run.model, options.batch_size * options.num_clips)),
        total_steps=sum(math.ceil(run.totals[split] / options.batch_size) for split in TEST_SPLITS),
    )
    if run.coverage:
        accelerator.print(f"note: {run.coverage['note']}")
    fast_path.prepare_model(run.model)
    run.model = accelerator.prepare_model(run.model, evaluation_mode=True)
    run.forward = CompiledStep(run.model, fast_path.compiled)
    run.accelerator, run.fast_path = accelerator, fast_path
    run.seed = options.seed if options.seed is not None else _training_seed(options.model)


def _predictor(
    run: _Evaluation, options: EvaluationOptions
) -> Callable[[dict[str, torch.Tensor], str], dict[str, torch.Tensor]]:
    """What :func:`predict_splits` calls on each batch of a split: the coarse scores (and, for an open-vocabulary
    model, the fine prediction and its reference among the split's fine classes), the views of a video averaged."""
    from mt_models.models.preprocess import normalize

    model, taxonomy, training_set = run.model, run.taxonomy, run.training_set
    # Fine classes of each split for the open-vocabulary fine task: the training set's names for known videos,
    # the held-out set's for unknown ones.
    fine_ids = {"known": taxonomy.fine_indices(training_set), "unknown": taxonomy.fine_indices(other_set(training_set))}
    fine_names = {split: [taxonomy.fine_names[i] for i in ids] for split, ids in fine_ids.items()}
    position_of_fine = {split: {d: k for k, d in enumerate(ids)} for split, ids in fine_ids.items()}

    def predict(batch: dict[str, torch.Tensor], split: str) -> dict[str, torch.Tensor]:
        frames = batch["frames"]
        if options.num_clips == 1:
            frames = frames.unsqueeze(1)
        views = frames.shape[1]
        pixel_values = normalize(frames.flatten(0, 1), run.spec)
        with torch.no_grad():
            if options.open_vocabulary:
                coarse_logits = model(pixel_values, taxonomy.coarse_names)
                fine_logits = model(pixel_values, fine_names[split])
            else:
                coarse_logits, fine_logits = run.forward(pixel_values).coarse_logits, None
        # Multi-view testing: average the class probabilities of the views of each video.
        out = {"coarse_scores": coarse_logits.float().softmax(-1).unflatten(0, (-1, views)).mean(1)}
        if fine_logits is not None:
            out["fine_prediction"] = fine_logits.float().softmax(-1).unflatten(0, (-1, views)).mean(1).argmax(-1)
            out["fine_reference"] = torch.tensor(
                [position_of_fine[split].get(int(f), -1) for f in batch["dataset_fine_label"]], device=frames.device
            )
        return out

    return predict


def _scores(
    run: _Evaluation, options: EvaluationOptions, data: dict[str, torch.Tensor]
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The transferability scores of the decoded videos (the ``evaluate`` metric), and of the fine predictions when
    the model makes them (open vocabulary); the bootstrap seeded with the run's seed."""
    import mt_metrics

    is_known = data["is_known"].bool()
    predictions = data["coarse_scores"].argmax(-1)
    num_coarse = len(run.taxonomy.coarse_names)
    keep = data["decoded"].bool().numpy()
    metric = mt_metrics.load(
        config_name="top5" if num_coarse >= 5 else "default",
        with_fine_references=True,
        experiment_id=uuid.uuid4().hex,  # concurrent evaluations must not share evaluate's cache files
    )
    batch_kwargs = dict(
        predictions=predictions.numpy()[keep],
        references=data["coarse_label"].numpy()[keep],
        is_known=is_known.numpy()[keep],
        fine_references=data["dataset_fine_label"].numpy()[keep],
    )
    if num_coarse >= 5:
        batch_kwargs["prediction_scores"] = data["coarse_scores"].numpy()[keep]
    metric.add_batch(**batch_kwargs)
    scores = metric.compute(num_classes=num_coarse, bootstrap_samples=options.bootstrap_samples, seed=run.seed)
    fine_scores = None
    if "fine_prediction" in data:
        fine_scores = mt_metrics.compute_transferability(
            data["fine_prediction"].numpy()[keep],
            data["fine_reference"].numpy()[keep],
            is_known.numpy()[keep],
            bootstrap_samples=options.bootstrap_samples,
            seed=run.seed,
        )
    return scores, fine_scores


def _write_results(
    run: _Evaluation,
    options: EvaluationOptions,
    data: dict[str, torch.Tensor],
    scores: dict[str, Any],
    fine_scores: dict[str, Any] | None,
) -> dict[str, Any]:
    """The results record and the per-video predictions written, the model card updated when asked, the headline
    said; returns the record as a dict."""
    from mt_models.scoring.records import ResultsRecord, dataset_revision

    accelerator, dataset, spec = run.accelerator, run.dataset, run.spec
    decoded, is_known = data["decoded"].bool(), data["is_known"].bool()
    skipped = run.missing + skipped_videos(dataset, data)
    predictions = data["coarse_scores"].argmax(-1)
    head = {}
    if not options.open_vocabulary:
        config = accelerator.unwrap_model(run.model).config
        head = {name: getattr(config, name) for name in HEAD_OPTIONS} | {"backbone": config.backbone}
    record = ResultsRecord(
        dataset=options.dataset,
        dataset_revision=dataset_revision(options.dataset, options.revision),
        config=options.config,
        direction=direction(run.training_set),
        model=options.model,
        model_kind="open_vocabulary" if options.open_vocabulary else "disentangled",
        seed=run.seed,
        num_frames=spec.num_frames,
        num_clips=options.num_clips,
        skipped_videos={split: sum(s["split"] == split for s in skipped) for split in TEST_SPLITS},
        skipped=skipped,
        scores=scores,
        fine_scores=fine_scores,
        head=head,
        extra={"taxonomy": run.taxonomy.name, "fast_path": run.fast_path.to_dict()}
        | ({"prompt_template": options.prompt_template} if options.open_vocabulary else {})
        | ({"videos": options.videos} if options.videos else {})
        | ({"untrained_classes": run.coverage} if run.coverage else {})
        | options.extra,
    )
    path = record.write(options.output_dir)
    # Per-video predictions (dataset row order within each split), for pooling directions and bootstrapping.
    order = torch.argsort(data["index"] + (~is_known).long() * (len(data["index"]) + 1))
    write_predictions(
        path.parent,
        {
            "split": ["known" if k else "unknown" for k in is_known[order].tolist()],
            "index": data["index"][order].tolist(),
            "decoded": decoded[order].tolist(),
            "prediction": predictions[order].tolist(),
            "reference": data["coarse_label"][order].tolist(),
            "fine_reference": data["dataset_fine_label"][order].tolist(),
        },
    )
    result = record.to_dict()
    if options.update_model_card:
        from mt_models.models.cards import add_eval_results_to_card

        accelerator.print(f"model card updated: {add_eval_results_to_card(options.model, result)}")
    accelerator.print(
        json.dumps(
            {
                "all_results": str(path),
                "known_accuracy": scores["known_accuracy"],
                "unknown_accuracy": scores["unknown_accuracy"],
                "skipped_videos": record.skipped_videos,
            }
        )
    )
    return result
