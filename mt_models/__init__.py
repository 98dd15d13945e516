"""transformers video models for motion transferability: backbones, the disentangled classifier, X-CLIP prompts.

Importing this package registers :class:`DisentangledConfig` / :class:`DisentangledVideoClassifier` with
``AutoConfig`` / ``AutoModel`` / ``AutoModelForVideoClassification``, and makes ``pipeline("video-classification",
model=...)`` work on our classifiers and X-CLIP prompt models (:mod:`mt_models.pipeline`).
"""

from mt_models.backbones import (
    VideoBackbone,
    backbone_class,
    create_backbone,
    list_backbones,
    register_backbone,
    save_tiny_checkpoint,
)
from mt_models.classifier import DisentangledClassifierOutput, DisentangledConfig, DisentangledVideoClassifier
from mt_models.pipeline import MotionVideoClassificationPipeline, register_pipeline
from mt_models.preprocess import InputSpec, normalize, preprocess, resize_and_crop

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
