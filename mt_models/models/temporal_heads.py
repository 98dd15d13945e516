"""Two-temporal-scale heads: the coarse branch reads the slow part of a clip's motion, the fine branch the fast part.

The other heads (:mod:`mt_models.models.heads`) split the *label* space on one clip-level feature. These split the
*signal*:
they read the backbone's features per time step (:meth:`mt_models.models.backbones.VideoBackbone.temporal_features`,
``(batch, time, dim)``), give the coarse branch of :class:`~mt_models.models.classifier.DisentangledVideoClassifier` a
slow,
global summary and a fine branch the fast, local remainder. A coarse action ("rising") is a slow pattern of movement;
its fine variants ("rising in a zigzag", "rising at an angle") differ in faster detail.

- ``"slowfast"``: a slow and a fast pathway in the sense of SlowFast (Feichtenhofer, Fan, Malik & He, "SlowFast
  networks for video recognition", ICCV 2019), built on the backbone's output rather than as two networks. The slow
  summary is the per-time features averaged over ``slow_segments`` equal spans of the clip (a temporal low-pass at a
  low frame rate, :func:`slow_summary`); the coarse branch reads a per-channel weighted sum of those segments
  (weights start at ``1 / slow_segments``, so it starts as the plain clip mean, and can learn the order of the slow
  segments: "low then high" for rising). The fast pathway reads the high-frequency residual, each time step minus the
  slow segment it lies in (the detail band of a two-level temporal Laplacian pyramid; Burt & Adelson, "The Laplacian
  pyramid as a compact image code", 1983), through a narrow per-step projection averaged over time, and its classifier
  is trained on the fine labels.
- ``"pooled_delta"``: the coarse branch reads the temporally pooled feature (the mean over time, the clip feature of
  a mean-pooling backbone) trained to be invariant across the fine variants of each coarse class: the penalty
  (:func:`variant_centroid_spread`, weight ``invariance_weight``) is the spread, within each coarse class, of the
  mean L2-normalised coarse embedding of each fine variant in the batch -- first-moment (linear-kernel) MMD matching
  (Gretton et al., "A kernel two-sample test", JMLR 2012) conditioned on the coarse class, each fine variant a
  domain, as MMD-based domain generalisation does across domains (Li, Pan, Wang & Kot, "Domain generalization with
  adversarial feature learning", CVPR 2018). The fine branch reads the frame-to-frame feature changes
  (:func:`frame_differences`), as temporal-difference models do (Wang, Tong, Ji & Wu, "TDN: Temporal difference
  networks for efficient action recognition", CVPR 2021; the temporal stream of Simonyan & Zisserman, NeurIPS 2014,
  reads motion rather than appearance): a per-step projection of each change, averaged over time, keeps the sign of
  a change (the direction of a motion) and its size (its speed).

In both, the fine classifier is trained with ``fine_loss_weight`` x fine CE, jointly with the backbone, and
``fine_marginal_weight`` (default 0) adds its within-coarse log-sum-exp to the coarse logits as the other fine
branches do; the coarse prediction otherwise comes from the slow / pooled branch alone.

>>> steps = torch.arange(8.0).view(1, 4, 2)  # (batch, time, dim)
>>> slow, held = slow_summary(steps, 2)
>>> slow.tolist(), (steps - held).tolist()
([[[1.0, 2.0], [5.0, 6.0]]], [[[-1.0, -1.0], [1.0, 1.0], [-1.0, -1.0], [1.0, 1.0]]])
>>> frame_differences(steps).tolist()
[[[2.0, 2.0], [2.0, 2.0], [2.0, 2.0]]]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from mt_models.models.backbones import VideoBackbone, has_temporal_features
from mt_models.models.labels import IGNORE_INDEX
from mt_models.options import TEMPORAL_HEAD_NAMES

__all__ = [
    "TEMPORAL_HEAD_NAMES",
    "TemporalBranches",
    "TemporalOutput",
    "frame_differences",
    "slow_summary",
    "validate_temporal_head",
    "variant_centroid_spread",
]


def slow_summary(steps: torch.Tensor, segments: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The low-frame-rate summary of ``(batch, time, dim)`` features and that summary held at every time step.

    Returns ``(slow, held)``: ``slow`` ``(batch, segments, dim)`` is the mean over each of ``segments`` spans of the
    clip (adaptive average pooling: equal spans when ``segments`` divides ``time``); ``held`` ``(batch, time, dim)``
    repeats each segment's mean over its time steps, so ``steps - held`` is the high-frequency residual.
    """
    slow = nn.functional.adaptive_avg_pool1d(steps.transpose(1, 2), segments)
    held = nn.functional.interpolate(slow, size=steps.shape[1], mode="nearest")
    return slow.transpose(1, 2), held.transpose(1, 2)


def frame_differences(steps: torch.Tensor) -> torch.Tensor:
    """``(batch, time - 1, dim)``: the change of the features from each time step to the next."""
    return steps[:, 1:] - steps[:, :-1]


def variant_centroid_spread(
    embeds: torch.Tensor, fine_labels: torch.Tensor, valid: torch.Tensor, fine_to_coarse: torch.Tensor, num_coarse: int
) -> torch.Tensor:
    """Within each coarse class, the mean squared distance of each fine variant's centroid from the class's centre.

    Args:
        embeds: ``(batch, dim)`` embeddings; their L2-normalised rows are averaged per fine variant (the centroids).
        fine_labels: ``(batch,)`` fine variant of each row.
        valid: ``(batch,)`` rows that take part (both labels given).
        fine_to_coarse: ``(num_fine,)`` coarse class of each fine variant.
        num_coarse: number of coarse classes.

    A coarse class's centre is the mean of the centroids of its variants present in the batch (each variant weighs
    the same). Only coarse classes with at least two variants present count; 0 (in the graph) when there is none.
    No data-dependent branch or shape (one graph under ``torch.compile``).
    """
    normalised = nn.functional.normalize(embeds.float(), dim=1)
    rows = nn.functional.one_hot(fine_labels.clamp(min=0), len(fine_to_coarse)).float() * valid.unsqueeze(1).float()
    counts = rows.sum(dim=0)  # rows per fine variant
    centroids = (rows.T @ normalised) / counts.clamp(min=1).unsqueeze(1)  # (num_fine, dim)
    membership = nn.functional.one_hot(fine_to_coarse, num_coarse).float() * (counts > 0).float().unsqueeze(1)
    variants = membership.sum(dim=0)  # variants present per coarse class
    centres = (membership.T @ centroids) / variants.clamp(min=1).unsqueeze(1)
    distance = (centroids - membership @ centres).pow(2).sum(dim=1)  # each present variant from its class's centre
    counted = membership @ (variants >= 2).float()  # present, and its class has another variant present
    return (distance * counted).sum() / counted.sum().clamp(min=1)


def validate_temporal_head(config: Any) -> None:
    """Raise ``ValueError`` naming the inconsistent option of a two-temporal-scale head (others: nothing to check)."""
    if config.head not in TEMPORAL_HEAD_NAMES:
        return
    if config.coarse_labels and not config.fine_labels:
        raise ValueError(f"head {config.head!r} needs fine_labels (the training set's fine classes)")
    if not config.fine_loss_weight > 0:
        raise ValueError(
            f"head {config.head!r} trains its fast branch with the fine loss: fine_loss_weight must be > 0, "
            f"got {config.fine_loss_weight}"
        )
    if config.slow_segments < 1:
        raise ValueError(f"slow_segments must be >= 1, got {config.slow_segments}")


@dataclass
class TemporalOutput:
    """What a two-temporal-scale head gives the classifier: the coarse branch's input and the fine branch's output.

    Attributes:
        coarse_features: ``(batch, dim)`` the slow summary ("slowfast") or the pooled feature ("pooled_delta").
        fine_embeds: ``(batch, embedding_dim)`` the fast branch's embedding.
        fine_logits: ``(batch, num_fine)`` its logits over the training set's fine classes.
    """

    coarse_features: torch.Tensor
    fine_embeds: torch.Tensor
    fine_logits: torch.Tensor


class TemporalBranches(nn.Module):
    """The parts of a two-temporal-scale head besides the classifier's coarse projection and classifier.

    Args:
        config: the classifier's :class:`~mt_models.models.classifier.DisentangledConfig` (``head`` one of
            :data:`TEMPORAL_HEAD_NAMES`).
        backbone: the classifier's backbone; it must implement ``temporal_features``.
    """

    def __init__(self, config: Any, backbone: VideoBackbone):
        super().__init__()
        if not has_temporal_features(backbone):
            raise ValueError(
                f"head {config.head!r} reads per-time features, and the {backbone.name} backbone does not expose "
                "them: use another backbone (resnet3d, videomae, ...) or another head"
            )
        self.head = config.head
        self.slow_segments = config.slow_segments
        self.invariance_weight = config.invariance_weight
        self.fine_to_coarse, self.num_coarse = list(config.fine_to_coarse), len(config.coarse_labels)
        dim = backbone.feature_dim
        if self.head == "slowfast":
            self.slow_weights = nn.Parameter(torch.full((config.slow_segments, dim), 1.0 / config.slow_segments))
        self.fine_projection = nn.Sequential(
            nn.Dropout(config.dropout), nn.Linear(dim, config.embedding_dim), nn.GELU()
        )  # applied to each time step
        self.fine_classifier = nn.Linear(config.embedding_dim, len(config.fine_labels))

    def forward(self, backbone: VideoBackbone, pixel_values: torch.Tensor) -> TemporalOutput:
        """Run ``backbone`` once on ``pixel_values`` and split its per-time features into the two scales."""
        steps = backbone.temporal_features(pixel_values)
        time = steps.shape[1]
        if time < 2 or (self.head == "slowfast" and self.slow_segments >= time):
            needed = max(2, self.slow_segments + 1) if self.head == "slowfast" else 2
            raise ValueError(
                f"head {self.head!r} needs at least {needed} time steps of backbone features, and the {backbone.name} "
                f"backbone gives {time} for {pixel_values.shape[1]} frames: use more frames"
                + (" or fewer --slow_segments" if self.head == "slowfast" else "")
            )
        if self.head == "slowfast":
            slow, held = slow_summary(steps, self.slow_segments)
            coarse_features = (slow * self.slow_weights.to(slow.dtype)).sum(dim=1)
            fast = steps - held
        else:
            coarse_features = steps.mean(dim=1)
            fast = frame_differences(steps)
        fine_embeds = self.fine_projection(fast).mean(dim=1)
        return TemporalOutput(coarse_features, fine_embeds, self.fine_classifier(fine_embeds))

    def extra_loss(self, out: Any, coarse_labels: torch.Tensor, fine_labels: torch.Tensor) -> torch.Tensor | float:
        """The head's own weighted term ("pooled_delta": the invariance penalty, stored as ``out.invariance_loss``)."""
        if self.head != "pooled_delta":
            return 0.0
        valid = (coarse_labels != IGNORE_INDEX) & (fine_labels != IGNORE_INDEX)
        groups = torch.tensor(self.fine_to_coarse, dtype=torch.long, device=fine_labels.device)
        out.invariance_loss = variant_centroid_spread(out.coarse_embeds, fine_labels, valid, groups, self.num_coarse)
        return self.invariance_weight * out.invariance_loss
