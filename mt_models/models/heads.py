"""The head designs of :class:`~mt_models.models.classifier.DisentangledVideoClassifier` and their loss terms.

A model's ``config.head`` names one design (:data:`HEAD_NAMES`); every design predicts the coarse class from
``coarse_logits`` and trains with the coarse cross-entropy plus its own terms:

- ``"baseline"``: the plain coarse classifier, nothing else.
- ``"disentangled"``: a fine branch (``fine_loss_weight`` x fine CE) whose within-coarse marginal
  (:func:`within_coarse_logmeanexp`) is added to the coarse logits (``fine_marginal_weight``), a cross-covariance
  penalty between the coarse and the fine embedding (``decorrelation_weight``) and a within-coarse fine adversary on
  the coarse embedding through gradient reversal (``adversarial_weight``, ``gradient_reversal_scale``; Ganin &
  Lempitsky, "Unsupervised domain adaptation by backpropagation", ICML 2015). ``fine_gradient_scale`` scales the
  gradient that the fine branch sends into the shared backbone features: at 0 the fine branch only reads them (as a
  classifier trained on frozen features does; Kang et al., "Decoupling representation and classifier for long-tailed
  recognition", ICLR 2020), so only the coarse terms shape what the backbone learns. Its defaults are the design
  chosen on the validation protocol (``bench/finding.md``): fine loss 1, fine marginal 1, gradient scale 0,
  decorrelation 0, adversary 0 -- the marginal of a read-only fine branch.
- ``"hierarchical"``: coarse logits = coarse-branch logits + log-mean-exp of the fine logits within each coarse class
  (:func:`within_coarse_logmeanexp`: the fine prediction marginalised to the coarse level, less the prior of
  ``log(number of fine variants)`` that a plain log-sum-exp would give a coarse class), trained with the coarse CE
  on those logits + ``fine_loss_weight`` x fine CE. On an unknown variant, which no fine logit describes, the
  coarse-branch term still carries the prediction. In the spirit of hierarchical softmax / label-hierarchy
  classifiers (Morin & Bengio, AISTATS 2005; Redmon & Farhadi, "YOLO9000", CVPR 2017, which scores a parent class from
  its children).
- ``"vrex"``: Risk Extrapolation (V-REx; Krueger et al., "Out-of-distribution generalization via risk extrapolation",
  ICML 2021). Each fine variant in the batch is a domain; the penalty (:func:`variance_of_group_losses`) is the variance
  across the variants present of each variant's mean coarse loss, weighted by ``invariance_weight``. No fine
  classifier.
- ``"supcon"``: a within-coarse supervised contrastive loss (Khosla et al., "Supervised contrastive learning",
  NeurIPS 2020) on the L2-normalised coarse embedding, weighted by ``contrastive_weight``, at ``temperature``
  (:func:`cross_variant_contrastive_loss`): the positives of a clip are the clips of the same coarse class and a
  *different* fine variant, so the coarse embedding is pulled together across variants; clips of the same variant are
  left out of the anchor's denominator (neither pulled nor pushed).
- ``"mix"``: variant mixing (:func:`mix_variants`), mixup (Zhang et al., "mixup: Beyond empirical risk
  minimization", ICLR 2018) restricted to pairs with the same label and different domains, as intra-label LISA (Yao et
  al., "Improving out-of-distribution robustness via selective augmentation", ICML 2022): in training, when fine
  labels are given, each clip is mixed frame by frame with a clip of the same coarse class and another fine variant,
  ``lambda ~ Beta(mix_alpha, mix_alpha)``, keeping its coarse label. The mixing happens in the model's ``forward``,
  so the training loop is unchanged; evaluation sees unmixed clips.

- ``"slowfast"`` and ``"pooled_delta"``: the two-temporal-scale designs, which split the backbone's per-time features
  (:meth:`mt_models.models.backbones.VideoBackbone.temporal_features`) rather than the label space; they live in
  :mod:`mt_models.models.temporal_heads`.
"""

from __future__ import annotations

import torch
from torch import nn

from mt_models.models.labels import IGNORE_INDEX
from mt_models.options import (  # light home: train.py's --help lists the heads
    HEAD_NAMES,
    HEAD_TERMS,
    HEAD_WEIGHT_DEFAULTS,
)

__all__ = [
    "HEAD_NAMES",
    "HEAD_TERMS",
    "HEAD_WEIGHT_DEFAULTS",
    "cross_variant_contrastive_loss",
    "mix_variants",
    "variance_of_group_losses",
    "within_coarse_logmeanexp",
    "within_coarse_logsumexp",
]


def within_coarse_logsumexp(fine_logits: torch.Tensor, same_coarse: torch.Tensor) -> torch.Tensor:
    """``(batch, num_coarse)``: log-sum-exp of the fine logits of each coarse class (``same_coarse[c, f]``).

    A coarse class without a fine class gets a very large negative value (it had no training example).
    """
    masked = fine_logits.float().unsqueeze(1).masked_fill(~same_coarse.unsqueeze(0), torch.finfo(torch.float32).min)
    return torch.logsumexp(masked, dim=2)


def within_coarse_logmeanexp(fine_logits: torch.Tensor, same_coarse: torch.Tensor) -> torch.Tensor:
    """``(batch, num_coarse)``: log-mean-exp of the fine logits of each coarse class, the fine branch's marginal.

    :func:`within_coarse_logsumexp` less ``log(number of fine classes of c)``. The sum would give every coarse class a
    prior of ``log(its number of fine variants)`` before any training (all fine logits equal): on a class subset the
    model then answered, for every video, the absent class with the most variants, which nothing in the data pushed
    down in time (``tests/test_heads.py``). The mean adds the fine branch's evidence without that prior.
    """
    counts = same_coarse.sum(dim=1).clamp(min=1).to(torch.float32)
    return within_coarse_logsumexp(fine_logits, same_coarse) - counts.log()


def _valid_pairs(coarse_labels: torch.Tensor, fine_labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Rows with both labels, and ``(batch, batch)``: both rows valid, same coarse class, different fine variant."""
    valid = (coarse_labels != IGNORE_INDEX) & (fine_labels != IGNORE_INDEX)
    same_coarse = coarse_labels.unsqueeze(0) == coarse_labels.unsqueeze(1)
    other_variant = fine_labels.unsqueeze(0) != fine_labels.unsqueeze(1)
    return valid, same_coarse & other_variant & valid.unsqueeze(0) & valid.unsqueeze(1)


def variance_of_group_losses(
    per_row_loss: torch.Tensor, groups: torch.Tensor, valid: torch.Tensor, num_groups: int
) -> torch.Tensor:
    """Variance (population, over the groups present) of each group's mean loss: V-REx's penalty.

    0 when every group present has the same mean loss, or only one group is present. No data-dependent branch.
    """
    one_hot = nn.functional.one_hot(groups.clamp(min=0), num_groups).float() * valid.unsqueeze(1).float()
    counts = one_hot.sum(dim=0)
    present = (counts > 0).float()
    means = (per_row_loss.float() @ one_hot) / counts.clamp(min=1)
    num_present = present.sum().clamp(min=1)
    grand_mean = (means * present).sum() / num_present
    return ((means - grand_mean).pow(2) * present).sum() / num_present


def cross_variant_contrastive_loss(
    embeds: torch.Tensor, coarse_labels: torch.Tensor, fine_labels: torch.Tensor, temperature: float
) -> torch.Tensor:
    """Supervised contrastive loss whose positives are clips of the same coarse class and another fine variant.

    Each anchor with at least one such positive contributes ``-mean over positives p of log(exp(s_ap / t) / sum over
    candidates c of exp(s_ac / t))``, where ``s`` is the cosine similarity and the candidates are the other valid clips
    except those of the anchor's own fine variant. 0 (in the graph) when no anchor has a positive.
    """
    valid, positive = _valid_pairs(coarse_labels, fine_labels)
    normalised = nn.functional.normalize(embeds.float(), dim=1)
    similarity = normalised @ normalised.T / temperature
    same_variant = fine_labels.unsqueeze(0) == fine_labels.unsqueeze(1)
    candidate = valid.unsqueeze(0) & valid.unsqueeze(1) & ~same_variant  # excludes the anchor itself
    lowest = torch.finfo(similarity.dtype).min
    log_prob = similarity - torch.logsumexp(similarity.masked_fill(~candidate, lowest), dim=1, keepdim=True)
    num_positive = positive.sum(dim=1)
    per_anchor = -torch.where(positive, log_prob, 0.0).sum(dim=1) / num_positive.clamp(min=1)
    anchors = num_positive > 0
    return torch.where(anchors, per_anchor, 0.0).sum() / anchors.sum().clamp(min=1)


def mix_variants(
    pixel_values: torch.Tensor, coarse_labels: torch.Tensor, fine_labels: torch.Tensor, alpha: float
) -> torch.Tensor:
    """Mix each clip with a random clip of the same coarse class and another fine variant (kept when there is none).

    ``lambda * clip + (1 - lambda) * partner`` over every frame, ``lambda ~ Beta(alpha, alpha)`` per clip; the coarse
    label of the clip is kept. Uses torch's global generator (seeded by the training seed).
    """
    _, partners = _valid_pairs(coarse_labels, fine_labels)
    scores = torch.rand(partners.shape, device=pixel_values.device).masked_fill(~partners, -1.0)
    best, partner = scores.max(dim=1)
    concentration = torch.tensor(float(alpha))
    lam = torch.distributions.Beta(concentration, concentration).sample((len(pixel_values),))
    lam = torch.where(best >= 0, lam.to(pixel_values.device), 1.0).to(pixel_values.dtype)
    lam = lam.view(-1, *([1] * (pixel_values.ndim - 1)))
    return lam * pixel_values + (1 - lam) * pixel_values[partner]
