"""Shrinking: objects shrink on the spot (resting on the ground) from one named size to another."""

from __future__ import annotations

import numpy as np

from mt_datasets.syn_ta.motions.context import MotionContext
from mt_datasets.syn_ta.motions.expanding import one_named_size_to_another, resize
from mt_datasets.syn_ta.motions.registry import register_motion
from mt_datasets.syn_ta.timeline import Timeline

register_motion(coarse="shrinking", number=1, start="large", end="medium")(one_named_size_to_another)
register_motion(coarse="shrinking", number=2, start="large", end="very small")(one_named_size_to_another)


@register_motion(coarse="shrinking", number=3)
def two_different_large_to_same_smaller(ctx: MotionContext) -> Timeline:
    """Two different large objects shrinking into same smaller size."""
    target = ctx.size("small")
    return resize(ctx, [ctx.size("large"), ctx.size("large")], [target, target], same_look=False)


@register_motion(coarse="shrinking", number=4)
def two_different_large_to_different_smaller(ctx: MotionContext) -> Timeline:
    """Two different large objects shrinking into different smaller sizes (one at least 1.6x the other)."""
    smaller = ctx.uniform(0.3, 0.45)
    larger = smaller * ctx.uniform(1.7, 2.2)
    ends = list(np.asarray([smaller, larger])[ctx.rng.permutation(2)])
    return resize(ctx, [ctx.size("large"), ctx.size("large")], ends, same_look=False)
