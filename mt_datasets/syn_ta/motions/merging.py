"""Merging: objects come together and are replaced, at the moment they touch, by one object."""

from __future__ import annotations

import numpy as np

from mt_datasets.syn_ta.motions import _kinematics as kin
from mt_datasets.syn_ta.motions.context import MotionContext
from mt_datasets.syn_ta.motions.registry import register_motion
from mt_datasets.syn_ta.timeline import ObjectTrack, Timeline


def _merge(ctx: MotionContext, sources: list[ObjectTrack], at: float, where, scale: float) -> ObjectTrack:
    """Hide ``sources`` from time ``at`` and show there, at ``where``, the merged object of ``scale`` (the first
    source's shape, the sources' mean colour)."""
    for source in sources:
        source.visible[ctx.times >= at] = False
    color = np.mean([s.color[0] for s in sources], axis=0)
    merged = ctx.track(where, scale=scale, role="merged", shape=sources[0].shape[0], color=color, resting=True)
    merged.visible[:] = ctx.times >= at
    return merged


def _converge(ctx: MotionContext, center, count: int, scale: float, ring: float, begin: float, at: float):
    """``count`` sources on a ring of radius ``ring`` around ``center`` moving straight in, touching at ``at``."""
    phase = ctx.uniform(0, 2 * np.pi)
    # Where the sources touch: adjacent ones a scale apart on a small ring (the two-object case: just touching).
    touch = scale / 2 / np.sin(np.pi / count) if count > 2 else scale / 2
    sources = []
    for k in range(count):
        angle = phase + 2 * np.pi * k / count
        out = np.array([np.cos(angle), 0.0, np.sin(angle)])
        source = ctx.track(center + out * ring, scale=scale, role="source", resting=True)
        source.position[:] = kin.keyframes(
            ctx.times, (begin, at), (source.position[0], source.position[0] - out * (ring - touch)), easing=False
        )
        sources.append(source)
    return sources


@register_motion(coarse="merging", number=1)
def two_merging_moving_towards(ctx: MotionContext) -> Timeline:
    """Two objects merging into one similar sized object while moving towards each other."""
    scale = ctx.size("medium") * 0.8
    center = ctx.ground_point(0.8)
    ring, begin, at = ctx.uniform(2.0, 2.6), ctx.uniform(0.05, 0.2), ctx.uniform(0.55, 0.75)
    sources = _converge(ctx, center, 2, scale, ring, begin, at)
    merged_scale = scale * ctx.uniform(0.95, 1.15)
    merged = _merge(ctx, sources, at, center, merged_scale)
    return ctx.timeline([*sources, merged], begin=begin, at=at, ring=ring, merged_scale=merged_scale)


@register_motion(coarse="merging", number=2)
def faster_merging_with_slower(ctx: MotionContext) -> Timeline:
    """Faster object merging with slower object into one similar sized object while moving in same direction: the
    fast one catches the slow one up from behind; the merged object carries on at the slow one's speed."""
    scale = ctx.size("medium") * 0.75

    def draw() -> dict:
        heading = ctx.direction()
        slow = ctx.uniform(2.0, 3.0)  # stage units per clip
        fast = slow * ctx.uniform(2.0, 3.0)
        at = ctx.uniform(0.5, 0.7)
        front = ctx.rng.uniform(-1.0, 1.0, 3) * [1, 0, 1] - heading * slow * 0.5
        behind = front - heading * ((fast - slow) * at + scale)  # touching (a scale apart) at time ``at``
        return {"heading": heading, "slow": slow, "fast": fast, "at": at, "front": front, "behind": behind}

    def on_stage(p: dict) -> bool:
        ends = [p["behind"], p["front"] + p["heading"] * p["slow"]]
        return ctx.inside(np.asarray(ends), scale, 0.1)

    p = ctx.resample(draw, on_stage, "both paths on the stage")
    t = ctx.times[:, None]
    slow_one = ctx.track(p["front"], scale=scale, role="source", resting=True)
    fast_one = ctx.track(p["behind"], scale=scale, role="source", resting=True)
    slow_one.position[:] = slow_one.position[0] + t * p["slow"] * p["heading"]
    fast_one.position[:] = fast_one.position[0] + t * p["fast"] * p["heading"]
    meeting = slow_one.position[0] + p["heading"] * (p["slow"] * p["at"] - scale / 2)
    merged = _merge(ctx, [fast_one, slow_one], p["at"], meeting, scale * ctx.uniform(0.95, 1.15))
    merged.position[:] = meeting + np.clip(t - p["at"], 0, None) * p["slow"] * p["heading"]
    merged.position[:, 1] = merged.scale / 2
    return ctx.timeline([fast_one, slow_one, merged], **p)


@register_motion(coarse="merging", number=3)
def many_merging_into_one_big(ctx: MotionContext) -> Timeline:
    """Multiple objects merging into one big object (at least 1.6x a source)."""
    count = ctx.integer(3, 4)
    scale = ctx.size("small") * 1.2
    center = ctx.ground_point(0.5)
    ring, begin, at = ctx.uniform(2.2, 2.8), ctx.uniform(0.05, 0.2), ctx.uniform(0.55, 0.75)
    sources = _converge(ctx, center, count, scale, ring, begin, at)
    big = scale * ctx.uniform(1.8, 2.3)
    merged = _merge(ctx, sources, at, center, big)
    return ctx.timeline([*sources, merged], count=count, ring=ring, begin=begin, at=at, merged_scale=big)


@register_motion(coarse="merging", number=4)
def many_merging_into_many_big(ctx: MotionContext) -> Timeline:
    """Multiple objects merging into multiple big objects: two groups, each merging into its own big object."""
    scale = ctx.size("small")
    begin, at = ctx.uniform(0.05, 0.2), ctx.uniform(0.55, 0.75)
    axis = ctx.direction()
    ring = ctx.uniform(1.1, 1.3)
    # The groups' rings clear of each other whichever way their sources face.
    separation = 2 * ring + 2 * float(kin.collision_radius(scale)) + ctx.uniform(0.3, 0.7)
    objects, groups = [], []
    for side in (-1.0, 1.0):
        count = ctx.integer(2, 3)
        center = axis * side * separation / 2
        sources = _converge(ctx, center, count, scale, ring=ring, begin=begin, at=at)
        big = scale * ctx.uniform(1.8, 2.2)
        objects += [*sources, _merge(ctx, sources, at, center, big)]
        groups.append(count)
    return ctx.timeline(objects, groups=groups, ring=ring, separation=separation, begin=begin, at=at)
