"""A registry of transformers video backbones that give pooled clip features.

Every backbone takes ``pixel_values`` of shape ``(batch, frames, 3, height, width)`` (normalised as its
:class:`~mt_models.models.preprocess.InputSpec` says) and returns ``(batch, feature_dim)`` clip features. Adding a
backbone is one decorated class; :func:`create_backbone` is the one factory:

>>> backbone = create_backbone("videomae", tiny=True)
>>> backbone.input_spec.num_frames, backbone.feature_dim
(8, 32)
>>> list_backbones("v*")
['videomae', 'vivit', 'vjepa2']

:meth:`VideoBackbone.temporal_features` gives the features per time step before the temporal pooling,
``(batch, time, feature_dim)`` (what the two-temporal-scale heads of :mod:`mt_models.models.temporal_heads` read).

Entries without pretrained weights (the convolutional ``resnet3d`` family, trained from scratch) build from their
default configuration: ``create_backbone("resnet3d", modality="fg+diff")`` is the CPU model of ``make demo``.

A backbone keeps only the submodules it uses, under the same attribute names as in the transformers model it comes
from (so its ``state_dict`` keys are that model's keys): parameters that never receive a gradient (X-CLIP's text
tower, V-JEPA 2's predictor) would make DistributedDataParallel fail.
"""

from __future__ import annotations

import fnmatch
import json
import os
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import nn
from transformers import (
    AutoConfig,
    CLIPVisionConfig,
    CLIPVisionModelWithProjection,
    PreTrainedConfig,
    PreTrainedModel,
    TimesformerConfig,
    TimesformerModel,
    VideoMAEConfig,
    VideoMAEModel,
    VivitConfig,
    VivitModel,
    VJEPA2Config,
    VJEPA2Model,
    XCLIPConfig,
    XCLIPModel,
)
from transformers.utils import cached_file

from mt_datasets.errors import did_you_mean
from mt_models.models.preprocess import CLIP_MEAN, CLIP_STD, IMAGENET_MEAN, IMAGENET_STD, InputSpec, modality_channels
from mt_models.models.resnet3d import PRESETS, ResNet3DConfig, ResNet3DModel

__all__ = [
    "VideoBackbone",
    "register_backbone",
    "create_backbone",
    "list_backbones",
    "backbone_class",
    "has_temporal_features",
    "save_tiny_checkpoint",
    "read_preprocessor_spec",
]

_REGISTRY: dict[str, type[VideoBackbone]] = {}

# transformers' own file names for preprocessing settings, newest first.
_PREPROCESSOR_FILES = ("video_preprocessor_config.json", "preprocessor_config.json")


class VideoBackbone(nn.Module):
    """Base class: a transformers video model reduced to ``pixel_values -> (batch, feature_dim)`` features.

    Subclasses set the class attributes and implement :meth:`_adopt` (take the used submodules from a full
    transformers model), :meth:`forward`, :meth:`feature_dim_of` and :meth:`geometry_of`.

    Attributes:
        config: the transformers config (what :func:`create_backbone` needs to rebuild it).
        input_spec: frames, crop size and normalisation the backbone expects.
    """

    name: ClassVar[str]
    model_types: ClassVar[tuple[str, ...]]  # transformers `model_type`s this entry loads
    model_class: ClassVar[type[PreTrainedModel]]
    config_class: ClassVar[type[PreTrainedConfig]]
    # The Hub checkpoint a bare name loads; None for entries without pretrained weights, built from `default_config`.
    default_checkpoint: ClassVar[str | None]
    default_config: ClassVar[dict[str, Any]] = {}
    # The config field that sets the input channels (3 per input modality), or None when it cannot change.
    channels_field: ClassVar[str | None] = "num_channels"
    licence: ClassVar[str]
    image_mean: ClassVar[tuple[float, float, float]] = IMAGENET_MEAN
    image_std: ClassVar[tuple[float, float, float]] = IMAGENET_STD
    # Whether the model's position embeddings fix the clip length (then `num_frames` cannot be overridden).
    fixed_num_frames: ClassVar[bool] = True
    tiny_config: ClassVar[dict[str, Any]]

    def __init__(self, config: PreTrainedConfig, input_spec: InputSpec, model: PreTrainedModel | None = None):
        super().__init__()
        channels = self.channels_of(config)
        if channels != input_spec.channels:
            raise ValueError(
                f"{self.name} backbone takes {channels}-channel input, but input modality {input_spec.modality!r} "
                f"makes {input_spec.channels} channels: build the backbone with that modality "
                f"(create_backbone(..., modality={input_spec.modality!r}) from a config), or use a modality of "
                f"{channels // 3} component(s)"
            )
        self.config = config
        self.input_spec = input_spec
        self._adopt(model if model is not None else self.model_class(config))

    @classmethod
    def channels_of(cls, config: PreTrainedConfig) -> int:
        """Input channels the model's config declares (3 when it has no such field)."""
        return int(getattr(config, cls.channels_field, 3)) if cls.channels_field else 3

    def _adopt(self, model: PreTrainedModel) -> None:
        raise NotImplementedError

    @classmethod
    def feature_dim_of(cls, config: PreTrainedConfig) -> int:
        raise NotImplementedError

    @classmethod
    def geometry_of(cls, config: PreTrainedConfig) -> tuple[int, tuple[int, int]]:
        """``(num_frames, (crop_h, crop_w))`` read from the config."""
        raise NotImplementedError

    @property
    def feature_dim(self) -> int:
        """Size of the pooled clip features."""
        return self.feature_dim_of(self.config)

    @classmethod
    def default_spec(cls, config: PreTrainedConfig) -> InputSpec:
        """The input spec from the config alone (used when there is no preprocessor config)."""
        num_frames, crop = cls.geometry_of(config)
        return InputSpec(num_frames, crop, max(crop), cls.image_mean, cls.image_std)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def temporal_features(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """Features per time step before the temporal pooling, ``(batch, time, feature_dim)``.

        ``time`` is the backbone's own temporal resolution (frames over the temporal stride or tubelet size). Where
        the clip feature is the mean over time of these (``resnet3d``, ``videomae``, ``vjepa2``, ``xclip``, ``clip``),
        their mean over time equals :meth:`forward` up to the order of the float sums; the CLS-token encoders
        (``timesformer``, ``vivit``) give the mean of each time step's patch tokens. An entry without them raises
        ``NotImplementedError`` (:func:`has_temporal_features`).
        """
        raise NotImplementedError(f"the {self.name} backbone does not expose per-time features")

    def extra_repr(self) -> str:
        return f"name={self.name!r}, input_spec={self.input_spec}"


def register_backbone(cls: type[VideoBackbone]) -> type[VideoBackbone]:
    """Class decorator that adds a backbone to the registry under ``cls.name``."""
    if cls.name in _REGISTRY:
        raise ValueError(f"backbone {cls.name!r} is already registered ({_REGISTRY[cls.name].__qualname__})")
    _REGISTRY[cls.name] = cls
    return cls


def _size_pair(value: int | list | tuple) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def _check_clip_shape(pixel_values: torch.Tensor, channels: int = 3) -> None:
    if pixel_values.ndim != 5 or pixel_values.shape[2] != channels:
        raise ValueError(
            f"pixel_values must be (batch, frames, {channels}, height, width), got {tuple(pixel_values.shape)}"
        )


def has_temporal_features(backbone: VideoBackbone) -> bool:
    """Whether ``backbone`` implements :meth:`VideoBackbone.temporal_features`."""
    return type(backbone).temporal_features is not VideoBackbone.temporal_features


def _mean_per_time_step(tokens: torch.Tensor, steps: int, order: str = "time") -> torch.Tensor:
    """``(batch, steps, dim)``: the mean of each time step's patch tokens (``tokens`` without a CLS token)."""
    batch, _, dim = tokens.shape
    if order == "time":
        return tokens.reshape(batch, steps, -1, dim).mean(dim=2)
    return tokens.reshape(batch, -1, steps, dim).mean(dim=1)


class _TokenEncoderBackbone(VideoBackbone):
    """The transformers video encoders read alike (VideoMAE, TimeSformer, ViViT): ``hidden_size`` features, geometry
    from ``num_frames`` and ``image_size``, and the clip feature pooled from the last hidden state: the CLS token
    (``pooling = "cls"``) or the mean of the tokens (``"mean"``)."""

    pooling = "cls"
    # Order of the patch tokens: "time" = time steps outermost (a Conv3d tubelet embedding flattened), "space" =
    # patches outermost and frames within each (TimeSformer's divided space-time layout).
    token_order = "time"

    @classmethod
    def feature_dim_of(cls, config: PreTrainedConfig) -> int:
        return config.hidden_size

    @classmethod
    def geometry_of(cls, config: PreTrainedConfig) -> tuple[int, tuple[int, int]]:
        return config.num_frames, _size_pair(config.image_size)

    def _tubelet_frames(self) -> int:
        """Frames per temporal token (1 for per-frame patch embeddings)."""
        tubelet = getattr(self.config, "tubelet_size", 1)
        return int(tubelet[0] if isinstance(tubelet, (list, tuple)) else tubelet)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        _check_clip_shape(pixel_values, self.input_spec.channels)
        tokens = self.model(pixel_values).last_hidden_state
        return tokens.mean(dim=1) if self.pooling == "mean" else tokens[:, 0]

    def temporal_features(self, pixel_values: torch.Tensor) -> torch.Tensor:
        _check_clip_shape(pixel_values, self.input_spec.channels)
        tokens = self.model(pixel_values).last_hidden_state
        patches = tokens[:, 1:] if self.pooling == "cls" else tokens
        return _mean_per_time_step(patches, pixel_values.shape[1] // self._tubelet_frames(), self.token_order)


@register_backbone
class VideoMAEBackbone(_TokenEncoderBackbone):
    """VideoMAE (Tong et al. 2022): mean of the encoder's tokens."""

    name = "videomae"
    model_types = ("videomae",)
    model_class = VideoMAEModel
    config_class = VideoMAEConfig
    default_checkpoint = "MCG-NJU/videomae-base-finetuned-kinetics"
    licence = "cc-by-nc-4.0"
    pooling = "mean"
    tiny_config = dict(
        image_size=32, patch_size=8, num_frames=8, tubelet_size=2, hidden_size=32, num_hidden_layers=2,
        num_attention_heads=2, intermediate_size=64, use_mean_pooling=True,
    )  # fmt: skip

    def _adopt(self, model: VideoMAEModel) -> None:
        self.model = model


@register_backbone
class TimesformerBackbone(_TokenEncoderBackbone):
    """TimeSformer (Bertasius et al. 2021): the final CLS token."""

    name = "timesformer"
    model_types = ("timesformer",)
    model_class = TimesformerModel
    config_class = TimesformerConfig
    default_checkpoint = "facebook/timesformer-base-finetuned-k400"
    licence = "cc-by-nc-4.0"
    token_order = "space"
    tiny_config = dict(
        image_size=32, patch_size=8, num_frames=8, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64,
    )  # fmt: skip

    def _adopt(self, model: TimesformerModel) -> None:
        self.model = model


@register_backbone
class VivitBackbone(_TokenEncoderBackbone):
    """ViViT (Arnab et al. 2021), factorised tubelet embedding: the final CLS token."""

    name = "vivit"
    model_types = ("vivit",)
    model_class = VivitModel
    config_class = VivitConfig
    default_checkpoint = "google/vivit-b-16x2-kinetics400"
    licence = "mit"
    image_mean = (0.5, 0.5, 0.5)
    image_std = (0.5, 0.5, 0.5)
    tiny_config = dict(
        image_size=32, num_frames=8, tubelet_size=[2, 8, 8], hidden_size=32, num_hidden_layers=2,
        num_attention_heads=2, intermediate_size=64,
    )  # fmt: skip

    def __init__(self, config: VivitConfig, input_spec: InputSpec, model: VivitModel | None = None):
        # The pooler is a head ViViT's own classifier does not use either; leaving it out keeps every parameter used.
        super().__init__(
            config, input_spec, model if model is not None else VivitModel(config, add_pooling_layer=False)
        )

    def _adopt(self, model: VivitModel) -> None:
        model.pooler = None
        self.model = model


@register_backbone
class VJEPA2Backbone(VideoBackbone):
    """V-JEPA 2 (Assran et al. 2025): mean of the encoder's tokens (the predictor is pretraining-only)."""

    name = "vjepa2"
    model_types = ("vjepa2",)
    model_class = VJEPA2Model
    config_class = VJEPA2Config
    default_checkpoint = "facebook/vjepa2-vitl-fpc16-256-ssv2"
    licence = "mit"
    channels_field = "in_chans"
    fixed_num_frames = False  # rotary position embeddings: any clip length
    tiny_config = dict(
        crop_size=32, patch_size=8, frames_per_clip=8, tubelet_size=2, hidden_size=32, num_hidden_layers=2,
        num_attention_heads=2, mlp_ratio=2.0, num_pooler_layers=1, pred_hidden_size=32, pred_num_attention_heads=2,
        pred_num_hidden_layers=1, pred_num_mask_tokens=2,
    )  # fmt: skip

    def _adopt(self, model: VJEPA2Model) -> None:
        self.encoder = model.encoder

    @classmethod
    def feature_dim_of(cls, config: VJEPA2Config) -> int:
        return config.hidden_size

    @classmethod
    def geometry_of(cls, config: VJEPA2Config) -> tuple[int, tuple[int, int]]:
        return config.frames_per_clip, (config.crop_size, config.crop_size)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        _check_clip_shape(pixel_values, self.input_spec.channels)
        return self.encoder(pixel_values_videos=pixel_values).last_hidden_state.mean(dim=1)

    def temporal_features(self, pixel_values: torch.Tensor) -> torch.Tensor:
        _check_clip_shape(pixel_values, self.input_spec.channels)
        tokens = self.encoder(pixel_values_videos=pixel_values).last_hidden_state
        return _mean_per_time_step(tokens, pixel_values.shape[1] // self.config.tubelet_size)


@register_backbone
class XCLIPBackbone(VideoBackbone):
    """X-CLIP's video encoder (Ni et al. 2022): per-frame CLIP ViT, projection, multi-frame integration transformer."""

    name = "xclip"
    model_types = ("xclip",)
    model_class = XCLIPModel
    config_class = XCLIPConfig
    default_checkpoint = "microsoft/xclip-base-patch32"
    licence = "mit"
    channels_field = None  # nested in vision_config, and its text tower is paired with RGB frames
    image_mean, image_std = CLIP_MEAN, CLIP_STD
    tiny_config = dict(
        projection_dim=32, prompt_layers=1, prompt_num_attention_heads=2,
        text_config=dict(
            vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
            max_position_embeddings=16, pad_token_id=0, bos_token_id=1, eos_token_id=2,
        ),
        vision_config=dict(
            hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2, mit_hidden_size=32,
            mit_intermediate_size=64, mit_num_hidden_layers=1, mit_num_attention_heads=2, image_size=32, patch_size=8,
            num_frames=8,
        ),
    )  # fmt: skip

    def _adopt(self, model: XCLIPModel) -> None:
        self.vision_model, self.visual_projection, self.mit = model.vision_model, model.visual_projection, model.mit

    @classmethod
    def feature_dim_of(cls, config: XCLIPConfig) -> int:
        return config.projection_dim

    @classmethod
    def geometry_of(cls, config: XCLIPConfig) -> tuple[int, tuple[int, int]]:
        return config.vision_config.num_frames, _size_pair(config.vision_config.image_size)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return self._integrated(pixel_values).pooler_output

    def temporal_features(self, pixel_values: torch.Tensor) -> torch.Tensor:
        # The integration transformer's per-frame outputs, whose mean over frames is its pooler output.
        return self._integrated(pixel_values).last_hidden_state

    def _integrated(self, pixel_values: torch.Tensor) -> Any:
        _check_clip_shape(pixel_values, self.input_spec.channels)
        batch, frames = pixel_values.shape[:2]
        frame_embeds = self.visual_projection(self.vision_model(pixel_values.flatten(0, 1)).pooler_output)
        return self.mit(frame_embeds.view(batch, frames, -1))


@register_backbone
class CLIPFramesBackbone(VideoBackbone):
    """CLIP's image encoder on every frame, then the temporal mean (the ActionCLIP / ViFi-CLIP recipe)."""

    name = "clip"
    model_types = ("clip", "clip_vision_model")
    model_class = CLIPVisionModelWithProjection
    config_class = CLIPVisionConfig
    default_checkpoint = "openai/clip-vit-base-patch32"
    licence = "mit"
    image_mean, image_std = CLIP_MEAN, CLIP_STD
    fixed_num_frames = False
    tiny_config = dict(
        hidden_size=32, intermediate_size=64, projection_dim=32, num_hidden_layers=2, num_attention_heads=2,
        image_size=32, patch_size=8,
    )  # fmt: skip
    default_num_frames = 8  # an image model has no clip length of its own

    def _adopt(self, model: CLIPVisionModelWithProjection) -> None:
        self.vision_model, self.visual_projection = model.vision_model, model.visual_projection

    @classmethod
    def feature_dim_of(cls, config: CLIPVisionConfig) -> int:
        return config.projection_dim

    @classmethod
    def geometry_of(cls, config: CLIPVisionConfig) -> tuple[int, tuple[int, int]]:
        return cls.default_num_frames, _size_pair(config.image_size)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return self.temporal_features(pixel_values).mean(dim=1)

    def temporal_features(self, pixel_values: torch.Tensor) -> torch.Tensor:
        _check_clip_shape(pixel_values, self.input_spec.channels)
        batch, frames = pixel_values.shape[:2]
        frame_embeds = self.visual_projection(self.vision_model(pixel_values.flatten(0, 1)).pooler_output)
        return frame_embeds.view(batch, frames, -1)


@register_backbone
class ResNet3DBackbone(VideoBackbone):
    """The convolutional C2D / I3D family (:mod:`mt_models.models.resnet3d`): global average of the last stage.

    No pretrained weights: a bare name builds the entry's default configuration with random weights. ``resnet3d`` is
    the ``"cpu-small"`` preset (230k parameters, 16x32x32 clips), which learns from scratch on a CPU; ``c2d-r50`` and
    ``i3d-r50`` are the ResNet-50 video baselines of the paper, for GPUs.
    """

    name = "resnet3d"
    model_types = ("resnet3d_video",)
    model_class = ResNet3DModel
    config_class = ResNet3DConfig
    default_checkpoint = None
    licence = "apache-2.0"
    fixed_num_frames = False
    default_config = PRESETS["cpu-small"]
    tiny_config = dict(PRESETS["cpu-small"], hidden_sizes=[8, 16, 16, 16], stem_channels=8, num_frames=8)

    def _adopt(self, model: ResNet3DModel) -> None:
        self.model = model

    @classmethod
    def feature_dim_of(cls, config: ResNet3DConfig) -> int:
        return config.hidden_sizes[-1]

    @classmethod
    def geometry_of(cls, config: ResNet3DConfig) -> tuple[int, tuple[int, int]]:
        return config.num_frames, (config.image_size, config.image_size)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        _check_clip_shape(pixel_values, self.input_spec.channels)
        return self.model(pixel_values).pooler_output

    def temporal_features(self, pixel_values: torch.Tensor) -> torch.Tensor:
        # The spatial mean of the last stage at each of its time steps (frames / the network's temporal stride);
        # the clip feature (pooler_output) is the mean of the same map over time and space together.
        _check_clip_shape(pixel_values, self.input_spec.channels)
        return self.model(pixel_values).last_hidden_state.mean(dim=(3, 4)).transpose(1, 2)


@register_backbone
class C2DR50Backbone(ResNet3DBackbone):
    """C2D ResNet-50 (2D kernels in every block), 8x224x224, from scratch."""

    name = "c2d-r50"
    model_types = ()
    default_config = PRESETS["c2d-r50"]
    tiny_config = dict(
        PRESETS["c2d-r50"], stem_channels=8, hidden_sizes=[16, 16, 32, 32], depths=[1, 1, 1, 1], image_size=32
    )


@register_backbone
class I3DR50Backbone(ResNet3DBackbone):
    """I3D ResNet-50 (inflated 3D kernels), 8x224x224, from scratch."""

    name = "i3d-r50"
    model_types = ()
    default_config = PRESETS["i3d-r50"]
    tiny_config = dict(
        PRESETS["i3d-r50"], stem_channels=8, hidden_sizes=[16, 16, 32, 32], depths=[1, 1, 1, 1], image_size=32
    )


def list_backbones(filter: str = "*") -> list[str]:
    """Registered backbone names matching a shell-style ``filter`` (e.g. ``"v*"``), sorted."""
    return sorted(name for name in _REGISTRY if fnmatch.fnmatch(name, filter))


def backbone_class(name: str) -> type[VideoBackbone]:
    """The registered class of a backbone name; ``KeyError`` with a "did you mean" for a typo."""
    if name not in _REGISTRY:
        raise KeyError(did_you_mean(name, list_backbones(), "backbone"))
    return _REGISTRY[name]


def _refuse_a_missing_directory(name: str) -> None:
    """A path-looking ``name`` (``./x``, ``/x``, ``~/x``, ``a/b/c``) that does not exist fails at once, in one line,
    instead of being tried as a Hub id (with retries)."""
    from mt_models.models.cards import is_hub_id

    if not Path(name).expanduser().exists() and not is_hub_id(name):
        raise FileNotFoundError(f"--model {name}: no such directory (and not a Hub id owner/name)")


def _class_of_model_type(model_type: str, source: str) -> type[VideoBackbone]:
    for cls in _REGISTRY.values():
        if model_type in cls.model_types:
            return cls
    known = sorted(t for cls in _REGISTRY.values() for t in cls.model_types)
    raise ValueError(f"{source!r} is a {model_type!r} checkpoint; supported model types are {known}")


def read_preprocessor_spec(name_or_path: str | os.PathLike, default: InputSpec, **hub_kwargs: Any) -> InputSpec:
    """Update ``default`` with the mean/std/size/crop of a checkpoint's (video) preprocessor config, if it has one."""
    for filename in _PREPROCESSOR_FILES:
        resolved = cached_file(
            str(name_or_path),
            filename,
            _raise_exceptions_for_missing_entries=False,
            _raise_exceptions_for_connection_errors=False,
            **hub_kwargs,
        )
        if resolved is not None:
            break
    else:
        return default
    values = json.loads(Path(resolved).read_text())
    changes: dict[str, Any] = {}
    if "image_mean" in values:
        changes["image_mean"] = tuple(values["image_mean"])
    if "image_std" in values:
        changes["image_std"] = tuple(values["image_std"])
    if "modality" in values:
        changes["modality"] = values["modality"]
    crop = values.get("crop_size")
    if isinstance(crop, dict) and "height" in crop:
        changes["crop_size"] = (crop["height"], crop["width"])
    elif isinstance(crop, int):
        changes["crop_size"] = (crop, crop)
    size = values.get("size")
    if isinstance(size, dict) and "shortest_edge" in size:
        changes["resize_shortest_edge"] = size["shortest_edge"]
    elif isinstance(size, dict) and "height" in size:
        changes["resize_shortest_edge"] = min(size["height"], size["width"])
    elif isinstance(size, int):
        changes["resize_shortest_edge"] = size
    crop_size = changes.get("crop_size", default.crop_size)
    # Checkpoints without a crop (resize straight to the input size) resize to at least the model's input.
    changes["resize_shortest_edge"] = max(changes.get("resize_shortest_edge", 0), *crop_size)
    return default.replace(**changes)


def _resolve_num_frames(cls: type[VideoBackbone], spec: InputSpec, num_frames: int | None) -> InputSpec:
    if num_frames is None or num_frames == spec.num_frames:
        return spec
    if cls.fixed_num_frames:
        raise ValueError(
            f"{cls.name} checkpoints are trained for num_frames={spec.num_frames} (their position embeddings fix it); "
            f"got num_frames={num_frames}. Leave num_frames unset, or build from a config with that num_frames."
        )
    return spec.replace(num_frames=num_frames)


def _config_values(cls: type[VideoBackbone], base: dict[str, Any], modality: str | None) -> dict[str, Any]:
    """``base`` with the input channels set for ``modality`` (when the entry's config has a channels field)."""
    if modality is None:
        return base
    channels = modality_channels(modality)
    if cls.channels_field is None:
        if channels != 3:
            raise ValueError(f"{cls.name} takes 3-channel input only; modality {modality!r} makes {channels}")
        return base
    return {cls.channels_field: channels, **base}


def create_backbone(
    name_or_path: str | os.PathLike,
    *,
    config: PreTrainedConfig | dict[str, Any] | None = None,
    tiny: bool = False,
    num_frames: int | None = None,
    input_spec: InputSpec | dict[str, Any] | None = None,
    modality: str | None = None,
    **hub_kwargs: Any,
) -> VideoBackbone:
    """Create a backbone: pretrained from a Hub id or local directory, or randomly initialised from a config.

    Args:
        name_or_path: a registered name (see :func:`list_backbones`), a Hub model id or a local checkpoint directory.
            A registered name loads its ``default_checkpoint`` unless ``config`` or ``tiny`` is given; entries without
            one (``resnet3d``, ``c2d-r50``, ``i3d-r50``) build their ``default_config`` with random weights.
        config: build from this config (a transformers config, or a dict of its fields) with random weights.
        tiny: build from the entry's tiny preset (32x32, 8 frames, 2 layers) updated with ``config``; for tests.
        num_frames: clip length, for backbones whose position embeddings allow another than the config's.
        input_spec: override the input spec entirely (e.g. the one stored with a trained classifier).
        modality: the input modality (``"rgb"``, ``"fg"``, ``"diff"``, ``"fg+diff"``, ...; see
            :mod:`mt_models.models.preprocess`). Built from a config, the input channels follow it; a pretrained
            checkpoint keeps its channels, so a stacked modality on a 3-channel checkpoint is refused with a clear
            error.
        **hub_kwargs: passed to ``from_pretrained`` (``revision``, ``cache_dir``, ``token``, ...).

    Returns:
        The :class:`VideoBackbone`, in train mode as ``nn.Module``s are.
    """
    name = str(name_or_path)
    model = None
    entry = _REGISTRY.get(name)
    if entry is not None and (config is not None or tiny or entry.default_checkpoint is None):
        cls = entry
        if isinstance(config, PreTrainedConfig):
            model_config = config
        else:
            base = {**(cls.tiny_config if tiny else cls.default_config), **(config or {})}
            model_config = cls.config_class(**_config_values(cls, base, modality))
        spec = cls.default_spec(model_config)
        if num_frames is not None and cls.fixed_num_frames:
            raise ValueError(f"{cls.name}: set num_frames in the config (its position embeddings fix the clip length)")
    else:
        if entry is not None:
            name = entry.default_checkpoint
        elif not Path(name).is_dir() and "/" not in name:
            raise KeyError(
                did_you_mean(name, list_backbones(), "backbone")
                + " A Hub id (owner/name) or an existing local directory also works."
            )
        else:
            _refuse_a_missing_directory(name)
        cls = _class_of_model_type(AutoConfig.from_pretrained(name, **hub_kwargs).model_type, name)
        model = cls.model_class.from_pretrained(name, **hub_kwargs)
        model_config = model.config
        spec = read_preprocessor_spec(name, cls.default_spec(model_config), **hub_kwargs)
    if input_spec is not None:
        spec = input_spec if isinstance(input_spec, InputSpec) else InputSpec.from_dict(input_spec)
    if modality is not None:
        spec = spec.replace(modality=modality)
    return cls(model_config, _resolve_num_frames(cls, spec, num_frames), model=model)


def save_tiny_checkpoint(
    name: str, out_dir: str | os.PathLike, *, seed: int = 0, modality: str = "rgb", **config: Any
) -> Path:
    """Write a randomly initialised tiny checkpoint of a backbone kind, in the transformers layout.

    The directory holds the full transformers model (``config.json``, ``model.safetensors``; X-CLIP with its text
    tower) and a ``preprocessor_config.json`` with the input spec, so ``create_backbone(out_dir)`` and
    ``from_pretrained`` load it like a Hub checkpoint. Tests, benchmarks and the offline demo use these.

    Args:
        name: registered backbone name.
        out_dir: directory to write (created).
        seed: seed of the random initialisation.
        modality: input modality, stored in ``preprocessor_config.json`` (the input channels follow it).
        **config: fields updating the tiny preset (e.g. ``image_size=64``).
    """
    cls = backbone_class(name)
    model_config = cls.config_class(**_config_values(cls, {**cls.tiny_config, **config}, modality))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = cls.model_class(model_config)
    out = Path(out_dir)
    model.save_pretrained(out)
    spec = cls.default_spec(model_config).replace(modality=modality)
    preprocessor = {
        "image_mean": list(spec.image_mean),
        "image_std": list(spec.image_std),
        "size": {"shortest_edge": spec.resize_shortest_edge},
        "crop_size": {"height": spec.crop_size[0], "width": spec.crop_size[1]},
        "num_frames": spec.num_frames,
        "modality": spec.modality,
    }
    (out / "preprocessor_config.json").write_text(json.dumps(preprocessor, indent=2) + "\n")
    return out
