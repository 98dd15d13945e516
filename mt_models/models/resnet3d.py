"""3D convolutional video networks of the C2D / I3D family, as a transformers model trained from scratch or fine-tuned.

One configurable network covers three shapes:

- ``block_type="bottleneck"``: the ResNet-50 video baselines the paper evaluates, C2D (2D kernels in every block, the
  non-local paper's baseline, Wang et al. 2018) and I3D (inflated 3D kernels, Carreira & Zisserman 2017), in the
  block layout of the PySlowFast model zoo (temporal kernels in the first 1x1 of a bottleneck, alternating by block).
  :data:`PRESETS` ``"c2d-r50"`` and ``"i3d-r50"`` hold those configurations.
- ``block_type="basic"``: two 3x3 convolutions with a shortcut (ResNet-18/34 style).
- ``block_type="plain"``: one Conv3d + BatchNorm + ReLU per block, no shortcut (a C3D-style stack). The
  ``"cpu-small"`` preset is five such layers (12-24-48-48-96 channels, 230k parameters) on 16 frames of 32x32: it learns
  Syn-TA's coarse motions from scratch on two CPU cores in minutes, when its input shows motion (see
  :mod:`mt_models.models.preprocess`, modality ``"fg+diff"``).

The input is ``pixel_values`` ``(batch, frames, channels, height, width)`` like every video model in transformers;
the output's ``pooler_output`` is the global average of the last stage, ``(batch, hidden_sizes[-1])``. Its spatial
average at each time step (before the temporal pooling) is what
:meth:`mt_models.models.backbones.VideoBackbone.temporal_features` gives.

>>> config = ResNet3DConfig(**PRESETS["cpu-small"], num_channels=6)
>>> model = ResNet3DModel(config)
>>> model(torch.zeros(2, 16, 6, 32, 32)).pooler_output.shape
torch.Size([2, 96])
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from transformers import AutoConfig, AutoModel, PreTrainedConfig, PreTrainedModel
from transformers import initialization as init
from transformers.modeling_outputs import BaseModelOutputWithPooling

__all__ = ["PRESETS", "ResNet3DConfig", "ResNet3DModel"]

BLOCK_TYPES = ("plain", "basic", "bottleneck")

_R50 = dict(
    stem_channels=64, stem_stride=[1, 2, 2], stem_pool=True, block_type="bottleneck",
    hidden_sizes=[256, 512, 1024, 2048], depths=[3, 4, 6, 3], stage_strides=[[1, 1], [1, 2], [1, 2], [1, 2]],
    bottleneck_ratio=4, num_frames=8, image_size=224,
)  # fmt: skip

# Named configurations (fields of ResNet3DConfig). The R50 ones follow PySlowFast's C2D_8x8_R50 and I3D_8x8_R50.
PRESETS: dict[str, dict[str, Any]] = {
    "c2d-r50": {**_R50, "stem_kernel": [1, 7, 7], "temporal_kernel_sizes": [[1], [1], [1], [1]]},
    "i3d-r50": {**_R50, "stem_kernel": [5, 7, 7], "temporal_kernel_sizes": [[3], [3, 1], [3, 1], [1, 3]]},
    "cpu-small": dict(
        stem_channels=12, stem_kernel=[3, 3, 3], stem_stride=[1, 1, 1], stem_pool=False, block_type="plain",
        hidden_sizes=[24, 48, 48, 96], depths=[1, 1, 1, 1], stage_strides=[[1, 2], [2, 2], [1, 1], [2, 2]],
        temporal_kernel_sizes=[[3], [3], [3], [3]], num_frames=16, image_size=32,
    ),
}  # fmt: skip


class ResNet3DConfig(PreTrainedConfig):
    r"""Configuration of :class:`ResNet3DModel` (defaults: the ``"cpu-small"`` preset, RGB input).

    Args:
        num_channels: input channels (3 per input modality: 6 for ``"fg+diff"``).
        num_frames: clip length the model is meant for (convolutions accept any length; preprocessing uses this).
        image_size: input height and width.
        stem_channels: channels of the stem convolution.
        stem_kernel: ``[t, h, w]`` kernel of the stem.
        stem_stride: ``[t, h, w]`` stride of the stem.
        stem_pool: a 1x3x3 max-pool of stride (1, 2, 2) after the stem.
        block_type: ``"plain"``, ``"basic"`` or ``"bottleneck"``.
        hidden_sizes: output channels of each stage.
        depths: blocks per stage.
        stage_strides: ``[temporal, spatial]`` stride of each stage's first block.
        temporal_kernel_sizes: per stage, the temporal kernel sizes cycled over its blocks (1 = a 2D block).
        bottleneck_ratio: a bottleneck's inner width is its output width divided by this.
        initializer_range: std of the normal init of linear layers.
    """

    model_type = "resnet3d_video"

    num_channels: int = 3
    num_frames: int = 16
    image_size: int = 32
    stem_channels: int = 12
    stem_kernel: list[int] | None = None
    stem_stride: list[int] | None = None
    stem_pool: bool = False
    block_type: str = "plain"
    hidden_sizes: list[int] | None = None
    depths: list[int] | None = None
    stage_strides: list[list[int]] | None = None
    temporal_kernel_sizes: list[list[int]] | None = None
    bottleneck_ratio: int = 4
    initializer_range: float = 0.02

    def __post_init__(self, **kwargs: Any) -> None:
        small = PRESETS["cpu-small"]
        for name in ("stem_kernel", "stem_stride", "hidden_sizes", "depths", "stage_strides", "temporal_kernel_sizes"):
            if getattr(self, name) is None:
                setattr(self, name, small[name])
        super().__post_init__(**kwargs)
        self.validate_architecture()

    def validate_architecture(self) -> None:
        """Raise ``ValueError`` naming the first inconsistent field."""
        if self.block_type not in BLOCK_TYPES:
            raise ValueError(f"block_type must be one of {list(BLOCK_TYPES)}, got {self.block_type!r}")
        stages = len(self.hidden_sizes)
        for name in ("depths", "stage_strides", "temporal_kernel_sizes"):
            if len(getattr(self, name)) != stages:
                raise ValueError(f"{name} has {len(getattr(self, name))} entries for {stages} stages (hidden_sizes)")
        if len(self.stem_kernel) != 3 or len(self.stem_stride) != 3:
            raise ValueError(f"stem_kernel and stem_stride need [t, h, w], got {self.stem_kernel}, {self.stem_stride}")
        if self.num_channels < 1 or self.num_frames < 1 or self.image_size < 1:
            raise ValueError("num_channels, num_frames and image_size must be >= 1")


def _conv_bn(
    in_channels: int, out_channels: int, kernel: tuple[int, int, int], stride: tuple[int, int, int]
) -> list[nn.Module]:
    padding = tuple(k // 2 for k in kernel)
    return [nn.Conv3d(in_channels, out_channels, kernel, stride, padding, bias=False), nn.BatchNorm3d(out_channels)]


class ResNet3DBlock(nn.Module):
    """One block: ``plain`` (conv-BN-ReLU), ``basic`` (two convs + shortcut) or ``bottleneck`` (1-3-1 + shortcut)."""

    def __init__(self, block_type: str, in_channels: int, out_channels: int, temporal_kernel: int, stride: list[int],
                 bottleneck_ratio: int):  # fmt: skip
        super().__init__()
        t_stride, s_stride = stride
        strides = (t_stride, s_stride, s_stride)
        if block_type == "plain":
            layers = _conv_bn(in_channels, out_channels, (temporal_kernel, 3, 3), strides)
        elif block_type == "basic":
            layers = [
                *_conv_bn(in_channels, out_channels, (temporal_kernel, 3, 3), strides),
                nn.ReLU(inplace=True),
                *_conv_bn(out_channels, out_channels, (1, 3, 3), (1, 1, 1)),
            ]
        else:
            inner = out_channels // bottleneck_ratio
            layers = [
                *_conv_bn(in_channels, inner, (temporal_kernel, 1, 1), (1, 1, 1)),
                nn.ReLU(inplace=True),
                *_conv_bn(inner, inner, (1, 3, 3), strides),
                nn.ReLU(inplace=True),
                *_conv_bn(inner, out_channels, (1, 1, 1), (1, 1, 1)),
            ]
        self.layers = nn.Sequential(*layers)
        self.shortcut: nn.Module | None = None
        if block_type != "plain":
            needs_projection = in_channels != out_channels or strides != (1, 1, 1)
            self.shortcut = (
                nn.Sequential(*_conv_bn(in_channels, out_channels, (1, 1, 1), strides))
                if needs_projection
                else nn.Identity()
            )
        self.activation = nn.ReLU(inplace=True)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        out = self.layers(hidden)
        if self.shortcut is not None:
            out = out + self.shortcut(hidden)
        return self.activation(out)


class ResNet3DPreTrainedModel(PreTrainedModel):
    """Weight initialisation and the transformers plumbing of :class:`ResNet3DModel`."""

    config: ResNet3DConfig
    config_class = ResNet3DConfig
    base_model_prefix = "resnet3d"
    main_input_name = "pixel_values"
    input_modalities = ("video",)

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, nn.Conv3d):
            init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(module, nn.BatchNorm3d):
            init.ones_(module.weight)
            init.zeros_(module.bias)
            init.zeros_(module.running_mean)
            init.ones_(module.running_var)


class ResNet3DModel(ResNet3DPreTrainedModel):
    """The network without a classifier: ``pixel_values`` -> last stage features and their global average."""

    def __init__(self, config: ResNet3DConfig):
        super().__init__(config)
        stem = _conv_bn(config.num_channels, config.stem_channels, tuple(config.stem_kernel), tuple(config.stem_stride))
        stem.append(nn.ReLU(inplace=True))
        if config.stem_pool:
            stem.append(nn.MaxPool3d((1, 3, 3), (1, 2, 2), (0, 1, 1)))
        self.stem = nn.Sequential(*stem)
        blocks, channels = [], config.stem_channels
        for width, depth, stride, kernels in zip(
            config.hidden_sizes, config.depths, config.stage_strides, config.temporal_kernel_sizes, strict=True
        ):
            for index in range(depth):
                block_stride = stride if index == 0 else [1, 1]
                blocks.append(
                    ResNet3DBlock(
                        config.block_type,
                        channels,
                        width,
                        kernels[index % len(kernels)],
                        block_stride,
                        config.bottleneck_ratio,
                    )  # fmt: skip
                )
                channels = width
        self.blocks = nn.Sequential(*blocks)
        self.post_init()

    def forward(self, pixel_values: torch.Tensor, **kwargs: Any) -> BaseModelOutputWithPooling:
        """Args: ``pixel_values`` ``(batch, frames, num_channels, height, width)``.

        Returns ``last_hidden_state`` ``(batch, hidden_sizes[-1], t, h, w)`` and ``pooler_output``
        ``(batch, hidden_sizes[-1])``.
        """
        if pixel_values.ndim != 5 or pixel_values.shape[2] != self.config.num_channels:
            raise ValueError(
                f"pixel_values must be (batch, frames, {self.config.num_channels}, height, width), "
                f"got {tuple(pixel_values.shape)}"
            )
        # Convolutions want (batch, channels, frames, h, w); channels-last is the faster layout for Conv3d on CPUs.
        hidden = pixel_values.transpose(1, 2).contiguous(memory_format=torch.channels_last_3d)
        hidden = self.blocks(self.stem(hidden))
        return BaseModelOutputWithPooling(last_hidden_state=hidden, pooler_output=hidden.mean(dim=(2, 3, 4)))


AutoConfig.register(ResNet3DConfig.model_type, ResNet3DConfig)
AutoModel.register(ResNet3DConfig, ResNet3DModel)
