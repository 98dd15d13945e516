"""Appearance factors of a Syn-TA clip and the appearance splits that decide which factors each fine set may use.

A clip's appearance (object shapes and colours, material, background, view, camera, lighting) is sampled from its own
random generator, apart from the motion, and recorded in the clip's row. An appearance split says which values each
*set* may draw from:

``paper``
    As the authors' release: set-1 classes use cube, cone, pyramid, prism and backgrounds 0-9; set-2 classes use
    sphere, cylinder, torus, capsule and backgrounds 10-19; metallic objects of any palette colour. "Unknown" videos
    therefore change appearance as well as motion variant.
``motion-only``
    Both sets draw from one distribution (all shapes, colours, materials and backgrounds), so "unknown" changes only
    the motion variant.
``appearance-shift``
    Every fine class appears in both sets, so "unknown" changes only the appearance: set 1 uses cube, pyramid,
    sphere, cylinder, the even palette colours (red, amber, green, cyan, indigo, purple) and backgrounds 0-9; set 2
    uses cone, prism, torus, capsule, the odd palette colours (orange, lime, teal, blue, violet, pink) and backgrounds
    10-19. Materials, views, cameras and lighting share one distribution. A shape that a motion's description names
    ("... changes into pyramid") is drawn as named in either set.

With a user folder of background images, "backgrounds 0-9" and "10-19" mean the first and the second half of the
folder's images in file-name order.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from mt_datasets.errors import did_you_mean
from mt_datasets.syn_ta.timeline import SHAPES

__all__ = [
    "MATERIALS",
    "VIEWS",
    "PALETTE",
    "APPEARANCE_SPLITS",
    "AppearanceSplit",
    "PROTOCOLS",
    "AppearanceFactors",
    "Protocol",
    "get_appearance_split",
    "get_protocol",
    "hex_to_linear",
    "linear_to_hex",
    "sample_appearance",
]

MATERIALS = ("metallic", "glossy", "matte")
VIEWS = ("regular", "front")

# Twelve named colours in hue order; appearance-shift holds out every other one, so both halves span the hue circle.
PALETTE: dict[str, str] = {
    "red": "#e03131",
    "orange": "#f76707",
    "amber": "#fab005",
    "lime": "#94d82d",
    "green": "#2f9e44",
    "teal": "#12b886",
    "cyan": "#15aabf",
    "blue": "#1c7ed6",
    "indigo": "#4263eb",
    "violet": "#7048e8",
    "purple": "#ae3ec9",
    "pink": "#e64980",
}
_COLOR_NAMES = tuple(PALETTE)

# Camera ranges. Regular views stay in the front hemisphere (|azimuth| <= 75 deg) so that "left to right" stays
# readable, and above the ground; front views face the backdrop nearly head-on, as in the release.
REGULAR_AZIMUTH_DEG = (-75.0, 75.0)
REGULAR_ELEVATION_DEG = (12.0, 40.0)
FRONT_ELEVATION_DEG = (2.0, 10.0)
CAMERA_DISTANCE = (10.0, 12.5)
LIGHT_AZIMUTH_DEG = (-80.0, 80.0)
LIGHT_ELEVATION_DEG = (35.0, 75.0)
LIGHT_INTENSITY = (0.75, 1.05)
AMBIENT = (0.22, 0.38)


@dataclass(frozen=True)
class AppearanceSplit:
    """Which appearance values each fine set may use.

    Attributes:
        name: the appearance split's name (``--appearance-split``).
        description: one line for the dataset card.
        shapes: allowed shapes of set 1 and of set 2.
        colors: allowed palette colour names of set 1 and of set 2.
        materials: allowed materials (both sets).
        split_backgrounds: set 1 uses the first half of the backgrounds, set 2 the second half; otherwise both use all.
        variants_in_both_sets: every fine class is generated in both sets (the set then names the appearance, not the
            motion variant); otherwise each fine class only in its own taxonomy set.
    """

    name: str
    description: str
    shapes: tuple[tuple[str, ...], tuple[str, ...]]
    colors: tuple[tuple[str, ...], tuple[str, ...]]
    materials: tuple[str, ...]
    split_backgrounds: bool
    variants_in_both_sets: bool

    def background_indices(self, fine_set: int, num_backgrounds: int) -> range:
        """Indices of the backgrounds that ``fine_set`` may use, out of ``num_backgrounds``."""
        if not self.split_backgrounds:
            return range(num_backgrounds)
        half = num_backgrounds // 2
        return range(half) if fine_set == 1 else range(half, num_backgrounds)

    def card_rows(self) -> list[dict[str, str]]:
        """The split's factor table, one row per set, for the dataset card."""
        rows = []
        for fine_set in (1, 2):
            rows.append(
                {
                    "set": str(fine_set),
                    "shapes": ", ".join(self.shapes[fine_set - 1]),
                    "colors": ", ".join(self.colors[fine_set - 1]),
                    "materials": ", ".join(self.materials),
                    "backgrounds": ("first half" if fine_set == 1 else "second half")
                    if self.split_backgrounds
                    else "all",
                }
            )
        return rows


APPEARANCE_SPLITS: dict[str, AppearanceSplit] = {
    "paper": AppearanceSplit(
        name="paper",
        description="as the authors' release: the two sets differ in motion variants, shapes and backgrounds",
        shapes=(("cube", "cone", "pyramid", "prism"), ("sphere", "cylinder", "torus", "capsule")),
        colors=(_COLOR_NAMES, _COLOR_NAMES),
        materials=("metallic",),
        split_backgrounds=True,
        variants_in_both_sets=False,
    ),
    "motion-only": AppearanceSplit(
        name="motion-only",
        description="both sets share one appearance distribution: 'unknown' changes only the motion variant",
        shapes=(SHAPES, SHAPES),
        colors=(_COLOR_NAMES, _COLOR_NAMES),
        materials=MATERIALS,
        split_backgrounds=False,
        variants_in_both_sets=False,
    ),
    "appearance-shift": AppearanceSplit(
        name="appearance-shift",
        description="every fine class in both sets with held-out shapes, colours and backgrounds: "
        "'unknown' changes only the appearance",
        shapes=(("cube", "pyramid", "sphere", "cylinder"), ("cone", "prism", "torus", "capsule")),
        colors=(_COLOR_NAMES[0::2], _COLOR_NAMES[1::2]),
        materials=MATERIALS,
        split_backgrounds=True,
        variants_in_both_sets=True,
    ),
}


def get_appearance_split(name: str) -> AppearanceSplit:
    """The appearance split called ``name``; an unknown name raises ``ValueError`` with suggestions."""
    try:
        return APPEARANCE_SPLITS[name]
    except KeyError:
        raise ValueError(did_you_mean(name, list(APPEARANCE_SPLITS), "appearance split")) from None


# The names before "protocol" came to mean only the evaluation protocol (mt_datasets.protocol); kept for old imports.
Protocol = AppearanceSplit
PROTOCOLS = APPEARANCE_SPLITS
get_protocol = get_appearance_split


def hex_to_linear(color: str) -> tuple[float, float, float]:
    """``"#rrggbb"`` (sRGB) -> linear RGB in [0, 1], the timeline's colour space."""
    srgb = np.array([int(color[i : i + 2], 16) for i in (1, 3, 5)], np.float64) / 255.0
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    return tuple(float(c) for c in linear)


def linear_to_hex(color) -> str:
    """Linear RGB in [0, 1] -> ``"#rrggbb"`` (sRGB), the form recorded in a clip's row."""
    linear = np.clip(np.asarray(color, np.float64), 0.0, 1.0)
    srgb = np.where(linear <= 0.0031308, linear * 12.92, 1.055 * linear ** (1 / 2.4) - 0.055)
    return "#" + "".join(f"{round(c * 255):02x}" for c in srgb)


@dataclass(frozen=True)
class AppearanceFactors:
    """Everything about a clip's look that is not its motion.

    Angles are in degrees. Azimuth 0 looks from the front (+z); positive azimuths move the camera toward +x (the
    viewer's right). Elevation is the angle above the ground plane. ``background`` names the image (``procedural-07``
    or the user file name) and ``background_index`` is its index in the background library.
    """

    view: str
    shapes: tuple[str, ...]
    palette: tuple[str, ...]
    material: str
    background: str
    background_index: int
    camera_azimuth: float
    camera_elevation: float
    camera_distance: float
    light_azimuth: float
    light_elevation: float
    light_intensity: float
    ambient: float

    def palette_linear(self) -> tuple[tuple[float, float, float], ...]:
        """The allowed colours as linear RGB triples, in ``palette`` order."""
        return tuple(hex_to_linear(PALETTE[name]) for name in self.palette)

    def to_dict(self) -> dict:
        """A JSON-friendly dict of the factors."""
        return asdict(self)


def sample_appearance(
    rng: np.random.Generator, protocol: AppearanceSplit, fine_set: int, view: str, background_names: list[str]
) -> AppearanceFactors:
    """Draw a clip's appearance for ``fine_set`` under the appearance split ``protocol``.

    Args:
        rng: the clip's appearance generator (not the motion's, so motion and appearance vary independently).
        protocol: decides the allowed shapes, colours, materials and backgrounds of each set.
        fine_set: 1 or 2, the set the clip belongs to.
        view: ``"regular"`` (camera around the stage over a textured ground) or ``"front"`` (vertical backdrop).
        background_names: the background library's names, in index order.
    """
    if view not in VIEWS:
        raise ValueError(did_you_mean(view, VIEWS, "view"))
    candidates = protocol.background_indices(fine_set, len(background_names))
    if len(candidates) == 0:
        raise ValueError(
            f"appearance split {protocol.name!r} needs at least 2 backgrounds (one per set), "
            f"got {len(background_names)}"
        )
    background_index = int(candidates[rng.integers(len(candidates))])
    if view == "regular":
        azimuth = rng.uniform(*REGULAR_AZIMUTH_DEG)
        elevation = rng.uniform(*REGULAR_ELEVATION_DEG)
    else:
        azimuth = 0.0
        elevation = rng.uniform(*FRONT_ELEVATION_DEG)
    return AppearanceFactors(
        view=view,
        shapes=protocol.shapes[fine_set - 1],
        palette=protocol.colors[fine_set - 1],
        material=str(protocol.materials[rng.integers(len(protocol.materials))]),
        background=background_names[background_index],
        background_index=background_index,
        camera_azimuth=round(float(azimuth), 3),
        camera_elevation=round(float(elevation), 3),
        camera_distance=round(float(rng.uniform(*CAMERA_DISTANCE)), 3),
        light_azimuth=round(float(rng.uniform(*LIGHT_AZIMUTH_DEG)), 3),
        light_elevation=round(float(rng.uniform(*LIGHT_ELEVATION_DEG)), 3),
        light_intensity=round(float(rng.uniform(*LIGHT_INTENSITY)), 3),
        ambient=round(float(rng.uniform(*AMBIENT)), 3),
    )
