"""Expanding: objects grow on the spot (resting on the ground) from one named size to another."""

from __future__ import annotations

import numpy as np

from mt_datasets.syn_ta.motions import _kinematics as kin
from mt_datasets.syn_ta.motions.context import MotionContext
from mt_datasets.syn_ta.motions.registry import register_motion
from mt_datasets.syn_ta.timeline import ObjectTrack, Timeline

# "Similar larger size" of two objects: between medium and large, the same for both.
SIZES_LARGER = (1.2, 1.7)


def resize(ctx: MotionContext, starts: list[float], ends: list[float], *, same_look: bool) -> Timeline:
    """Objects on the ground changing scale from ``starts`` to ``ends`` together (eased), standing on the ground.

    ``same_look`` makes them one shape and colour ("two same objects"); otherwise two different shapes.
    Positions keep the objects apart at their largest size. Shared by expanding and shrinking.
    """
    largest = [max(a, b) for a, b in zip(starts, ends, strict=True)]
    positions = ctx.scatter(largest, region=ctx.extent - max(largest) / 2 - 0.3, gap=0.4)
    shapes = [ctx.shape()] * len(starts) if same_look else ctx.distinct_shapes(len(starts))
    colors = [ctx.colors(1)[0]] * len(starts) if same_look else list(ctx.colors(len(starts)))
    begin = ctx.uniform(0.1, 0.3)
    end = begin + ctx.uniform(0.4, 0.6)
    movers: list[ObjectTrack] = []
    for position, shape, color, first, last in zip(positions, shapes, colors, starts, ends, strict=True):
        mover = ctx.track(position, scale=first, role="mover", shape=shape, color=color)
        mover.scale[:] = kin.keyframes(ctx.times, (begin, end), (first, last))
        mover.position[:, 1] = mover.scale / 2  # grows from (shrinks onto) the ground
        movers.append(mover)
    return ctx.timeline(movers, start_scales=starts, end_scales=ends, begin=begin, end=end, shapes=shapes)


@register_motion(coarse="expanding", number=1, start="small", end="medium")
@register_motion(coarse="expanding", number=2, start="small", end="large")
def one_named_size_to_another(ctx: MotionContext, start: str, end: str) -> Timeline:
    """One object changing from a scale of the named size ``start`` to one of ``end`` (see ``SIZES``); shared by
    expanding and shrinking."""
    return resize(ctx, [ctx.size(start)], [ctx.size(end)], same_look=False)


@register_motion(coarse="expanding", number=3)
def two_different_small_to_similar_larger(ctx: MotionContext) -> Timeline:
    """Two different small objects expanding into similar larger size."""
    target = ctx.uniform(SIZES_LARGER[0], SIZES_LARGER[1])
    return resize(ctx, [ctx.size("small"), ctx.size("small")], [target, target], same_look=False)


@register_motion(coarse="expanding", number=4)
def two_same_small_to_different_sizes(ctx: MotionContext) -> Timeline:
    """Two same small objects expanding into different bigger sizes (one at least 1.4x the other)."""
    small = ctx.size("small")
    smaller = ctx.uniform(1.0, 1.3)
    larger = smaller * ctx.uniform(1.4, 1.6)
    return resize(ctx, [small, small], list(np.asarray([smaller, larger])[ctx.rng.permutation(2)]), same_look=True)
