"""Moving in a path: objects glide from place to place on the ground (slow or quick, there and back, swapping)."""

from __future__ import annotations

import numpy as np

from mt_datasets.syn_ta.motions import _kinematics as kin
from mt_datasets.syn_ta.motions.context import MotionContext
from mt_datasets.syn_ta.motions.registry import register_motion
from mt_datasets.syn_ta.timeline import Timeline


def _two_spots(ctx: MotionContext, scale: float, low: float, high: float) -> tuple[np.ndarray, np.ndarray]:
    """Two ground positions ``low``-``high`` apart, both on the stage."""

    def draw() -> dict:
        start = ctx.scatter([scale], region=ctx.extent - scale)[0]
        return {"start": start, "end": start + ctx.direction() * ctx.uniform(low, high)}

    p = ctx.resample(draw, lambda p: ctx.inside(p["end"][None], scale, 0.2), "a destination on the stage")
    return p["start"], p["end"]


def _move_and_stop(ctx: MotionContext, duration: tuple[float, float]) -> Timeline:
    scale = ctx.size("medium")
    start, end = _two_spots(ctx, scale, 2.5, 4.0)
    mover = ctx.track(start, scale=scale, role="mover")
    span = ctx.uniform(*duration)
    begin = ctx.uniform(0.05, 0.85 - span)  # at least the last 15 % of the clip at rest
    mover.position[:] = kin.keyframes(ctx.times, (begin, begin + span), (start, end))
    return ctx.timeline([mover], start=start, end=end, begin=begin, duration=span)


@register_motion(coarse="moving in a path", number=1)
def slowly_and_stopping(ctx: MotionContext) -> Timeline:
    """Single object moving slowly from one position to another and stopping (the move lasts 55-70 % of the clip)."""
    return _move_and_stop(ctx, (0.55, 0.7))


@register_motion(coarse="moving in a path", number=2)
def quickly_and_stopping(ctx: MotionContext) -> Timeline:
    """Single object moving quickly from one position to another and stopping (the move lasts 12-22 % of the clip)."""
    return _move_and_stop(ctx, (0.12, 0.22))


@register_motion(coarse="moving in a path", number=3)
def there_and_back(ctx: MotionContext) -> Timeline:
    """Single object moving slowly from one position to another and coming back to original position."""
    scale = ctx.size("medium")
    start, end = _two_spots(ctx, scale, 2.5, 4.0)
    mover = ctx.track(start, scale=scale, role="mover")
    go = ctx.uniform(0.03, 0.1)
    arrive = go + ctx.uniform(0.3, 0.38)
    leave = arrive + ctx.uniform(0.08, 0.15)
    back = leave + ctx.uniform(0.3, 0.38)
    times = (go, arrive, leave, back)
    mover.position[:] = kin.keyframes(ctx.times, times, (start, end, end, start))
    return ctx.timeline([mover], start=start, end=end, times=times)


@register_motion(coarse="moving in a path", number=4)
def two_switching_positions(ctx: MotionContext) -> Timeline:
    """Two objects moving and switching their positions, each bowing to its own side so they pass without touching."""
    scales = [ctx.size("medium") * 0.8 for _ in range(2)]
    begin = ctx.uniform(0.05, 0.2)
    end = begin + ctx.uniform(0.55, 0.7)
    progress = kin.smoothstep(kin.ramp(ctx.times, begin, end))
    reach = float(sum(kin.collision_radius(s) for s in scales))

    def draw() -> dict:
        spots = ctx.scatter(scales, region=ctx.extent - 1.5, gap=1.0)
        bulge = reach / 2 + ctx.uniform(0.2, 0.5)
        return {"spots": spots, "bulge": bulge, "paths": kin.swap_paths(spots[0], spots[1], progress, bulge)}

    def clear(p: dict) -> bool:
        return kin.min_gap(p["paths"], scales) > 0.1 and ctx.inside(np.concatenate(p["paths"]), max(scales))

    p = ctx.resample(draw, clear, "two passing paths on the stage")
    movers = []
    for spot, scale, path in zip(p["spots"], scales, p["paths"], strict=True):
        mover = ctx.track(spot, scale=scale, role="mover")
        mover.position[:] = path
        mover.position[:, 1] = scale / 2
        movers.append(mover)
    return ctx.timeline(movers, spots=p["spots"], bulge=p["bulge"], begin=begin, end=end)


@register_motion(coarse="moving in a path", number=5, direction=1.0)
@register_motion(coarse="moving in a path", number=6, direction=-1.0)
def across(ctx: MotionContext, direction: float) -> Timeline:
    """Across the front camera's view along x (``direction`` +1: left to right, -1: right to left)."""
    scale = ctx.size("medium")
    distance = ctx.uniform(4.0, 2 * (ctx.extent - scale) - 0.2)
    x0 = -direction * distance / 2 + ctx.uniform(-0.1, 0.1)
    depth = ctx.uniform(-0.5, 0.5) * ctx.extent
    mover = ctx.track((x0, 0.0, depth), scale=scale, role="mover", resting=True)
    begin = ctx.uniform(0.0, 0.15)
    end = begin + ctx.uniform(0.65, 0.85)
    mover.position[:, 0] = kin.keyframes(ctx.times, (begin, end), (x0, x0 + direction * distance))
    return ctx.timeline([mover], distance=distance, depth=depth, begin=begin, end=end)
