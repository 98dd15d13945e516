"""Shooting projectile: objects fly on ballistic arcs between the stage's corners (x and z both near the edge).

"Right" and "left" are as the front camera sees them (+x and -x).
"""

from __future__ import annotations

import numpy as np

from mt_datasets.syn_ta.motions import _kinematics as kin
from mt_datasets.syn_ta.motions.context import MotionContext
from mt_datasets.syn_ta.motions.registry import register_motion
from mt_datasets.syn_ta.timeline import Timeline


def corner(ctx: MotionContext, x_sign: float, z_sign: float, inset: float, scale: float) -> np.ndarray:
    """The ground position of a corner of the stage, ``inset`` in from both edges."""
    reach = ctx.extent - inset
    return np.array([x_sign * reach, scale / 2, z_sign * reach])


def _shot(ctx: MotionContext, start_signs, end_signs) -> Timeline:
    scale = ctx.size("medium") * 0.7
    inset = ctx.uniform(0.8, 1.2)
    start, end = corner(ctx, *start_signs, inset, scale), corner(ctx, *end_signs, inset, scale)
    launch = ctx.uniform(0.05, 0.2)
    land = launch + ctx.uniform(0.55, 0.7)
    apex = ctx.uniform(2.5, 4.0)
    projectile = ctx.track(start, scale=scale, role="projectile")
    projectile.position[:] = kin.arc(ctx.times, start, end, height=apex, launch=launch, land=land)
    return ctx.timeline([projectile], start=start, end=end, launch=launch, land=land, apex=apex)


@register_motion(coarse="shooting projectile", number=1)
def corner_to_opposite_corner(ctx: MotionContext) -> Timeline:
    """Shooting projectile from one corner to opposite corner (diagonally across)."""
    x_sign, z_sign = ctx.sign(), ctx.sign()
    return _shot(ctx, (x_sign, z_sign), (-x_sign, -z_sign))


@register_motion(coarse="shooting projectile", number=2)
def right_corner_to_left_corner(ctx: MotionContext) -> Timeline:
    """Shooting projectile from right corner to left corner (front or back corners, across x)."""
    z_sign = ctx.sign()
    return _shot(ctx, (1.0, z_sign), (-1.0, z_sign))


@register_motion(coarse="shooting projectile", number=3)
def left_corner_to_right_corner(ctx: MotionContext) -> Timeline:
    """Shooting projectile from left corner to right corner (front or back corners, across x)."""
    z_sign = ctx.sign()
    return _shot(ctx, (-1.0, z_sign), (1.0, z_sign))


@register_motion(coarse="shooting projectile", number=4)
def two_from_same_position(ctx: MotionContext) -> Timeline:
    """Shooting two projectiles from same position to opposite corner: one after the other from one launch spot;
    the second is loaded (appears there) once the first has left, and they land side by side."""
    scale = ctx.size("medium") * 0.6
    inset = ctx.uniform(1.0, 1.3)
    x_sign, z_sign = ctx.sign(), ctx.sign()
    start = corner(ctx, x_sign, z_sign, inset, scale)
    target = corner(ctx, -x_sign, -z_sign, inset, scale)
    # Landing spots either side of the target corner, across the flight direction, clear of each other.
    across = kin.unit(np.array([-(target - start)[2], 0.0, (target - start)[0]]))
    half = float(kin.collision_radius(scale)) + ctx.uniform(0.1, 0.3)
    flight, apex = ctx.uniform(0.35, 0.42), ctx.uniform(2.5, 3.5)
    first = ctx.uniform(0.03, 0.08)
    launches = (first, first + flight * ctx.uniform(0.5, 0.6) + 0.05)
    projectiles = []
    for launch, side in zip(launches, (1.0, -1.0), strict=True):
        projectile = ctx.track(start, scale=scale, role="projectile")
        projectile.position[:] = kin.arc(
            ctx.times, start, target + side * half * across, height=apex, launch=launch, land=launch + flight
        )
        projectiles.append(projectile)
    # The second is loaded when the first is clear of the launch spot.
    distance = np.linalg.norm(projectiles[0].position - start, axis=1)
    loaded = int(np.argmax(distance > 2 * kin.collision_radius(scale)))
    projectiles[1].visible[:loaded] = False
    return ctx.timeline(projectiles, start=start, target=target, launches=launches, flight=flight, apex=apex)


@register_motion(coarse="shooting projectile", number=5)
def two_switching_corners(ctx: MotionContext) -> Timeline:
    """Shooting two projectiles from opposite corners switching their positions: launched together, one on a high
    arc and one on a low arc, so they pass over each other in mid-air."""
    scales = [ctx.size("medium") * 0.6 for _ in range(2)]
    inset = ctx.uniform(0.8, 1.2)
    x_sign, z_sign = ctx.sign(), ctx.sign()
    ends = (corner(ctx, x_sign, z_sign, inset, scales[0]), corner(ctx, -x_sign, -z_sign, inset, scales[1]))
    launch = ctx.uniform(0.05, 0.2)
    land = launch + ctx.uniform(0.55, 0.7)
    low = ctx.uniform(1.2, 1.8)
    high = low + float(sum(kin.collision_radius(s) for s in scales)) + ctx.uniform(0.4, 0.9)
    apexes = (high, low) if ctx.sign() > 0 else (low, high)
    projectiles = []
    for k in range(2):
        projectile = ctx.track(ends[k], scale=scales[k], role="projectile")
        goal = ends[1 - k].copy()
        goal[1] = scales[k] / 2
        projectile.position[:] = kin.arc(ctx.times, ends[k], goal, height=apexes[k], launch=launch, land=land)
        projectiles.append(projectile)
    return ctx.timeline(projectiles, corners=ends, apexes=apexes, launch=launch, land=land)
