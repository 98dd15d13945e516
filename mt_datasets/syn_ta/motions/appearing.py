"""Appearing: objects fade in by increasing opacity."""

from __future__ import annotations

from mt_datasets.syn_ta.motions import _kinematics as kin
from mt_datasets.syn_ta.motions.context import MotionContext
from mt_datasets.syn_ta.motions.registry import register_motion
from mt_datasets.syn_ta.timeline import Timeline


@register_motion(coarse="appearing", number=1)
def single_appearing(ctx: MotionContext) -> Timeline:
    """Single object appearing by increasing opacity."""
    scale = ctx.size("medium")
    mover = ctx.track(ctx.scatter([scale], region=0.5 * ctx.extent)[0], scale=scale, role="mover")
    start, duration = ctx.uniform(0.05, 0.35), ctx.uniform(0.3, 0.55)
    kin.fade(mover, ctx.times, start, start + duration, appear=True)
    return ctx.timeline([mover], start=start, duration=duration)


@register_motion(coarse="appearing", number=2)
def multiple_appearing_simultaneously(ctx: MotionContext) -> Timeline:
    """Multiple objects all appearing simultaneously by increasing opacity."""
    count = ctx.integer(2, 4)
    scales = [ctx.size("medium") * 0.8 for _ in range(count)]
    movers = [
        ctx.track(p, scale=s, role="mover")
        for p, s in zip(ctx.scatter(scales, region=0.7 * ctx.extent), scales, strict=True)
    ]
    start, duration = ctx.uniform(0.05, 0.35), ctx.uniform(0.3, 0.55)
    for mover in movers:
        kin.fade(mover, ctx.times, start, start + duration, appear=True)
    return ctx.timeline(movers, count=count, start=start, duration=duration)


@register_motion(coarse="appearing", number=3)
def multiple_appearing_one_by_one(ctx: MotionContext) -> Timeline:
    """Multiple objects all appearing one by one by increasing opacity."""
    count = ctx.integer(3, 4)
    scales = [ctx.size("medium") * 0.8 for _ in range(count)]
    movers = [
        ctx.track(p, scale=s, role="mover")
        for p, s in zip(ctx.scatter(scales, region=0.7 * ctx.extent), scales, strict=True)
    ]
    # Each fade ends before the next begins, so the order is readable even at the minimum frame count.
    first = ctx.uniform(0.02, 0.12)
    step = ctx.uniform(0.16, (0.95 - first) / count)
    duration = step * ctx.uniform(0.6, 0.85)
    starts = [first + k * step for k in range(count)]
    for mover, start in zip(movers, starts, strict=True):
        kin.fade(mover, ctx.times, start, start + duration, appear=True)
    return ctx.timeline(movers, count=count, starts=starts, duration=duration)


@register_motion(coarse="appearing", number=4)
def two_appearing_among_two(ctx: MotionContext) -> Timeline:
    """Two objects appearing among two other objects: four slots in a row, the two new ones not both outside."""
    # S stays, A appears; at least one A lies between the two S ("among" them, not beside them).
    arrangement = ctx.choice(("SASA", "ASAS", "SAAS"))
    xs = ctx.spread(4, -0.75 * ctx.extent, 0.75 * ctx.extent, 1.9)
    depth = ctx.uniform(-0.4, 0.4) * ctx.extent
    start, duration = ctx.uniform(0.1, 0.35), ctx.uniform(0.3, 0.5)
    objects = []
    for x, kind in zip(xs, arrangement, strict=True):
        scale = ctx.size("medium") * 0.85
        role = "mover" if kind == "A" else "distractor"
        track = ctx.track((x, 0.0, depth + ctx.uniform(-0.3, 0.3)), scale=scale, role=role, resting=True)
        if kind == "A":
            kin.fade(track, ctx.times, start, start + duration, appear=True)
        objects.append(track)
    return ctx.timeline(objects, arrangement=arrangement, start=start, duration=duration)
