"""What a model is: the backbones, the classifier and its heads, X-CLIP prompts, preprocessing, the pipeline, cards.

- ``backbones``: the registry of transformers video backbones (``@register_backbone``, ``create_backbone``).
- ``resnet3d``: a C2D / I3D-family 3D CNN as a transformers model.
- ``classifier``: the disentangled coarse/fine classifier (a ``PreTrainedModel``); ``heads``: the head designs a
  config chooses; ``labels``: the label conventions of data and models (``IGNORE_INDEX``).
- ``open_vocab``: X-CLIP prompts; ``preprocess``: resize, crop and the input modality; ``pipeline``: transformers'
  ``pipeline("video-classification", ...)`` for these models; ``cards``: the model cards.

Importing this package registers the classifier with transformers' Auto classes and its pipeline (what ``import
mt_models`` promises, see :mod:`mt_models`).
"""

from mt_models.models.backbones import (
    VideoBackbone,
    backbone_class,
    create_backbone,
    list_backbones,
    register_backbone,
    save_tiny_checkpoint,
)
from mt_models.models.classifier import DisentangledClassifierOutput, DisentangledConfig, DisentangledVideoClassifier
from mt_models.models.pipeline import MotionVideoClassificationPipeline, register_pipeline
from mt_models.models.preprocess import InputSpec, normalize, preprocess, resize_and_crop

register_pipeline()

__all__ = [
    "DisentangledClassifierOutput",
    "DisentangledConfig",
    "DisentangledVideoClassifier",
    "InputSpec",
    "MotionVideoClassificationPipeline",
    "VideoBackbone",
    "backbone_class",
    "create_backbone",
    "list_backbones",
    "normalize",
    "preprocess",
    "register_backbone",
    "resize_and_crop",
    "save_tiny_checkpoint",
]
