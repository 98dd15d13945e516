"""Occlusion: objects pass in front of or behind others as seen from the front camera (on +z: nearer is larger z).

Two objects overlap in the front camera's image where their x-y extents overlap; the nearer one (larger z) hides that
part of the farther one. Objects never touch: depths differ by more than the sum of their collision radii.
"""

from __future__ import annotations

import numpy as np

from mt_datasets.syn_ta.motions import _kinematics as kin
from mt_datasets.syn_ta.motions.context import MotionContext
from mt_datasets.syn_ta.motions.registry import register_motion
from mt_datasets.syn_ta.timeline import Timeline


def _radius(scale: float) -> float:
    return float(kin.collision_radius(scale))


def _come_in_front(ctx: MotionContext, *, occluder_scale: float, occluded_scale: float, offset: float) -> Timeline:
    """A still object at the back; the occluder slides in from the side along a nearer lane and stops in front of it,
    ``offset`` to the side (centre to centre, in x)."""
    begin = ctx.uniform(0.05, 0.2)
    end = begin + ctx.uniform(0.5, 0.65)

    def draw() -> dict:
        back = np.array([ctx.uniform(-0.8, 0.8), occluded_scale / 2, ctx.uniform(-1.8, -1.0)])
        side = ctx.sign()
        front = np.array(
            [
                back[0] + side * offset,
                occluder_scale / 2,
                back[2] + _radius(occluder_scale) + _radius(occluded_scale) + ctx.uniform(0.3, 0.6),
            ]
        )
        start = front + np.array([side * ctx.uniform(2.5, 3.5), 0.0, 0.0])
        return {"back": back, "front": front, "start": start, "side": side}

    p = ctx.resample(
        draw, lambda p: ctx.inside(np.array([p["start"], p["front"]]), occluder_scale, 0.1), "a lane on stage"
    )
    occluded = ctx.track(p["back"], scale=occluded_scale, role="occluded")
    occluder = ctx.track(p["start"], scale=occluder_scale, role="occluder")
    occluder.position[:] = kin.keyframes(ctx.times, (begin, end), (p["start"], p["front"]))
    return ctx.timeline([occluded, occluder], offset=offset, begin=begin, end=end, **p)


@register_motion(coarse="occlusion", number=1)
def small_barely_occluding_big(ctx: MotionContext) -> Timeline:
    """Small object coming infront of big object barely occluding it: it stops overlapping only the big one's edge
    (35-70 % of its own width), under 10 % of the big one's front area."""
    big, small = ctx.uniform(1.5, 1.9), ctx.size("small")
    overlap = ctx.uniform(0.35, 0.7) * small
    return _come_in_front(ctx, occluder_scale=small, occluded_scale=big, offset=(big + small) / 2 - overlap)


@register_motion(coarse="occlusion", number=2)
def big_mostly_occluding_small(ctx: MotionContext) -> Timeline:
    """Big object coming infront of small object mostly or fully occluding it (at least 75 % of its front area)."""
    big, small = ctx.size("large"), ctx.size("small")
    offset = ctx.uniform(0.0, (big - small) / 2 + 0.25 * small)
    return _come_in_front(ctx, occluder_scale=big, occluded_scale=small, offset=offset)


def _partial_offset(ctx: MotionContext, first: float, second: float) -> float:
    """An x offset (centre to centre) at which two objects partly overlap in the front image: 30-60 % of contact."""
    return ctx.sign() * ctx.uniform(0.3, 0.6) * (first + second) / 2


@register_motion(coarse="occlusion", number=3)
def occluder_goes_behind(ctx: MotionContext) -> Timeline:
    """Object which is occluding another object switches places and goes behind it: it steps aside, walks round
    the other object and steps back in behind it at the same sideways offset."""
    scales = [ctx.size("medium") * 0.8 for _ in range(2)]
    clear = _radius(scales[0]) + _radius(scales[1])
    still = np.array([ctx.uniform(-0.8, 0.8), scales[1] / 2, ctx.uniform(-0.3, 0.3)])
    offset = _partial_offset(ctx, *scales)
    depth = clear + ctx.uniform(0.25, 0.5)
    aside = still[0] + np.sign(offset) * (clear + ctx.uniform(0.25, 0.5))
    keys = [
        (still[0] + offset, still[2] + depth),
        (aside, still[2] + depth),
        (aside, still[2] - depth),
        (still[0] + offset, still[2] - depth),
    ]
    begin = ctx.uniform(0.05, 0.15)
    times = np.linspace(begin, begin + ctx.uniform(0.7, 0.8), 4)
    occluded = ctx.track(still, scale=scales[1], role="occluded")
    occluder = ctx.track((0, 0, 0), scale=scales[0], role="occluder")
    occluder.position[:] = kin.keyframes(ctx.times, times, [(x, scales[0] / 2, z) for x, z in keys])
    return ctx.timeline([occluded, occluder], offset=offset, depth=depth, aside=aside, times=times)


@register_motion(coarse="occlusion", number=4)
def two_pairs_switch(ctx: MotionContext) -> Timeline:
    """Two objects partially occluding two other objects switch positions with the latter two and go behind them:
    two front/back pairs side by side; in each pair the two trade places, bowing apart so they never touch."""
    begin = ctx.uniform(0.1, 0.2)
    end = begin + ctx.uniform(0.55, 0.7)
    progress = kin.smoothstep(kin.ramp(ctx.times, begin, end))

    def draw() -> dict:
        scales = [ctx.size("medium") * 0.65 for _ in range(4)]  # front, back of the left pair, then the right pair
        pairs = []
        for k, center in enumerate((-ctx.uniform(1.9, 2.3), ctx.uniform(1.9, 2.3))):
            front_scale, back_scale = scales[2 * k], scales[2 * k + 1]
            depth = (_radius(front_scale) + _radius(back_scale)) / 2 + ctx.uniform(0.25, 0.45)
            front = np.array([center + _partial_offset(ctx, front_scale, back_scale), 0.0, depth])
            back = np.array([center, 0.0, -depth])
            bulge = (_radius(front_scale) + _radius(back_scale)) / 2 + ctx.uniform(0.15, 0.3)
            pairs.append((front, back, bulge))
        paths = [path for front, back, bulge in pairs for path in kin.swap_paths(front, back, progress, bulge)]
        return {"scales": scales, "paths": paths, "bulges": [b for _, _, b in pairs]}

    def valid(p: dict) -> bool:
        return kin.min_gap(p["paths"], p["scales"]) > 0.05 and ctx.inside(np.concatenate(p["paths"]), max(p["scales"]))

    p = ctx.resample(draw, valid, "two pairs trading places without touching")
    objects = []
    for k, (path, scale) in enumerate(zip(p["paths"], p["scales"], strict=True)):
        track = ctx.track(path[0], scale=scale, role="occluder" if k % 2 == 0 else "occluded")
        track.position[:] = path
        track.position[:, 1] = scale / 2
        objects.append(track)
    return ctx.timeline(objects, scales=p["scales"], bulges=p["bulges"], begin=begin, end=end)
