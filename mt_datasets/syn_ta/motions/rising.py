"""Rising: an object lifts off the ground and rises, straight, zigzagging, at an angle or on a curve."""

from __future__ import annotations

from mt_datasets.syn_ta.motions.falling import PATHS, vertical_travel
from mt_datasets.syn_ta.motions.registry import register_motion

for _number, _path in enumerate(PATHS, start=1):
    register_motion(coarse="rising", number=_number, path=_path, falling=False)(vertical_travel)
