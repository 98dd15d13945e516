"""Model cards of trained classifiers, built with ``huggingface_hub``'s ``ModelCard`` / ``ModelCardData`` /
``EvalResult``.

The card's YAML is ``ModelCardData``: ``library_name``, ``pipeline_tag``, tags, and ``base_model`` / ``datasets``
only when they are Hub ids (a local directory means nothing to a reader of the Hub page). Its body is the Jinja
template ``hub_cards/model_card.md.j2``. Evaluation scores enter the card's ``model-index`` as ``EvalResult``\\ s
(the transferability scores of one direction, with the dataset id, config and revision):
:func:`add_eval_results_to_card` merges a results record into an existing card.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from huggingface_hub import EvalResult, ModelCard, ModelCardData

__all__ = ["SCORE_NAMES", "add_eval_results_to_card", "eval_results", "is_hub_id", "training_model_card"]

# The scores of a results record that go into the model-index, with their display names.
SCORE_NAMES = {
    "known_accuracy": "Known accuracy",
    "unknown_accuracy": "Unknown accuracy",
    "absolute_drop": "Absolute drop (K - U)",
    "relative_drop": "Relative drop ((K - U) / K)",
    "harmonic_mean": "Harmonic mean of K and U",
}
CARD_FILENAME = "README.md"


def is_hub_id(value: str | os.PathLike | None) -> bool:
    """Whether ``value`` names a Hub repository (``org/name`` or ``name``) rather than a local path."""
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    if value is None:
        return False
    text = str(value)
    if Path(text).exists() or text.startswith((".", "/", "~")) or "\\" in text:
        return False
    try:
        validate_repo_id(text)
    except HFValidationError:
        return False
    return text.count("/") <= 1


def training_model_card(context: Mapping[str, Any]) -> ModelCard:
    """The card of a classifier trained by ``train.py``; ``context`` holds the template's variables.

    ``context["base_model"]`` and ``context["dataset"]`` go into the YAML only when they are Hub ids.
    """
    from mt_datasets.hub.cards import render_card

    data = ModelCardData(
        library_name="transformers",
        pipeline_tag="video-classification",
        tags=["motion-transfer", "video-classification", str(context["backbone"])],
        base_model=str(context["base_model"]) if is_hub_id(context["base_model"]) else None,
        datasets=[str(context["dataset"])] if is_hub_id(context["dataset"]) else None,
    )
    return ModelCard(render_card("model_card.md.j2", {**context, "card_data": data.to_yaml()}))


def eval_results(record: Mapping[str, Any]) -> list[EvalResult]:
    """The model-index entries of one results record (``all_results.json`` as a dict): one per score."""
    scores = record["scores"]
    dataset = str(record["dataset"])
    dataset_id = dataset if is_hub_id(dataset) else Path(dataset).name
    taxonomy = record.get("extra", {}).get("taxonomy") or dataset_id
    return [
        EvalResult(
            task_type="video-classification",
            task_name=f"Motion transferability ({record['direction']})",
            dataset_type=dataset_id,
            dataset_name=taxonomy,
            dataset_config=record["config"],
            dataset_split="known+unknown",
            dataset_revision=record.get("dataset_revision"),
            metric_type=name,
            metric_name=title,
            metric_value=scores[name],
        )
        for name, title in SCORE_NAMES.items()
        if scores.get(name) is not None
    ]


def add_eval_results_to_card(model_dir: str | os.PathLike, record: Mapping[str, Any]) -> Path | str:
    """Add (or replace) the scores of ``record`` in the model-index of ``model_dir/README.md``; returns its path.

    Entries of the same dataset, config and score are replaced, others kept. A Hub id (no such local directory)
    updates the card of that model repository: it is read from the Hub and pushed back in one commit, whose URL is
    returned (``HF_TOKEN`` needs write access to it).
    """
    if not Path(model_dir).is_dir() and is_hub_id(model_dir):
        card = ModelCard.load(str(model_dir))
        _merge_eval_results(card, record, str(model_dir).split("/")[-1])
        return str(card.push_to_hub(str(model_dir), commit_message="Add motion-transferability scores"))
    path = Path(model_dir) / CARD_FILENAME
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: --update_model_card needs a local model directory with its card")
    card = ModelCard.load(path)
    _merge_eval_results(card, record, Path(model_dir).resolve().name)
    card.save(path)
    return path


def _merge_eval_results(card: ModelCard, record: Mapping[str, Any], model_name: str) -> None:
    new = eval_results(record)
    keys = {(r.dataset_type, r.dataset_config, r.metric_type) for r in new}
    kept = [r for r in (card.data.eval_results or []) if (r.dataset_type, r.dataset_config, r.metric_type) not in keys]
    card.data.eval_results = kept + new
    card.data.model_name = card.data.model_name or model_name
