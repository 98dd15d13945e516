"""Changing color: objects switch colours (short blends), brighten or darken."""

from __future__ import annotations

import numpy as np

from mt_datasets.syn_ta.motions import _kinematics as kin
from mt_datasets.syn_ta.motions.context import MotionContext
from mt_datasets.syn_ta.motions.registry import register_motion
from mt_datasets.syn_ta.timeline import Timeline


def _single(ctx: MotionContext):
    scale = ctx.size("medium")
    return ctx.track(ctx.scatter([scale], region=0.5 * ctx.extent)[0], scale=scale, role="mover")


@register_motion(coarse="changing color", number=1)
def keeps_changing_colors(ctx: MotionContext) -> Timeline:
    """Single object keeps changing colors: three to five switches through distinct colours."""
    # Every colour is held for at least 3 frames, so short clips get fewer switches.
    hold = max(0.15, 3 / (ctx.num_frames - 1))
    switches = ctx.integer(3, min(5, int(0.8 / hold) + 1))
    colors = ctx.colors(switches + 1)
    mover = _single(ctx)
    times = ctx.spread(switches, 0.1, 0.9, hold, "colour switches")
    blend = ctx.uniform(0.01, 0.03)
    keys = np.ravel([(t - blend, t + blend) for t in times])
    values = np.repeat(colors, 2, axis=0)[1:-1]
    mover.color[:] = kin.keyframes(ctx.times, keys, values, easing=False)
    return ctx.timeline([mover], switches=switches, times=times, colors=colors)


@register_motion(coarse="changing color", number=2)
def two_switch_colors(ctx: MotionContext) -> Timeline:
    """Two objects changing colors by switching with each other."""
    scales = [ctx.size("medium") for _ in range(2)]
    colors = ctx.colors(2)
    movers = [
        ctx.track(p, scale=s, role="mover", color=c)
        for p, s, c in zip(ctx.scatter(scales, region=0.6 * ctx.extent, gap=0.5), scales, colors, strict=True)
    ]
    start = ctx.uniform(0.3, 0.55)
    end = start + ctx.uniform(0.08, 0.2)
    for mover, (before, after) in zip(movers, (colors, colors[::-1]), strict=True):
        mover.color[:] = kin.keyframes(ctx.times, (start, end), (before, after))
    return ctx.timeline(movers, start=start, end=end, colors=colors)


@register_motion(coarse="changing color", number=3, to_dark=True)
@register_motion(coarse="changing color", number=4, to_dark=False)
def brightness_change(ctx: MotionContext, *, to_dark: bool) -> Timeline:
    """One object keeping its hue while its HSV value goes from >= 0.85 to <= 0.25 (``to_dark``) or back."""
    bright, dark = ctx.uniform(0.85, 1.0), ctx.uniform(0.12, 0.25)
    hue = ctx.colors(1)[0]
    first, last = (bright, dark) if to_dark else (dark, bright)
    mover = _single(ctx)
    start = ctx.uniform(0.1, 0.35)
    end = start + ctx.uniform(0.35, 0.55)
    mover.color[:] = kin.keyframes(
        ctx.times, (start, end), (kin.with_brightness(hue, first), kin.with_brightness(hue, last))
    )
    return ctx.timeline([mover], start=start, end=end, first_value=first, last_value=last)


@register_motion(coarse="changing color", number=5)
def change_color_and_back(ctx: MotionContext) -> Timeline:
    """Single object changing color then returning to previous one."""
    original, other = ctx.colors(2)
    mover = _single(ctx)
    change = ctx.uniform(0.15, 0.35)
    hold = ctx.uniform(0.2, 0.35)
    blend = ctx.uniform(0.04, 0.1)
    keys = (change, change + blend, change + blend + hold, change + 2 * blend + hold)
    mover.color[:] = kin.keyframes(ctx.times, keys, (original, other, other, original))
    return ctx.timeline([mover], times=keys, colors=(original, other))
