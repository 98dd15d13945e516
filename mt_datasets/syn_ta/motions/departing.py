"""Departing: objects leave the stage, crossing its edge."""

from __future__ import annotations

from mt_datasets.syn_ta.motions.arriving import SIDES, beside, clear_lane_among, cross_edge, lane_targets
from mt_datasets.syn_ta.motions.context import MotionContext
from mt_datasets.syn_ta.motions.registry import register_motion
from mt_datasets.syn_ta.timeline import Timeline


@register_motion(coarse="departing", number=1)
def single_departing(ctx: MotionContext) -> Timeline:
    """Single object departing."""
    scale, side = ctx.size("medium"), ctx.choice(SIDES)
    spot = lane_targets(ctx, [scale], side)[0]
    mover = ctx.track(spot, scale=scale, role="mover")
    start = ctx.uniform(0.1, 0.3)
    end = start + ctx.uniform(0.45, 0.65)
    cross_edge(ctx, mover, spot, side, (start, end), "IO")
    return ctx.timeline([mover], side=side, start=start, end=end)


@register_motion(coarse="departing", number=2)
def multiple_departing_simultaneously(ctx: MotionContext) -> Timeline:
    """Multiple objects departing simultaneously."""
    count, side = ctx.integer(2, 3), ctx.choice(SIDES)
    scales = [ctx.size("medium") * 0.8 for _ in range(count)]
    start = ctx.uniform(0.1, 0.3)
    end = start + ctx.uniform(0.45, 0.65)
    movers = []
    for spot, scale in zip(lane_targets(ctx, scales, side), scales, strict=True):
        mover = ctx.track(spot, scale=scale, role="mover")
        cross_edge(ctx, mover, spot, side, (start, end), "IO")
        movers.append(mover)
    return ctx.timeline(movers, count=count, side=side, start=start, end=end)


@register_motion(coarse="departing", number=3)
def multiple_departing_one_by_one(ctx: MotionContext) -> Timeline:
    """Multiple objects departing one by one."""
    count, side = ctx.integer(2, 3), ctx.choice(SIDES)
    scales = [ctx.size("medium") * 0.8 for _ in range(count)]
    step = ctx.uniform(0.2, 0.85 / count)
    duration = step * ctx.uniform(0.8, 1.0)
    starts = [0.05 + k * step + ctx.uniform(0.0, 0.05) for k in range(count)]
    movers = []
    for spot, scale, start in zip(lane_targets(ctx, scales, side), scales, starts, strict=True):
        mover = ctx.track(spot, scale=scale, role="mover")
        cross_edge(ctx, mover, spot, side, (start, start + duration), "IO")
        movers.append(mover)
    return ctx.timeline(movers, count=count, side=side, starts=starts, duration=duration)


@register_motion(coarse="departing", number=4)
def single_departing_among_many(ctx: MotionContext) -> Timeline:
    """Single object departing among many objects."""
    scale, side = ctx.size("medium") * 0.8, ctx.choice(SIDES)
    distractors, spot = clear_lane_among(ctx, scale, side)
    mover = ctx.track(spot, scale=scale, role="mover")
    start = ctx.uniform(0.1, 0.3)
    end = start + ctx.uniform(0.45, 0.65)
    cross_edge(ctx, mover, spot, side, (start, end), "IO")
    return ctx.timeline([*distractors, mover], side=side, distractors=len(distractors), start=start, end=end)


@register_motion(coarse="departing", number=5)
def single_departing_beside_another(ctx: MotionContext) -> Timeline:
    """Single object departing beside another single object."""
    side = ctx.choice(SIDES)
    anchor_scale, scale = ctx.size("medium"), ctx.size("medium")
    anchor = ctx.track(ctx.scatter([anchor_scale], region=0.2 * ctx.extent)[0], scale=anchor_scale, role="anchor")
    spot, gap = beside(ctx, anchor, scale, side)
    mover = ctx.track(spot, scale=scale, role="mover")
    start = ctx.uniform(0.1, 0.3)
    end = start + ctx.uniform(0.45, 0.65)
    cross_edge(ctx, mover, spot, side, (start, end), "IO")
    return ctx.timeline([anchor, mover], side=side, gap=gap, start=start, end=end)


@register_motion(coarse="departing", number=6)
def departing_beside_then_coming_back(ctx: MotionContext) -> Timeline:
    """Single object departing beside another single object, then coming back shortly to its place."""
    side = ctx.choice(SIDES)
    anchor_scale, scale = ctx.size("medium"), ctx.size("medium")
    anchor = ctx.track(ctx.scatter([anchor_scale], region=0.2 * ctx.extent)[0], scale=anchor_scale, role="anchor")
    spot, gap = beside(ctx, anchor, scale, side)
    mover = ctx.track(spot, scale=scale, role="mover")
    gone = ctx.uniform(0.35, 0.42)
    back = gone + ctx.uniform(0.08, 0.15)
    times = (ctx.uniform(0.03, 0.08), gone, back, back + ctx.uniform(0.3, 0.38))
    cross_edge(ctx, mover, spot, side, times, "IOOI")
    return ctx.timeline([anchor, mover], side=side, gap=gap, times=times)
