"""Departing: objects leave the stage, crossing its edge: arriving's programs, run the other way."""

from __future__ import annotations

from mt_datasets.syn_ta.motions import arriving
from mt_datasets.syn_ta.motions.arriving import Crossing
from mt_datasets.syn_ta.motions.registry import register_motion

DEPARTING = Crossing(
    stops="IO",
    once=((0.1, 0.3), (0.45, 0.65)),
    one_by_one=(0.05, 0.85),
    round_trip=((0.35, 0.42), (0.08, 0.15), (0.03, 0.08), (0.3, 0.38)),
)

# The release numbers departing's classes as arriving's: single, simultaneously, one by one, among many, beside
# another, and there and back.
PROGRAMS = (
    arriving.single,
    arriving.simultaneously,
    arriving.one_by_one,
    arriving.among_many,
    arriving.beside_another,
    arriving.there_and_back,
)
for _number, _program in enumerate(PROGRAMS, start=1):
    register_motion(coarse="departing", number=_number, way=DEPARTING)(_program)
