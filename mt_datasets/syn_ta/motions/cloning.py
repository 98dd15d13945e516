"""Cloning: identical copies emerge from a source object and move away from it."""

from __future__ import annotations

import numpy as np

from mt_datasets.syn_ta.motions import _kinematics as kin
from mt_datasets.syn_ta.motions.context import MotionContext
from mt_datasets.syn_ta.motions.registry import register_motion
from mt_datasets.syn_ta.timeline import ObjectTrack, Timeline


def _clone(ctx: MotionContext, source: ObjectTrack, at: float, color=None) -> ObjectTrack:
    """A copy of ``source`` (shape, colour unless given, size, turn) hidden until time ``at``, where it emerges."""
    clone = ctx.track(
        source.position[0],
        scale=float(source.scale[0]),
        role="clone",
        shape=source.shape[0],
        color=source.color[0] if color is None else color,
    )
    clone.rotation[:] = source.rotation
    clone.visible[:] = ctx.times >= at
    return clone


@register_motion(coarse="cloning", number=1, same_direction=True)
@register_motion(coarse="cloning", number=2, same_direction=False)
def clone_pair(ctx: MotionContext, *, same_direction: bool) -> Timeline:
    """A source splits in two; both glide off, side by side the same way or in directions over 100 degrees apart."""
    scale = ctx.size("medium") * 0.8
    at = ctx.uniform(0.2, 0.4)
    end = at + ctx.uniform(0.4, 0.55)
    radius = float(kin.collision_radius(scale))

    def draw() -> dict:
        heading = ctx.direction()
        distance = ctx.uniform(2.0, 3.0)
        if same_direction:
            side = np.array([-heading[2], 0.0, heading[0]])
            half_gap = radius + ctx.uniform(0.2, 0.5)
            ends = (heading * distance + side * half_gap, heading * distance - side * half_gap)
        else:
            turn = ctx.uniform(np.radians(100), np.pi) * ctx.sign()  # clearly apart: more than a right angle
            other = np.array(
                [
                    np.cos(turn) * heading[0] - np.sin(turn) * heading[2],
                    0.0,
                    np.sin(turn) * heading[0] + np.cos(turn) * heading[2],
                ]
            )
            ends = (heading * distance, other * distance)
        origin = ctx.rng.uniform(-1.0, 1.0, 3) * [1.0, 0.0, 1.0]
        return {"origin": origin, "ends": [origin + e for e in ends]}

    p = ctx.resample(draw, lambda p: ctx.inside(np.asarray(p["ends"]), scale, margin=0.1), "both ends on the stage")
    source = ctx.track(p["origin"], scale=scale, role="source", resting=True)
    clone = _clone(ctx, source, at)
    for track, goal in zip((source, clone), p["ends"], strict=True):
        goal = np.asarray(goal)
        goal[1] = scale / 2
        track.position[:] = kin.keyframes(ctx.times, (at, end), (source.position[0], goal))
    return ctx.timeline([source, clone], at=at, end=end, **p)


def _ring(ctx: MotionContext, count: int, starts: list[float], glide: float, colors=None) -> Timeline:
    """Clones emerge from a still source at ``starts`` and glide to evenly spaced slots on a ring around it.

    ``colors``: the source's colour, then one per clone (``None`` for an identical copy); random when omitted.
    """
    scale = ctx.size("medium") * 0.7
    radius = float(kin.collision_radius(scale))
    # Slots 2 radii + a gap apart along the ring's chord, and the ring clear of the source.
    ring = max(2 * radius + 0.4, (radius + 0.3) / np.sin(np.pi / count)) + ctx.uniform(0.0, 0.4)
    center = np.zeros(3)
    center[[0, 2]] = ctx.rng.uniform(-1, 1, 2) * (ctx.extent - ring - scale)
    colors = colors or [None] * (count + 1)
    source = ctx.track(center, scale=scale, role="source", resting=True, color=colors[0])
    phase = ctx.uniform(0, 2 * np.pi)
    clones = []
    for k, start in enumerate(starts):
        clone = _clone(ctx, source, start, colors[k + 1])
        angle = phase + 2 * np.pi * k / count
        slot = source.position[0] + ring * np.array([np.cos(angle), 0.0, np.sin(angle)])
        clone.position[:] = kin.keyframes(ctx.times, (start, start + glide), (source.position[0], slot))
        clones.append(clone)
    return ctx.timeline([source, *clones], count=count, starts=starts, glide=glide, ring=ring)


@register_motion(coarse="cloning", number=3)
def clone_many_one_by_one(ctx: MotionContext) -> Timeline:
    """Single object cloning into multiple identical objects one by one."""
    count = ctx.integer(2, 4)
    step = ctx.uniform(0.16, 0.8 / count)
    first = ctx.uniform(0.05, 0.12)
    return _ring(ctx, count, [first + k * step for k in range(count)], glide=step * ctx.uniform(0.7, 0.95))


@register_motion(coarse="cloning", number=4)
def clone_many_at_once(ctx: MotionContext) -> Timeline:
    """Single object cloning into multiple identical objects at once."""
    count = ctx.integer(2, 4)
    return _ring(ctx, count, [ctx.uniform(0.15, 0.4)] * count, glide=ctx.uniform(0.3, 0.5))


@register_motion(coarse="cloning", number=5)
def clone_identical_and_recoloured(ctx: MotionContext) -> Timeline:
    """Single object cloning into one identical object and another object with different colour (both at once)."""
    base, other = ctx.colors(2)
    timeline = _ring(ctx, 2, [ctx.uniform(0.15, 0.4)] * 2, glide=ctx.uniform(0.3, 0.5), colors=[base, None, other])
    timeline.meta["other_color"] = [round(float(c), 6) for c in other]
    return timeline
