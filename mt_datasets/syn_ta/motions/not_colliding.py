"""Not colliding: objects head for each other (or for still objects) and stop or pass with a gap between them."""

from __future__ import annotations

import numpy as np

from mt_datasets.syn_ta.motions import _kinematics as kin
from mt_datasets.syn_ta.motions.context import MotionContext
from mt_datasets.syn_ta.motions.registry import register_motion
from mt_datasets.syn_ta.timeline import ObjectTrack, Timeline

# Gap left between collision spheres where the objects stop: visible, but close enough to read as "almost".
STOP_GAP = (0.2, 0.6)


def _timing(ctx: MotionContext) -> tuple[float, float]:
    begin = ctx.uniform(0.05, 0.2)
    return begin, begin + ctx.uniform(0.5, 0.7)


def _approach(ctx: MotionContext, center, count: int, scale: float, ring: float, begin: float, end: float):
    """``count`` objects on a ring of radius ``ring`` moving straight towards ``center`` and stopping short, their
    collision spheres ``STOP_GAP`` apart."""
    radius = float(kin.collision_radius(scale))
    gap = ctx.uniform(*STOP_GAP)
    # The ring where neighbours are 2 radii + gap apart (two objects: facing each other across the centre).
    stop = (radius + gap / 2) / np.sin(np.pi / count) if count > 2 else radius + gap / 2
    phase = ctx.uniform(0, 2 * np.pi)
    movers = []
    for k in range(count):
        out = np.array([np.cos(phase + 2 * np.pi * k / count), 0.0, np.sin(phase + 2 * np.pi * k / count)])
        mover = ctx.track(center + out * ring, scale=scale, role="mover", resting=True)
        mover.position[:] = kin.keyframes(ctx.times, (begin, end), (mover.position[0], center + out * stop))
        mover.position[:, 1] = scale / 2
        movers.append(mover)
    return movers, gap


def _towards_still(ctx: MotionContext, still: list[ObjectTrack], scale: float) -> tuple[ObjectTrack, float, float]:
    """A mover heading for one of the ``still`` objects from 1.6-2.4 units away and stopping short of it."""
    radius = float(kin.collision_radius(scale))
    begin, end = _timing(ctx)

    centroid = np.mean([s.position[0] for s in still], axis=0)

    def draw() -> dict:
        target = still[int(ctx.rng.integers(len(still)))]
        outward = target.position[0] - centroid
        if len(still) == 1 or np.linalg.norm(outward[[0, 2]]) < 1e-6:
            heading = ctx.direction()
        else:
            # Come in from outside the group, within 45 degrees of the line from its centre through the target.
            turn = ctx.uniform(-np.pi / 4, np.pi / 4) + np.arctan2(-outward[2], -outward[0])
            heading = np.array([np.cos(turn), 0.0, np.sin(turn)])
        gap = ctx.uniform(*STOP_GAP)
        stop = target.position[0] - heading * (float(kin.collision_radius(target.scale[0])) + radius + gap)
        start = stop - heading * ctx.uniform(1.6, 2.4)
        stop[1] = start[1] = scale / 2
        return {"start": start, "stop": stop, "gap": gap}

    def valid(p: dict) -> bool:
        if not ctx.inside(np.array([p["start"], p["stop"]]), scale, 0.1):
            return False
        # Every still object clear of the whole straight approach, not only the one aimed at.
        return all(
            kin.segment_distance(s.position[0], p["start"], p["stop"])
            >= kin.collision_radius(s.scale[0]) + radius + p["gap"] - 1e-6
            for s in still
        )

    p = ctx.resample(draw, valid, "a clear approach to the still objects")
    mover = ctx.track(p["start"], scale=scale, role="mover")
    mover.position[:] = kin.keyframes(ctx.times, (begin, end), (p["start"], p["stop"]))
    return mover, p["gap"], begin


@register_motion(coarse="not colliding", number=1)
def two_towards_each_other(ctx: MotionContext) -> Timeline:
    """Two objects moving towards each other but not colliding: they stop just short of each other."""
    scale = ctx.size("medium") * 0.8
    center = ctx.ground_point(0.5)
    begin, end = _timing(ctx)
    movers, gap = _approach(ctx, center, 2, scale, ctx.uniform(2.4, 3.0), begin, end)
    return ctx.timeline(movers, gap=gap, begin=begin, end=end)


@register_motion(coarse="not colliding", number=2)
def towards_still_object(ctx: MotionContext) -> Timeline:
    """Single object moving towards single stationary object but not colliding with it."""
    anchor_scale = ctx.size("medium")
    anchor = ctx.track(ctx.scatter([anchor_scale], region=0.3 * ctx.extent)[0], scale=anchor_scale, role="anchor")
    mover, gap, begin = _towards_still(ctx, [anchor], ctx.size("medium") * 0.8)
    return ctx.timeline([anchor, mover], gap=gap, begin=begin)


@register_motion(coarse="not colliding", number=3)
def many_towards_each_other(ctx: MotionContext) -> Timeline:
    """Multiple objects moving towards each other but not colliding among themselves."""
    count = ctx.integer(3, 4)
    scale = ctx.size("small") * 1.2
    center = ctx.ground_point(0.4)
    begin, end = _timing(ctx)
    movers, gap = _approach(ctx, center, count, scale, ctx.uniform(2.5, 3.0), begin, end)
    return ctx.timeline(movers, count=count, gap=gap, begin=begin, end=end)


@register_motion(coarse="not colliding", number=4)
def opposite_circles(ctx: MotionContext) -> Timeline:
    """Two objects moving in opposite directions in circular path but not colliding later: on two concentric circles,
    one clockwise and one counter clockwise (seen from above), they pass each other with a gap."""
    scales = [ctx.size("medium") * 0.75 for _ in range(2)]
    inner = ctx.uniform(1.0, 1.4)
    outer = inner + float(sum(kin.collision_radius(s) for s in scales)) + ctx.uniform(0.2, 0.5)  # <= 3.4: on stage
    sweep = ctx.uniform(1.2, 1.6) * np.pi  # each goes more than half way round, so they meet and pass
    first_direction = ctx.sign()  # +1: the inner object runs clockwise
    start = ctx.uniform(0, 2 * np.pi)
    begin, end = _timing(ctx)
    progress = kin.ramp(ctx.times, begin, end)
    movers = []
    for radius, scale, direction, offset in (
        (inner, scales[0], first_direction, 0.0),
        (outer, scales[1], -first_direction, np.pi),
    ):
        angle = start + offset + direction * sweep * progress
        mover = ctx.track((0, 0, 0), scale=scale, role="mover")
        mover.position[:] = kin.orbit((0.0, scale / 2, 0.0), radius, angle, "horizontal")
        movers.append(mover)
    return ctx.timeline(
        movers, radii=(inner, outer), sweep=sweep, inner_clockwise=first_direction > 0, begin=begin, end=end
    )


@register_motion(coarse="not colliding", number=5)
def towards_many_still_objects(ctx: MotionContext) -> Timeline:
    """One object moving towards multiple stationary objects but not colliding."""
    count = ctx.integer(2, 4)
    scales = [ctx.size("medium") * 0.6 for _ in range(count)]
    cluster = ctx.scatter(scales, region=0.35 * ctx.extent, gap=0.3)
    still = [ctx.track(p, scale=s, role="anchor") for p, s in zip(cluster, scales, strict=True)]
    mover, gap, begin = _towards_still(ctx, still, ctx.size("medium") * 0.6)
    return ctx.timeline([*still, mover], count=count, gap=gap, begin=begin)
