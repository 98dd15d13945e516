"""Changing shape: an object's shape switches (into a named shape, with another object, or there and back)."""

from __future__ import annotations

from mt_datasets.syn_ta.motions.context import MotionContext
from mt_datasets.syn_ta.motions.registry import register_motion
from mt_datasets.syn_ta.timeline import ObjectTrack, Timeline


def _switch(ctx: MotionContext, track: ObjectTrack, shapes: list[str], times: list[float]) -> None:
    """``track`` shows ``shapes[k]`` from ``times[k - 1]`` on (an instant morph, as the release's cut)."""
    for shape, start in zip(shapes[1:], times, strict=True):
        track.shape[ctx.times >= start] = shape


@register_motion(coarse="changing shape", number=1, target="pyramid")
@register_motion(coarse="changing shape", number=2, target="cube")
@register_motion(coarse="changing shape", number=3, target="sphere")
@register_motion(coarse="changing shape", number=4, target="cylinder")
def into_shape(ctx: MotionContext, target: str) -> Timeline:
    """One object of another shape turning into ``target`` at one instant."""
    source = ctx.shape(exclude=(target,))  # "of other shape": never already the target
    scale = ctx.size("medium")
    mover = ctx.track(ctx.scatter([scale], region=0.5 * ctx.extent)[0], scale=scale, role="mover", shape=source)
    change = ctx.uniform(0.3, 0.7)
    _switch(ctx, mover, [source, target], [change])
    return ctx.timeline([mover], source=source, target=target, change=change)


@register_motion(coarse="changing shape", number=5)
def two_switch_shapes(ctx: MotionContext) -> Timeline:
    """Two objects changing shapes by switching with each other."""
    shapes = ctx.distinct_shapes(2)
    scales = [ctx.size("medium") for _ in range(2)]
    movers = [
        ctx.track(p, scale=s, role="mover", shape=shape)
        for p, s, shape in zip(ctx.scatter(scales, region=0.6 * ctx.extent, gap=0.5), scales, shapes, strict=True)
    ]
    change = ctx.uniform(0.3, 0.7)
    _switch(ctx, movers[0], shapes, [change])
    _switch(ctx, movers[1], shapes[::-1], [change])
    return ctx.timeline(movers, shapes=shapes, change=change)


@register_motion(coarse="changing shape", number=6)
def change_shape_and_back(ctx: MotionContext) -> Timeline:
    """Single object changing into another shape then turning back to original shape."""
    original, other = ctx.distinct_shapes(2)
    scale = ctx.size("medium")
    mover = ctx.track(ctx.scatter([scale], region=0.5 * ctx.extent)[0], scale=scale, role="mover", shape=original)
    change = ctx.uniform(0.2, 0.4)
    back = change + ctx.uniform(0.25, 0.4)
    _switch(ctx, mover, [original, other, original], [change, back])
    return ctx.timeline([mover], shapes=(original, other), change=change, back=back)
