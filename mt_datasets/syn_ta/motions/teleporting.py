"""Teleporting: objects vanish from one corner and are at another from the next frame on, with nothing between."""

from __future__ import annotations

import numpy as np

from mt_datasets.syn_ta.motions.context import MotionContext
from mt_datasets.syn_ta.motions.registry import register_motion
from mt_datasets.syn_ta.motions.shooting_projectile import corner
from mt_datasets.syn_ta.timeline import ObjectTrack, Timeline

CORNERS = ((-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0))  # (x sign, z sign), going round the stage


def _jump(ctx: MotionContext, track: ObjectTrack, destination, at: float) -> None:
    """Put ``track`` at ``destination`` from time ``at`` on: a position jump between two frames."""
    track.position[ctx.times >= at] = destination


def _jump_time(ctx: MotionContext) -> float:
    return ctx.uniform(0.35, 0.65)


@register_motion(coarse="teleporting", number=1, with_anchor=False)
@register_motion(coarse="teleporting", number=2, with_anchor=True)
def corner_to_corner(ctx: MotionContext, with_anchor: bool) -> Timeline:
    """One object jumping from one corner to any other, around a still object at the centre when ``with_anchor``."""
    scale, inset = ctx.size("medium") * 0.8, ctx.uniform(0.9, 1.3)
    first = int(ctx.rng.integers(4))
    second = (first + ctx.integer(1, 3)) % 4  # any other corner: beside along x or z, or diagonally across
    mover = ctx.track(corner(ctx, *CORNERS[first], inset, scale), scale=scale, role="mover")
    at = _jump_time(ctx)
    _jump(ctx, mover, corner(ctx, *CORNERS[second], inset, scale), at)
    objects = [mover]
    if with_anchor:
        objects.insert(0, ctx.track((0.0, 0.0, 0.0), scale=ctx.size("medium"), role="anchor", resting=True))
    return ctx.timeline(objects, corners=(CORNERS[first], CORNERS[second]), inset=inset, at=at)


def _swap_corners(ctx: MotionContext, corners: list[int], destinations: list[int]) -> Timeline:
    """Objects in ``corners`` all teleport at one instant to ``destinations`` (indices into ``CORNERS``)."""
    inset, at = ctx.uniform(0.9, 1.3), _jump_time(ctx)
    movers = []
    for here, there in zip(corners, destinations, strict=True):
        scale = ctx.size("medium") * 0.75
        mover = ctx.track(corner(ctx, *CORNERS[here], inset, scale), scale=scale, role="mover")
        _jump(ctx, mover, corner(ctx, *CORNERS[there], inset, scale), at)
        movers.append(mover)
    return ctx.timeline(movers, corners=corners, destinations=destinations, inset=inset, at=at)


@register_motion(coarse="teleporting", number=3)
def two_opposite_switch(ctx: MotionContext) -> Timeline:
    """Two objects in opposite corners switch places by teleporting."""
    first = int(ctx.rng.integers(4))
    opposite = (first + 2) % 4
    return _swap_corners(ctx, [first, opposite], [opposite, first])


@register_motion(coarse="teleporting", number=4)
def four_corners_switch(ctx: MotionContext) -> Timeline:
    """Four objects in four corners switch places by teleporting: every object lands in a different corner."""
    while True:  # a derangement: 9 of the 24 orders qualify, so this ends after a few draws
        order = [int(k) for k in ctx.rng.permutation(4)]
        if all(k != there for k, there in enumerate(order)):
            return _swap_corners(ctx, [0, 1, 2, 3], order)


@register_motion(coarse="teleporting", number=5)
def two_together_one_teleports(ctx: MotionContext) -> Timeline:
    """Two objects together in one corner then one teleports to other corner."""
    scales = [ctx.size("medium") * 0.7 for _ in range(2)]
    inset, at = ctx.uniform(0.9, 1.2), _jump_time(ctx)
    here = int(ctx.rng.integers(4))
    there = (here + ctx.integer(1, 3)) % 4
    # Side by side along x with a small gap, the pair's centre moved in from the corner so both stay on stage.
    half = (scales[0] + scales[1]) / 4 + ctx.uniform(0.5, 0.7)
    home = corner(ctx, *CORNERS[here], inset + half, 0.0)
    offsets = (np.array([-half, 0.0, 0.0]), np.array([half, 0.0, 0.0]))
    stayer = ctx.track(home + offsets[0], scale=scales[0], role="anchor", resting=True)
    mover = ctx.track(home + offsets[1], scale=scales[1], role="mover", resting=True)
    destination = corner(ctx, *CORNERS[there], inset, scales[1])
    _jump(ctx, mover, destination, at)
    return ctx.timeline([stayer, mover], corners=(CORNERS[here], CORNERS[there]), inset=inset, at=at)
