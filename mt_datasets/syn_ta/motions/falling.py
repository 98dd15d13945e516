"""Falling: an object drops from high up to the ground, straight, zigzagging, at an angle or on a curve."""

from __future__ import annotations

import numpy as np

from mt_datasets.syn_ta.motions import _kinematics as kin
from mt_datasets.syn_ta.motions.context import MotionContext
from mt_datasets.syn_ta.motions.registry import register_motion
from mt_datasets.syn_ta.timeline import Timeline

PATHS = ("straight", "zigzag", "angle", "curved")


def vertical_travel(ctx: MotionContext, path: str, *, falling: bool) -> Timeline:
    """An object moving between the ground and a height of 4.5-6.5 along ``path`` (one of ``PATHS``).

    straight: no sideways motion. zigzag: sideways triangle wave (1.5-2.5 periods) at a steady vertical speed.
    angle: a straight slanted line (sideways and vertical progress in step). curved: steady sideways speed with
    accelerating fall / decelerating rise, a parabola. Shared by falling and rising.
    """
    if path not in PATHS:
        raise ValueError(f"path must be one of {PATHS}, got {path!r}")
    scale, height = ctx.size("medium") * 0.8, ctx.uniform(4.5, 6.5)
    begin = ctx.uniform(0.05, 0.25)
    end = begin + ctx.uniform(0.55, 0.7)
    u = kin.ramp(ctx.times, begin, end)
    direction = ctx.direction()
    sideways = {"straight": 0.0, "zigzag": 0.0, "angle": ctx.uniform(2.0, 3.5), "curved": ctx.uniform(2.0, 3.5)}[path]
    if path in ("straight", "angle"):
        vertical = u * u if falling else kin.smoothstep(u)  # released from rest under gravity / lifted smoothly
        lateral = sideways * vertical
    elif path == "zigzag":
        # At least 4 frames per period, so the zigzag stays a zigzag at the smallest frame counts.
        most = min(2.5, max(1.5, (end - begin) * (ctx.num_frames - 1) / 4))
        vertical, amplitude, cycles = u, ctx.uniform(0.6, 1.0), ctx.uniform(1.5, most)
        lateral = amplitude * kin.zigzag(u, cycles)
    else:
        vertical = u * u if falling else 1.0 - (1.0 - u) ** 2
        lateral = sideways * u
    center = ctx.ground_point(1.0)
    start = center - direction * sideways / 2
    mover = ctx.track(start, scale=scale, role="mover")
    low, high = scale / 2, scale / 2 + height
    mover.position[:] = start + np.outer(lateral, direction)
    mover.position[:, 1] = high - (high - low) * vertical if falling else low + (high - low) * vertical
    meta = dict(path=path, height=height, begin=begin, end=end, direction=direction, sideways=sideways)
    if path == "zigzag":
        meta.update(amplitude=amplitude, cycles=cycles)
    return ctx.timeline([mover], **meta)


# The four classes are the four paths, in the release's numbering ("falling straight down", "in a zigzag pattern", "at
# an angle", "at a curved path"); rising registers the same paths upwards.
for _number, _path in enumerate(PATHS, start=1):
    register_motion(coarse="falling", number=_number, path=_path, falling=True)(vertical_travel)
