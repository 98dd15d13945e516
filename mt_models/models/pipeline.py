"""``pipeline("video-classification", model=...)`` for this package's models, after ``import mt_models``.

Two things make transformers' own call work on a directory written by ``examples/train.py`` (or its Hub id) and on an
X-CLIP checkpoint:

- :class:`~mt_models.DisentangledVideoClassifier` is registered with ``AutoModelForVideoClassification`` (the model
  class the task loads), so ``pipeline`` builds it from the directory like any Hub model;
- :class:`MotionVideoClassificationPipeline` is registered as the task's implementation. It handles our classifiers
  and X-CLIP (class-name prompts, ``candidate_labels=``), and hands every other model to transformers'
  ``VideoClassificationPipeline`` unchanged.

It decodes with the package's decoder (:func:`mt_datasets.read_clip`: torchcodec, PyAV fallback; the clip spread over
the whole video, as ``eval.py`` samples it) and preprocesses with the package's one path
(:func:`mt_models.models.preprocess.preprocess` with the model's ``input_spec``), so no torchvision is needed and the
pipeline sees exactly what evaluation sees. Each result is a list of ``{"label": coarse class name, "score": p}``,
best first.

>>> from transformers import pipeline  # doctest: +SKIP
>>> classify = pipeline("video-classification", model="runs/set1")  # doctest: +SKIP
>>> classify("clip.mp4", top_k=2)  # doctest: +SKIP
[{'label': 'falling', 'score': 0.61}, {'label': 'rising', 'score': 0.2}]
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import torch
from transformers import AutoModelForVideoClassification, Pipeline, XCLIPModel
from transformers.pipelines import PIPELINE_REGISTRY
from transformers.pipelines.video_classification import VideoClassificationPipeline

from mt_models.models.backbones import XCLIPBackbone, read_preprocessor_spec
from mt_models.models.classifier import DisentangledConfig, DisentangledVideoClassifier
from mt_models.models.open_vocab import OpenVocabularyClassifier
from mt_models.models.preprocess import InputSpec, preprocess

__all__ = ["TASK", "MotionVideoClassificationPipeline", "fetch_video", "register_pipeline"]

TASK = "video-classification"


def _is_ours(model: Any) -> bool:
    return isinstance(model, (DisentangledVideoClassifier, XCLIPModel))


class MotionVideoClassificationPipeline(Pipeline):
    """Coarse-class video classification with a disentangled classifier or X-CLIP prompts.

    Call it on a video (a path to a file, bytes, or a ``{"path"|"bytes": ...}`` dict as ``datasets.Video`` gives) or
    a list of them. Options (at construction or per call):

    - ``top_k`` (default 5): how many classes to return (at most the number of classes);
    - ``candidate_labels``: the class names X-CLIP chooses among (required for X-CLIP, refused otherwise);
    - ``prompt_template``: X-CLIP's prompt, one ``{}`` for the class name (default ``"a video of {}."``).
    """

    _load_processor = False
    _load_image_processor = None  # as transformers' video pipeline: the models it is handed need theirs
    _load_video_processor = None
    _load_feature_extractor = False
    _load_tokenizer = False

    def __new__(cls, model: Any = None, *args: Any, **kwargs: Any) -> Pipeline:
        if model is not None and not _is_ours(model):
            return VideoClassificationPipeline(model, *args, **kwargs)  # any other model: transformers' pipeline
        return super().__new__(cls)

    def __init__(self, model: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(model, *args, **kwargs)
        self._open_vocabulary: OpenVocabularyClassifier | None = None
        if isinstance(self.model, XCLIPModel):
            from transformers import AutoTokenizer

            name = self.model.name_or_path
            tokenizer = self.tokenizer or AutoTokenizer.from_pretrained(name)
            spec = read_preprocessor_spec(name, XCLIPBackbone.default_spec(self.model.config))
            self._open_vocabulary = OpenVocabularyClassifier(self.model, tokenizer, spec)

    @property
    def input_spec(self) -> InputSpec:
        """Frames, crop and normalisation the model takes (from its config)."""
        return self._open_vocabulary.input_spec if self._open_vocabulary else self.model.input_spec

    def _sanitize_parameters(
        self,
        top_k: int | None = None,
        candidate_labels: Sequence[str] | None = None,
        prompt_template: str | None = None,
    ) -> tuple[dict, dict, dict]:
        forward: dict[str, Any] = {}
        postprocess: dict[str, Any] = {"top_k": top_k} if top_k is not None else {}
        if candidate_labels is not None:
            if self._open_vocabulary is None:
                raise ValueError(
                    f"candidate_labels is for X-CLIP prompt models; {type(self.model).__name__} has its own classes: "
                    f"{list(self.model.config.coarse_labels)}"
                )
            if isinstance(candidate_labels, str):
                raise ValueError(f"candidate_labels must be a list of class names, e.g. [{candidate_labels!r}]")
            forward["candidate_labels"] = postprocess["candidate_labels"] = list(candidate_labels)
        if prompt_template is not None:
            forward["prompt_template"] = prompt_template
        return {}, forward, postprocess

    def __call__(self, inputs: Any, **kwargs: Any) -> Any:
        if isinstance(inputs, (list, tuple)) and not inputs:
            return []  # nothing to classify: no answers (transformers would fail on indexing the first input)
        return super().__call__(inputs, **kwargs)

    def preprocess(self, video: Any) -> dict[str, Any]:
        from mt_datasets import read_clip

        if isinstance(video, dict):
            video = video.get("path") if video.get("bytes") is None else video["bytes"]
        if video is None or (isinstance(video, (str, bytes)) and not video.strip()):
            raise ValueError(
                f"no video given ({video!r}): pass a file path, an http(s) URL, the video's bytes, or a list of them"
            )
        if isinstance(video, str) and video.startswith(("http://", "https://")):
            video = fetch_video(video)
        spec = self.input_spec
        clip = read_clip(video, num_frames=spec.num_frames)
        return {"pixel_values": preprocess(clip, spec, dtype=self.dtype or torch.float32).unsqueeze(0)}

    def _forward(
        self,
        model_inputs: dict[str, Any],
        candidate_labels: list[str] | None = None,
        prompt_template: str | None = None,
    ) -> dict[str, Any]:
        pixel_values = model_inputs["pixel_values"]
        if self._open_vocabulary is None:
            return {"logits": self.model(pixel_values).coarse_logits}
        if not candidate_labels:
            raise ValueError(
                'X-CLIP classifies among class names you give: pass candidate_labels=["falling", "rising", ...]'
            )
        if prompt_template is not None:
            self._open_vocabulary.prompt_template = prompt_template
            self._open_vocabulary._prompt_cache.clear()
        return {"logits": self._open_vocabulary(pixel_values, candidate_labels)}

    def get_iterator(
        self,
        inputs: Any,
        num_workers: int,
        batch_size: int,
        preprocess_params: dict,
        forward_params: dict,
        postprocess_params: dict,
    ) -> Any:
        """Batches of clips stacked as they are (all of the model's size); decoding runs in ``num_workers``."""
        from collections.abc import Sized

        from torch.utils.data import DataLoader
        from transformers.pipelines.pt_utils import PipelineDataset, PipelineIterator

        # transformers' default collation pads with a tokenizer's or feature extractor's settings; ours has neither.
        source = PipelineDataset if isinstance(inputs, Sized) else PipelineIterator
        dataset = source(inputs, self.preprocess, preprocess_params)
        loader = DataLoader(dataset, num_workers=num_workers, batch_size=batch_size, collate_fn=_stack_clips)
        outputs = PipelineIterator(loader, self.forward, forward_params, loader_batch_size=batch_size)
        return PipelineIterator(outputs, self.postprocess, postprocess_params)

    def postprocess(
        self, model_outputs: dict[str, Any], top_k: int = 5, candidate_labels: list[str] | None = None
    ) -> list[dict[str, Any]]:
        # Only tensors in the model outputs: the pipeline's batching splits every value of them per video.
        labels = candidate_labels if self._open_vocabulary else list(self.model.config.coarse_labels)
        probabilities = model_outputs["logits"][0].float().softmax(-1)
        scores, ids = probabilities.topk(min(top_k, len(labels)))
        return [{"label": labels[i], "score": s} for s, i in zip(scores.tolist(), ids.tolist(), strict=True)]


def fetch_video(url: str, *, timeout: float = 30.0) -> bytes:
    """The bytes of a video at an http(s) URL, as transformers' video pipeline fetches one (``httpx``, following
    redirects); ``ConnectionError`` with one line when it cannot be fetched (offline, unreachable, HTTP error)."""
    import httpx

    try:
        response = httpx.get(url, follow_redirects=True, timeout=timeout)
        response.raise_for_status()
    except httpx.HTTPStatusError as error:
        raise ConnectionError(f"cannot fetch video {url}: HTTP {error.response.status_code}") from None
    except httpx.HTTPError as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        raise ConnectionError(f"cannot fetch video {url}: {reason} (offline, or the server is unreachable?)") from None
    return response.content


def _stack_clips(items: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    return {"pixel_values": torch.cat([item["pixel_values"] for item in items])}


def register_pipeline() -> None:
    """Make ``pipeline("video-classification", ...)`` build our models (idempotent; run by :mod:`mt_models.models`)."""
    if DisentangledConfig not in AutoModelForVideoClassification._model_mapping._extra_content:
        AutoModelForVideoClassification.register(DisentangledConfig, DisentangledVideoClassifier)
    current = PIPELINE_REGISTRY.supported_tasks[TASK]
    if current["impl"] is MotionVideoClassificationPipeline:
        return
    # transformers logs a warning when a task is registered again; ours keeps its defaults and hands them on.
    base_logger = logging.getLogger("transformers.pipelines.base")
    level = base_logger.level
    base_logger.setLevel(logging.ERROR)
    try:
        PIPELINE_REGISTRY.register_pipeline(
            TASK,
            pipeline_class=MotionVideoClassificationPipeline,
            pt_model=current["pt"],
            default=current.get("default"),
            type=current.get("type"),
        )
    finally:
        base_logger.setLevel(level)
