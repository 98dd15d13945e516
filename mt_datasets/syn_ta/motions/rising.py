"""Rising: an object lifts off the ground and rises, straight, zigzagging, at an angle or on a curve."""

from __future__ import annotations

from mt_datasets.syn_ta.motions.context import MotionContext
from mt_datasets.syn_ta.motions.falling import vertical_travel
from mt_datasets.syn_ta.motions.registry import register_motion
from mt_datasets.syn_ta.timeline import Timeline


@register_motion(coarse="rising", number=1)
def rising_straight(ctx: MotionContext) -> Timeline:
    """Single object rising straight up without changing direction."""
    return vertical_travel(ctx, "straight", falling=False)


@register_motion(coarse="rising", number=2)
def rising_zigzag(ctx: MotionContext) -> Timeline:
    """Single object rising in a zigzag pattern."""
    return vertical_travel(ctx, "zigzag", falling=False)


@register_motion(coarse="rising", number=3)
def rising_at_angle(ctx: MotionContext) -> Timeline:
    """Single object rising at an angle."""
    return vertical_travel(ctx, "angle", falling=False)


@register_motion(coarse="rising", number=4)
def rising_curved(ctx: MotionContext) -> Timeline:
    """Single object rising at a curved path."""
    return vertical_travel(ctx, "curved", falling=False)
