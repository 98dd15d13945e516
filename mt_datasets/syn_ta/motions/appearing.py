"""Appearing: objects fade in by increasing opacity.

Disappearing is the same fade the other way, so the first three programs here serve both coarse classes: each takes
a ``Fade`` (which way, and the timing ranges of that class) and ``disappearing.py`` registers them with its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from mt_datasets.syn_ta.motions import _kinematics as kin
from mt_datasets.syn_ta.motions.context import MotionContext
from mt_datasets.syn_ta.motions.registry import register_motion
from mt_datasets.syn_ta.timeline import ObjectTrack, Timeline


@dataclass(frozen=True)
class Fade:
    """Which way objects fade and the timing ranges (fractions of the clip) a coarse class draws from.

    Attributes:
        appear: ``True`` fades in (opacity 0 to 1), ``False`` fades out.
        start / duration: when a fade starts, and how long it takes (one object, or several together).
        first: "one by one": when the first fade starts.
    """

    appear: bool
    start: tuple[float, float]
    duration: tuple[float, float]
    first: tuple[float, float]


APPEARING = Fade(appear=True, start=(0.05, 0.35), duration=(0.3, 0.55), first=(0.02, 0.12))


def _scattered_movers(ctx: MotionContext, count: int) -> list[ObjectTrack]:
    scales = [ctx.size("medium") * 0.8 for _ in range(count)]
    return [
        ctx.track(p, scale=s, role="mover")
        for p, s in zip(ctx.scatter(scales, region=0.7 * ctx.extent), scales, strict=True)
    ]


@register_motion(coarse="appearing", number=1, fade=APPEARING)
def single(ctx: MotionContext, fade: Fade) -> Timeline:
    """Single object appearing (disappearing) by increasing (decreasing) opacity."""
    scale = ctx.size("medium")
    mover = ctx.track(ctx.scatter([scale], region=0.5 * ctx.extent)[0], scale=scale, role="mover")
    start, duration = ctx.uniform(*fade.start), ctx.uniform(*fade.duration)
    kin.fade(mover, ctx.times, start, start + duration, appear=fade.appear)
    return ctx.timeline([mover], start=start, duration=duration)


@register_motion(coarse="appearing", number=2, fade=APPEARING)
def simultaneously(ctx: MotionContext, fade: Fade) -> Timeline:
    """Multiple objects all appearing (disappearing) simultaneously."""
    count = ctx.integer(2, 4)
    movers = _scattered_movers(ctx, count)
    start, duration = ctx.uniform(*fade.start), ctx.uniform(*fade.duration)
    for mover in movers:
        kin.fade(mover, ctx.times, start, start + duration, appear=fade.appear)
    return ctx.timeline(movers, count=count, start=start, duration=duration)


@register_motion(coarse="appearing", number=3, fade=APPEARING)
def one_by_one(ctx: MotionContext, fade: Fade) -> Timeline:
    """Multiple objects all appearing (disappearing) one by one."""
    count = ctx.integer(3, 4)
    movers = _scattered_movers(ctx, count)
    # Each fade ends before the next begins, so the order is readable even at the minimum frame count.
    first = ctx.uniform(*fade.first)
    step = ctx.uniform(0.16, (0.95 - first) / count)
    duration = step * ctx.uniform(0.6, 0.85)
    starts = [first + k * step for k in range(count)]
    for mover, start in zip(movers, starts, strict=True):
        kin.fade(mover, ctx.times, start, start + duration, appear=fade.appear)
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
