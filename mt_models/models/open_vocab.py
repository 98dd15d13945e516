"""Open-vocabulary video classification with X-CLIP: class names become text prompts.

The coarse task scores each video against prompts of every coarse name. The fine task is base-to-novel: a video of
the known split is classified among the fine names of the training set X, a video of the unknown split zero-shot
among the fine names of the held-out set Y.

>>> template = "a video of {}."
>>> make_prompts(["punching bag", "punching person"], template)
['a video of punching bag.', 'a video of punching person.']
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn
from transformers import AutoTokenizer, PreTrainedTokenizerBase, XCLIPModel

from mt_models.models.backbones import XCLIPBackbone, read_preprocessor_spec
from mt_models.models.preprocess import InputSpec
from mt_models.options import DEFAULT_PROMPT_TEMPLATE  # its home is light: the scripts' --help shows it

__all__ = ["DEFAULT_PROMPT_TEMPLATE", "OpenVocabularyClassifier", "make_prompts"]


def make_prompts(class_names: Sequence[str], template: str = DEFAULT_PROMPT_TEMPLATE) -> list[str]:
    """Fill ``template`` (one ``{}`` slot) with each class name."""
    if template.count("{}") != 1:
        raise ValueError(f"the prompt template needs exactly one '{{}}' for the class name, got {template!r}")
    return [template.format(name) for name in class_names]


class OpenVocabularyClassifier(nn.Module):
    """X-CLIP scoring videos against class-name prompts.

    Args:
        model: an ``XCLIPModel``.
        tokenizer: its tokenizer.
        input_spec: frames, crop and normalisation of the video input.
        prompt_template: a string with one ``{}`` for the class name.
    """

    def __init__(
        self,
        model: XCLIPModel,
        tokenizer: PreTrainedTokenizerBase,
        input_spec: InputSpec,
        prompt_template: str = DEFAULT_PROMPT_TEMPLATE,
    ):
        super().__init__()
        make_prompts(["x"], prompt_template)  # validates the template now, not at the first batch
        self.model = model
        self.tokenizer = tokenizer
        self.input_spec = input_spec
        self.prompt_template = prompt_template
        self._prompt_cache: dict[tuple[str, ...], dict[str, torch.Tensor]] = {}

    @classmethod
    def from_pretrained(
        cls, name_or_path: str | os.PathLike, *, prompt_template: str = DEFAULT_PROMPT_TEMPLATE, **hub_kwargs: Any
    ) -> OpenVocabularyClassifier:
        """Load an X-CLIP checkpoint (Hub id or directory) with its tokenizer and preprocessing settings."""
        model = XCLIPModel.from_pretrained(name_or_path, **hub_kwargs)
        tokenizer = AutoTokenizer.from_pretrained(name_or_path, **hub_kwargs)
        spec = read_preprocessor_spec(name_or_path, XCLIPBackbone.default_spec(model.config), **hub_kwargs)
        return cls(model.eval(), tokenizer, spec, prompt_template)

    def tokenize(self, class_names: Sequence[str]) -> dict[str, torch.Tensor]:
        """Token ids and attention mask of the prompts of ``class_names`` (cached per name list)."""
        key = tuple(class_names)
        if key not in self._prompt_cache:
            self._prompt_cache[key] = dict(
                self.tokenizer(
                    make_prompts(class_names, self.prompt_template),
                    padding=True,
                    truncation=True,
                    max_length=self.model.config.text_config.max_position_embeddings,
                    return_tensors="pt",
                )
            )
        return self._prompt_cache[key]

    def forward(self, pixel_values: torch.Tensor, class_names: Sequence[str]) -> torch.Tensor:
        """Video-to-prompt similarity logits ``(batch, len(class_names))``.

        Args:
            pixel_values: ``(batch, frames, 3, height, width)`` preprocessed clips.
            class_names: the candidate classes.
        """
        if not class_names:
            raise ValueError("class_names is empty: give the candidate class names")
        tokens = {k: v.to(pixel_values.device) for k, v in self.tokenize(class_names).items()}
        # X-CLIP conditions the text embeddings on the video (its prompt generator), so text runs with every batch.
        return self.model(pixel_values=pixel_values, **tokens).logits_per_video
