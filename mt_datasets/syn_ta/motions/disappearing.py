"""Disappearing: objects fade out by decreasing opacity."""

from __future__ import annotations

from mt_datasets.syn_ta.motions import _kinematics as kin
from mt_datasets.syn_ta.motions.context import MotionContext
from mt_datasets.syn_ta.motions.registry import register_motion
from mt_datasets.syn_ta.timeline import Timeline


@register_motion(coarse="disappearing", number=1)
def single_disappearing(ctx: MotionContext) -> Timeline:
    """Single object disappearing by decreasing opacity."""
    scale = ctx.size("medium")
    mover = ctx.track(ctx.scatter([scale], region=0.5 * ctx.extent)[0], scale=scale, role="mover")
    start, duration = ctx.uniform(0.1, 0.4), ctx.uniform(0.3, 0.5)
    kin.fade(mover, ctx.times, start, start + duration, appear=False)
    return ctx.timeline([mover], start=start, duration=duration)


@register_motion(coarse="disappearing", number=2)
def multiple_disappearing_simultaneously(ctx: MotionContext) -> Timeline:
    """Multiple objects all disappearing simultaneously by decreasing opacity."""
    count = ctx.integer(2, 4)
    scales = [ctx.size("medium") * 0.8 for _ in range(count)]
    movers = [
        ctx.track(p, scale=s, role="mover")
        for p, s in zip(ctx.scatter(scales, region=0.7 * ctx.extent), scales, strict=True)
    ]
    start, duration = ctx.uniform(0.1, 0.4), ctx.uniform(0.3, 0.5)
    for mover in movers:
        kin.fade(mover, ctx.times, start, start + duration, appear=False)
    return ctx.timeline(movers, count=count, start=start, duration=duration)


@register_motion(coarse="disappearing", number=3)
def multiple_disappearing_one_by_one(ctx: MotionContext) -> Timeline:
    """Multiple objects all disappearing one by one by decreasing opacity."""
    count = ctx.integer(3, 4)
    scales = [ctx.size("medium") * 0.8 for _ in range(count)]
    movers = [
        ctx.track(p, scale=s, role="mover")
        for p, s in zip(ctx.scatter(scales, region=0.7 * ctx.extent), scales, strict=True)
    ]
    first = ctx.uniform(0.05, 0.15)
    step = ctx.uniform(0.16, (0.95 - first) / count)
    duration = step * ctx.uniform(0.6, 0.85)
    starts = [first + k * step for k in range(count)]
    for mover, start in zip(movers, starts, strict=True):
        kin.fade(mover, ctx.times, start, start + duration, appear=False)
    return ctx.timeline(movers, count=count, starts=starts, duration=duration)


@register_motion(coarse="disappearing", number=4)
def some_disappearing_some_remaining(ctx: MotionContext) -> Timeline:
    """Multiple objects some disappearing and some remaining."""
    count = ctx.integer(3, 5)
    leaving = ctx.integer(1, count - 1)
    scales = [ctx.size("medium") * 0.75 for _ in range(count)]
    positions = ctx.scatter(scales, region=0.7 * ctx.extent)
    order = ctx.rng.permutation(count)
    objects, starts = [], []
    for k, (position, scale) in enumerate(zip(positions, scales, strict=True)):
        goes = bool(order[k] < leaving)
        track = ctx.track(position, scale=scale, role="mover" if goes else "distractor")
        if goes:
            start = ctx.uniform(0.1, 0.45)
            kin.fade(track, ctx.times, start, start + ctx.uniform(0.25, 0.45), appear=False)
            starts.append(start)
        objects.append(track)
    return ctx.timeline(objects, count=count, disappearing=leaving, starts=starts)
