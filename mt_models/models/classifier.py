"""The disentangled coarse/fine video classifier: a ``PreTrainedModel`` registered with the Auto classes.

On the backbone's clip features sit two branches, each a projection to its own embedding and a linear classifier:
the coarse branch predicts the coarse action ("punching"), the fine branch the fine variant of the training set
("punching bag"). The model's coarse logits are

    coarse-branch logits + fine_marginal_weight * (log-mean-exp of the fine logits within each coarse class)

and the training loss is

    coarse CE (on those logits) + fine_loss_weight * fine CE
              + decorrelation_weight * ||cross-covariance(coarse embedding, fine embedding)||^2 / embedding_dim
              + adversarial_weight * CE of an adversary that predicts the fine variant *within its coarse class*
                from the coarse embedding through a gradient-reversal layer,

where the fine branch sends ``fine_gradient_scale`` times its gradient into the shared backbone features. The
``"disentangled"`` head's defaults (fine loss 1, fine marginal 1, gradient scale 0, decorrelation and adversary 0)
are the design chosen on held-out training variants (``bench/finding.md``): the fine branch only *reads* the shared
features, so telling variants apart never shapes them (training them to do so cost unknown accuracy), and its
within-coarse marginal joins the coarse score. With every weight at 0 the model is the plain coarse classifier (the
baseline): the fine branch and the adversary are then not built, so every parameter gets a gradient
(DistributedDataParallel requires it).

That is the ``"disentangled"`` head, the default. ``config.head`` chooses another design of the same model
(:data:`HEAD_NAMES`; each is described, with its citation, in :mod:`mt_models.models.heads`):

- ``"baseline"``: the plain coarse classifier (``train.py --head baseline``, alias ``--baseline``);
- ``"hierarchical"``: the fine marginal with a fine branch trained jointly with the backbone (gradient scale 1)
  (hierarchical softmax: Morin & Bengio 2005; YOLO9000, Redmon & Farhadi 2017), coarse CE + ``fine_loss_weight`` x
  fine CE;
- ``"vrex"``: coarse CE + ``invariance_weight`` x variance across the batch's fine variants of their mean coarse loss
  (V-REx, Krueger et al., ICML 2021);
- ``"supcon"``: coarse CE + ``contrastive_weight`` x a supervised contrastive loss at ``temperature`` on the normalised
  coarse embedding whose positives are clips of the same coarse class and another fine variant (Khosla et al.,
  NeurIPS 2020);
- ``"mix"``: in training, each clip is mixed with a clip of the same coarse class and another fine variant,
  ``lambda ~ Beta(mix_alpha, mix_alpha)``, coarse label kept (mixup, Zhang et al., ICLR 2018; intra-label LISA, Yao et
  al., ICML 2022);
- ``"slowfast"``, ``"pooled_delta"``: two temporal scales (:mod:`mt_models.models.temporal_heads`): the coarse branch
reads a
  slow summary / the pooled feature of the backbone's per-time features, a fine branch the fast residual / the
  frame-to-frame changes.

Every head predicts from ``coarse_logits``, so ``pipeline()`` and the evaluation serve them all.

>>> config = DisentangledConfig(backbone="videomae", backbone_config=backbone_class("videomae").tiny_config,
...                             coarse_labels=["a", "b"], fine_labels=["a1", "a2", "b1"], fine_to_coarse=[0, 0, 1])
>>> model = DisentangledVideoClassifier(config)
>>> out = model(torch.zeros(2, 8, 3, 32, 32), coarse_labels=torch.tensor([0, 1]), fine_labels=torch.tensor([1, 2]))
>>> out.coarse_logits.shape, out.fine_logits.shape, out.loss.ndim
(torch.Size([2, 2]), torch.Size([2, 3]), 0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from transformers import AutoConfig, AutoModel, PreTrainedConfig, PreTrainedModel
from transformers import initialization as init
from transformers.utils import ModelOutput

from mt_datasets.taxonomy import Taxonomy
from mt_models.models.backbones import VideoBackbone, backbone_class, create_backbone
from mt_models.models.heads import (
    HEAD_NAMES,
    HEAD_TERMS,
    cross_variant_contrastive_loss,
    mix_variants,
    variance_of_group_losses,
    within_coarse_logmeanexp,
)
from mt_models.models.labels import IGNORE_INDEX  # re-exported: its old home
from mt_models.models.preprocess import InputSpec
from mt_models.models.temporal_heads import TEMPORAL_HEAD_NAMES, TemporalBranches, validate_temporal_head
from mt_models.options import HeadOptions, add_head_arguments  # light homes, for train.py's --help

__all__ = [
    "HEAD_NAMES",
    "DisentangledConfig",
    "HeadOptions",
    "add_head_arguments",
    "DisentangledVideoClassifier",
    "DisentangledClassifierOutput",
    "IGNORE_INDEX",
]


class DisentangledConfig(PreTrainedConfig, HeadOptions):
    r"""Configuration of :class:`DisentangledVideoClassifier`.

    Args:
        backbone: registered backbone name (``mt_models.list_backbones()``).
        backbone_config: the backbone's transformers config as a dict (``config.to_dict()``).
        input_spec: the backbone's :class:`~mt_models.models.preprocess.InputSpec` as a dict; ``None`` = from the
        config.
        coarse_labels: coarse class names, in label order.
        fine_labels: fine class names of the training set, in the order of the fine head.
        fine_to_coarse: coarse index of each entry of ``fine_labels`` (the adversary's within-coarse grouping).
        head, embedding_dim, dropout, fine_loss_weight, decorrelation_weight, adversarial_weight,
            fine_marginal_weight, fine_gradient_scale, label_smoothing, invariance_weight, contrastive_weight,
            temperature, mix_alpha: the head options (:class:`HeadOptions`).
        gradient_reversal_scale: factor on the reversed gradient.
        dataset: name or Hub id of the training dataset (metadata).
        fine_set: the fine set (1 or 2) trained on (metadata).
    """

    model_type = "motion_transfer_disentangled"

    backbone: str = "videomae"
    backbone_config: dict | None = None
    input_spec: dict | None = None
    coarse_labels: list[str] | None = None
    fine_labels: list[str] | None = None
    fine_to_coarse: list[int] | None = None
    gradient_reversal_scale: float = 1.0
    initializer_range: float = 0.02
    dataset: str | None = None
    fine_set: int | None = None

    def __post_init__(self, **kwargs: Any) -> None:
        self.coarse_labels = list(self.coarse_labels or [])
        self.fine_labels = list(self.fine_labels or [])
        self.fine_to_coarse = [int(c) for c in (self.fine_to_coarse or [])]
        # The standard label maps describe the model's main output, the coarse logits (read by pipelines and cards).
        if self.coarse_labels:
            kwargs["id2label"] = dict(enumerate(self.coarse_labels))
            kwargs["label2id"] = {name: i for i, name in enumerate(self.coarse_labels)}
        super().__post_init__(**kwargs)
        self.resolve_head_options()
        self.validate_head()

    def validate_head(self) -> None:
        """Raise ``ValueError`` naming the inconsistent head options."""
        for name in ("fine_loss_weight", "decorrelation_weight", "adversarial_weight", "fine_marginal_weight",
                     "invariance_weight", "contrastive_weight"):  # fmt: skip
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        for name in ("temperature", "mix_alpha"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        for name in HEAD_TERMS["disentangled"]:  # every weighted term: the disentangled head may use them all
            if name not in HEAD_TERMS.get(self.head, ()) and getattr(self, name):
                raise ValueError(
                    f"{name} must be 0 with head {self.head!r} (it has no such term), got {getattr(self, name)}"
                )
        if self.head in ("hierarchical", "vrex", "supcon", "mix") and self.coarse_labels and not self.fine_labels:
            raise ValueError(f"head {self.head!r} needs fine_labels (the training set's fine classes)")
        if not 0 <= self.fine_gradient_scale <= 1:
            raise ValueError(f"fine_gradient_scale must be in [0, 1], got {self.fine_gradient_scale}")
        if self.fine_gradient_scale != 1 and self.head not in ("disentangled", "hierarchical"):
            raise ValueError(
                f"fine_gradient_scale applies to a fine branch, and head {self.head!r} has none "
                "(use the disentangled or the hierarchical head)"
            )
        validate_temporal_head(self)
        if not 0 <= self.label_smoothing < 1:
            raise ValueError(f"label_smoothing must be in [0, 1), got {self.label_smoothing}")
        if len(self.fine_to_coarse) != len(self.fine_labels):
            raise ValueError(
                f"fine_to_coarse has {len(self.fine_to_coarse)} entries but fine_labels has {len(self.fine_labels)}: "
                "give the coarse index of every fine label"
            )
        if self.coarse_labels and any(not 0 <= c < len(self.coarse_labels) for c in self.fine_to_coarse):
            raise ValueError(f"fine_to_coarse has indices outside 0..{len(self.coarse_labels) - 1}")
        set_terms = [
            name for name in ("fine_loss_weight", "adversarial_weight", "fine_marginal_weight") if getattr(self, name)
        ]
        if set_terms and self.coarse_labels and not self.fine_labels:
            raise ValueError(
                f"{_named_values(self, set_terms)} {'needs' if len(set_terms) == 1 else 'need'} fine labels: give "
                f"fine_labels (the training set's fine classes), or set {' and '.join(set_terms)} to 0"
            )
        if self.decorrelation_weight and not self.fine_loss_weight:
            raise ValueError(
                "decorrelation_weight > 0 needs fine_loss_weight > 0: without the fine loss the fine embedding is "
                "untrained, and decorrelating from it means nothing"
            )

    def terms_needing_fine_labels(self) -> list[str]:
        """The options whose loss term is taken on fine labels and has a non-zero weight (so the loss needs them)."""
        terms = ["fine_loss_weight", "adversarial_weight"]
        terms += {"vrex": ["invariance_weight"], "supcon": ["contrastive_weight"]}.get(self.head, [])
        return [name for name in terms if getattr(self, name)]

    @property
    def is_baseline(self) -> bool:
        """True for the plain coarse classifier (head "baseline", or "disentangled" with every weight 0)."""
        return self.head == "baseline" or (
            self.head == "disentangled" and not any(getattr(self, name) for name in HEAD_TERMS["disentangled"])
        )

    @property
    def has_fine_branch(self) -> bool:
        """Whether the model has a fine projection and classifier ("hierarchical", or a fine loss / marginal weight)."""
        return self.head == "hierarchical" or (
            self.head == "disentangled" and bool(self.fine_loss_weight or self.fine_marginal_weight)
        )


def _named_values(config: DisentangledConfig, names: list[str]) -> str:
    """``"fine_loss_weight=1 and fine_marginal_weight=1"``: the options as a user would set them."""
    return " and ".join(f"{name}={getattr(config, name):g}" for name in names)


@dataclass
class DisentangledClassifierOutput(ModelOutput):
    """Output of :class:`DisentangledVideoClassifier`.

    Attributes:
        loss: the weighted training loss (when ``coarse_labels`` are given).
        coarse_logits: ``(batch, num_coarse)``; the predictions of the model.
        fine_logits: ``(batch, num_fine)`` over the training set's fine classes (``None`` without a fine branch).
        coarse_embeds: ``(batch, embedding_dim)`` coarse embedding.
        fine_embeds: ``(batch, embedding_dim)`` fine embedding (``None`` without a fine branch).
        coarse_loss / fine_loss / decorrelation_loss / adversarial_loss / invariance_loss / contrastive_loss: the
            unweighted terms, for logging (``None`` where the head has no such term).
    """

    loss: torch.FloatTensor | None = None
    coarse_logits: torch.FloatTensor | None = None
    fine_logits: torch.FloatTensor | None = None
    coarse_embeds: torch.FloatTensor | None = None
    fine_embeds: torch.FloatTensor | None = None
    coarse_loss: torch.FloatTensor | None = None
    fine_loss: torch.FloatTensor | None = None
    decorrelation_loss: torch.FloatTensor | None = None
    adversarial_loss: torch.FloatTensor | None = None
    invariance_loss: torch.FloatTensor | None = None
    contrastive_loss: torch.FloatTensor | None = None


class _ScaledGradient(torch.autograd.Function):
    """Identity forward; the gradient is multiplied by ``scale`` on the way back (``-scale``: gradient reversal,
    Ganin & Lempitsky 2015; 0: the input is only read)."""

    @staticmethod
    def forward(ctx, inputs: torch.Tensor, scale: float) -> torch.Tensor:
        ctx.scale = scale
        return inputs.view_as(inputs)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> tuple[torch.Tensor, None]:
        return ctx.scale * grad_output, None


def _per_row_cross_entropy(logits: torch.Tensor, labels: torch.Tensor, label_smoothing: float = 0.0) -> torch.Tensor:
    """CE of each row (rows labelled ``IGNORE_INDEX`` give a meaningless value: mask them)."""
    return nn.functional.cross_entropy(
        logits.float(), labels.clamp(min=0), reduction="none", label_smoothing=label_smoothing
    )


def _cross_entropy(logits: torch.Tensor, labels: torch.Tensor, label_smoothing: float = 0.0) -> torch.Tensor:
    """Mean CE over the rows whose label is not ``IGNORE_INDEX``; 0 (still in the graph) when there is none."""
    # A masked mean rather than indexing by ``valid``: no data-dependent branch or shape, so torch.compile keeps one
    # graph (``bool(valid.any())`` broke it), and a batch without a valid row still gives a 0 that is in the graph.
    valid = labels != IGNORE_INDEX
    return _masked_mean(_per_row_cross_entropy(logits, labels, label_smoothing), valid)


def _coarse_labels(coarse_labels: torch.Tensor | None, labels: torch.Tensor | None) -> torch.Tensor | None:
    """The coarse labels given as ``coarse_labels`` or as transformers' ``labels``; both must agree."""
    if labels is None:
        return coarse_labels
    if coarse_labels is not None and not torch.equal(torch.as_tensor(coarse_labels), torch.as_tensor(labels)):
        raise ValueError(
            "labels and coarse_labels differ: labels is the coarse label (transformers' name for it), give one of them"
        )
    return labels


def _check_no_fine_labels_needed(config: DisentangledConfig, training: bool) -> None:
    """Raise ``ValueError`` naming the option whose loss term (or, for "mix", whose training) needs fine labels."""
    fix = "pass fine_labels (indices into config.fine_labels) with the coarse labels"
    missing = config.terms_needing_fine_labels()
    if missing:
        raise ValueError(
            f"{_named_values(config, missing)} {'needs' if len(missing) == 1 else 'need'} fine labels: {fix}, "
            f"or build the model with {' and '.join(missing)} set to 0"
        )
    if config.head == "mix" and training:
        raise ValueError(
            f"head 'mix' needs fine labels in training (it mixes each clip with one of another fine variant): {fix}"
        )


def _masked_mean(per_row: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    return torch.where(valid, per_row, 0.0).sum() / valid.sum().clamp(min=1)


def cross_covariance_penalty(first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
    """Squared Frobenius norm of the batch cross-covariance of two embeddings, divided by their width.

    Zero when every coordinate of ``first`` is linearly uncorrelated with every coordinate of ``second`` over the batch.
    """
    if first.shape[0] < 2:
        return first.sum() * 0.0
    first = first.float() - first.float().mean(dim=0)
    second = second.float() - second.float().mean(dim=0)
    covariance = first.T @ second / (first.shape[0] - 1)
    return covariance.pow(2).sum() / first.shape[1]


def _branch(in_dim: int, embedding_dim: int, dropout: float) -> nn.Sequential:
    return nn.Sequential(nn.Dropout(dropout), nn.Linear(in_dim, embedding_dim), nn.GELU())


class DisentangledVideoClassifier(PreTrainedModel):
    """Coarse/fine video classifier on a transformers backbone (see the module docstring for the loss)."""

    config_class = DisentangledConfig
    config: DisentangledConfig
    main_input_name = "pixel_values"
    input_modalities = ("video",)
    # The loss is a mean over the batch's labelled rows, whatever ``num_items_in_batch`` transformers' Trainer would
    # pass: the Trainer then scales it for gradient accumulation itself.
    accepts_loss_kwargs = False

    def __init__(self, config: DisentangledConfig):
        super().__init__(config)
        if not config.coarse_labels:
            raise ValueError("DisentangledConfig.coarse_labels is empty: give the coarse class names")
        entry = backbone_class(config.backbone)
        backbone_config = entry.config_class.from_dict(dict(config.backbone_config or {}))
        self.backbone: VideoBackbone = create_backbone(
            config.backbone, config=backbone_config, input_spec=config.input_spec
        )
        features = self.backbone.feature_dim
        self.coarse_projection = _branch(features, config.embedding_dim, config.dropout)
        self.coarse_classifier = nn.Linear(config.embedding_dim, len(config.coarse_labels))
        num_fine = len(config.fine_labels)
        if config.has_fine_branch:
            self.fine_projection = _branch(features, config.embedding_dim, config.dropout)
            self.fine_classifier = nn.Linear(config.embedding_dim, num_fine)
        if config.adversarial_weight:
            self.adversary = nn.Linear(config.embedding_dim, num_fine)
        if config.head in TEMPORAL_HEAD_NAMES:  # the two-temporal-scale heads (mt_models.models.temporal_heads)
            self.temporal = TemporalBranches(config, self.backbone)
        self.post_init()

    def _same_coarse(self, device: torch.device) -> torch.Tensor:
        """``same_coarse[c, f]``: fine class f belongs to coarse class c (the adversary only competes within c; the
        hierarchical head sums the fine scores of c). Made from the config on each call: a non-persistent buffer is
        not restored by ``from_pretrained``, which builds the model on the meta device."""
        groups = torch.tensor(self.config.fine_to_coarse, dtype=torch.long, device=device)
        return groups.unsqueeze(0) == torch.arange(len(self.config.coarse_labels), device=device).unsqueeze(1)

    def _init_weights(self, module: nn.Module) -> None:
        # The heads' linear layers get PyTorch's fan-in scaled init. transformers' 0.02-std normal suits transformer
        # features (unit scale after LayerNorm); on the small features of a convolutional backbone two stacked 0.02
        # layers give near-zero logits and gradients, and a from-scratch model learned a third slower with it.
        if isinstance(module, nn.Linear):
            init.kaiming_uniform_(module.weight, a=math.sqrt(5))
            if module.bias is not None:
                bound = 1 / math.sqrt(module.in_features)
                init.uniform_(module.bias, -bound, bound)
        else:
            super()._init_weights(module)

    @property
    def input_spec(self) -> InputSpec:
        """What :func:`mt_models.models.preprocess.preprocess` needs to make this model's input."""
        return self.backbone.input_spec

    @classmethod
    def from_backbone(cls, backbone: VideoBackbone, **config_kwargs: Any) -> DisentangledVideoClassifier:
        """A classifier whose backbone is ``backbone`` (pretrained weights kept) and whose heads are new.

        ``config_kwargs`` are :class:`DisentangledConfig` fields (labels, head options, metadata).
        """
        config = DisentangledConfig(
            backbone=backbone.name,
            backbone_config=backbone.config.to_dict(),
            input_spec=backbone.input_spec.to_dict(),
            **config_kwargs,
        )
        model = cls(config)
        model.backbone.load_state_dict(backbone.state_dict())
        return model

    @classmethod
    def for_training_set(
        cls, backbone: VideoBackbone, taxonomy: Taxonomy, fine_set: int, **config_kwargs: Any
    ) -> DisentangledVideoClassifier:
        """:meth:`from_backbone` with the label spaces of training on ``fine_set`` of ``taxonomy``.

        The coarse head covers every coarse class; the fine head covers the fine classes of ``fine_set`` in the
        taxonomy's order (head id ``k`` = ``taxonomy.fine_indices(fine_set)[k]``).
        """
        fine = taxonomy.fine_indices(fine_set)
        return cls.from_backbone(
            backbone,
            coarse_labels=list(taxonomy.coarse_names),
            fine_labels=[taxonomy.fine_names[i] for i in fine],
            fine_to_coarse=[taxonomy.fine_to_coarse[i] for i in fine],
            fine_set=fine_set,
            **config_kwargs,
        )

    def forward(
        self,
        pixel_values: torch.Tensor,
        coarse_labels: torch.Tensor | None = None,
        fine_labels: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> DisentangledClassifierOutput:
        """Classify clips; compute the loss when labels are given.

        Args:
            pixel_values: ``(batch, frames, channels, height, width)`` preprocessed clips (``input_spec.channels``).
            coarse_labels: ``(batch,)`` coarse indices (``IGNORE_INDEX`` rows take no part in the loss).
            fine_labels: ``(batch,)`` indices into ``config.fine_labels``, taken by the loss terms that need them:
                the fine CE and the adversary (disentangled, hierarchical), V-REx's and supcon's penalties. Without
                them a term of non-zero weight is an error naming its option (:meth:`DisentangledConfig.
                terms_needing_fine_labels`); the "mix" head needs them to mix clips in training mode.
            labels: the coarse labels under the name transformers' models and ``Trainer`` use (the same loss as
                ``coarse_labels``; giving both with different values is an error).
        """
        config = self.config
        coarse_labels = _coarse_labels(coarse_labels, labels)
        if coarse_labels is not None and fine_labels is None:
            _check_no_fine_labels_needed(config, self.training)
        if config.head == "mix" and self.training and coarse_labels is not None and fine_labels is not None:
            pixel_values = mix_variants(pixel_values, coarse_labels, fine_labels, config.mix_alpha)
        temporal = self.temporal(self.backbone, pixel_values) if config.head in TEMPORAL_HEAD_NAMES else None
        features = self.backbone(pixel_values) if temporal is None else temporal.coarse_features
        coarse_embeds = self.coarse_projection(features)
        coarse_logits = self.coarse_classifier(coarse_embeds)
        fine_embeds = None
        if config.has_fine_branch:
            fine_input = (
                features
                if config.fine_gradient_scale == 1
                else _ScaledGradient.apply(features, config.fine_gradient_scale)
            )
            fine_embeds = self.fine_projection(fine_input)
        fine_logits = self.fine_classifier(fine_embeds) if fine_embeds is not None else None
        if temporal is not None:
            fine_embeds, fine_logits = temporal.fine_embeds, temporal.fine_logits
        if fine_logits is not None and config.fine_marginal_weight:
            marginal = within_coarse_logmeanexp(fine_logits, self._same_coarse(fine_logits.device))
            coarse_logits = coarse_logits + config.fine_marginal_weight * marginal
        out = DisentangledClassifierOutput(
            coarse_logits=coarse_logits, fine_logits=fine_logits, coarse_embeds=coarse_embeds, fine_embeds=fine_embeds
        )
        if coarse_labels is None:
            return out
        per_row = _per_row_cross_entropy(coarse_logits, coarse_labels, config.label_smoothing)
        valid = coarse_labels != IGNORE_INDEX
        out.coarse_loss = _masked_mean(per_row, valid)
        loss = out.coarse_loss
        # Fine labels were checked above: a term is taken when its labels are there (for logging, even at weight 0).
        if config.head == "vrex" and fine_labels is not None:
            valid_fine = valid & (fine_labels != IGNORE_INDEX)
            out.invariance_loss = variance_of_group_losses(per_row, fine_labels, valid_fine, len(config.fine_labels))
            loss = loss + config.invariance_weight * out.invariance_loss
        if config.head == "supcon" and fine_labels is not None:
            out.contrastive_loss = cross_variant_contrastive_loss(
                coarse_embeds, coarse_labels, fine_labels, config.temperature
            )
            loss = loss + config.contrastive_weight * out.contrastive_loss
        if fine_logits is not None and fine_labels is not None:
            out.fine_loss = _cross_entropy(fine_logits, fine_labels)
            loss = loss + config.fine_loss_weight * out.fine_loss
        if temporal is not None:
            loss = loss + self.temporal.extra_loss(out, coarse_labels, fine_labels)
        if config.decorrelation_weight:
            out.decorrelation_loss = cross_covariance_penalty(coarse_embeds, fine_embeds)
            loss = loss + config.decorrelation_weight * out.decorrelation_loss
        if config.adversarial_weight:
            reversed_embeds = _ScaledGradient.apply(coarse_embeds, -config.gradient_reversal_scale)
            adversary_logits = self.adversary(reversed_embeds)
            valid = (coarse_labels != IGNORE_INDEX) & (fine_labels != IGNORE_INDEX)
            mask = self._same_coarse(coarse_labels.device)[coarse_labels.clamp(min=0)]
            adversary_logits = adversary_logits.masked_fill(~mask, torch.finfo(adversary_logits.dtype).min)
            out.adversarial_loss = _cross_entropy(adversary_logits, torch.where(valid, fine_labels, IGNORE_INDEX))
            loss = loss + config.adversarial_weight * out.adversarial_loss
        out.loss = loss
        return out


AutoConfig.register(DisentangledConfig.model_type, DisentangledConfig)
AutoModel.register(DisentangledConfig, DisentangledVideoClassifier)
