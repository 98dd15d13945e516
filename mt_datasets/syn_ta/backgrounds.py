"""Background images of Syn-TA clips: a library of seamless procedural textures, or a folder of the user's images.

The procedural library has :data:`NUM_PROCEDURAL` textures. Texture ``i`` uses pattern family ``i % 10`` (checker,
stripes, dots, grid, clouds, marble, wood, bricks, waves, tiles) with colours drawn from ``i``, so indices 0-9 and
10-19 (the two sets of the ``paper`` protocol) cover the same families in different colours. Every texture tiles
seamlessly (all its frequencies are whole periods of the image), which the ground of regular views relies on.
"""

from __future__ import annotations

import colorsys
import hashlib
from pathlib import Path

import numpy as np

__all__ = ["NUM_PROCEDURAL", "IMAGE_SUFFIXES", "BackgroundLibrary", "procedural_texture"]

NUM_PROCEDURAL = 20
TEXTURE_SIZE = 256
USER_TEXTURE_SIZE = 512
MAX_CACHED_IMAGES = 32
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp")
_FAMILIES = ("checker", "stripes", "dots", "grid", "clouds", "marble", "wood", "bricks", "waves", "tiles")


def _periodic_noise(rng: np.random.Generator, size: int, smoothness: float) -> np.ndarray:
    """Seamless smooth noise in [0, 1]: white noise low-passed in the Fourier domain (hence periodic)."""
    frequencies = np.fft.fftfreq(size)[:, None] ** 2 + np.fft.rfftfreq(size)[None, :] ** 2
    spectrum = np.fft.rfft2(rng.standard_normal((size, size))) * np.exp(-frequencies * smoothness)
    noise = np.fft.irfft2(spectrum, s=(size, size))
    return (noise - noise.min()) / (np.ptp(noise) + 1e-12)


def _pattern(family: str, rng: np.random.Generator, size: int) -> np.ndarray:
    """A seamless scalar field in [0, 1] of one pattern family."""
    u, v = np.meshgrid(np.arange(size) / size, np.arange(size) / size)  # [0, 1): one period of the texture
    cells = 2 * int(rng.integers(2, 5))  # even, so alternating patterns (checker, brick rows) wrap around cleanly
    if family == "checker":
        return ((np.floor(u * cells) + np.floor(v * cells)) % 2).astype(np.float64)
    if family == "stripes":
        return (np.sin(2 * np.pi * cells * (u + v)) > 0).astype(np.float64)
    if family == "dots":
        du, dv = (u * cells) % 1 - 0.5, (v * cells) % 1 - 0.5
        return (np.hypot(du, dv) < 0.3).astype(np.float64)
    if family == "grid":
        lines = np.minimum((u * cells) % 1, (v * cells) % 1)
        return (lines > 0.08).astype(np.float64)
    if family == "clouds":
        return _periodic_noise(rng, size, smoothness=4000.0)
    if family == "marble":
        turbulence = _periodic_noise(rng, size, smoothness=2000.0)
        return 0.5 + 0.5 * np.sin(2 * np.pi * (2 * u + 4 * turbulence))
    if family == "wood":
        radius = np.hypot(np.sin(np.pi * u), np.sin(np.pi * v))  # periodic distance from the image corners
        grain = _periodic_noise(rng, size, smoothness=3000.0)
        return (cells * radius + 0.6 * grain) % 1
    if family == "bricks":
        rows = np.floor(v * cells)
        shifted = u * (cells // 2) + 0.5 * (rows % 2)
        mortar = np.minimum((v * cells) % 1, shifted % 1)
        return (mortar > 0.1).astype(np.float64) * (0.75 + 0.25 * _periodic_noise(rng, size, 500.0))
    if family == "waves":
        return 0.5 + 0.5 * np.sin(2 * np.pi * (cells * v + 0.15 * np.sin(2 * np.pi * 2 * u)))
    # tiles: a coarse checker of noisy colour blocks
    blocks = rng.random((cells, cells))
    return blocks[(v * cells).astype(int) % cells, (u * cells).astype(int) % cells] * 0.8 + 0.2 * _periodic_noise(
        rng, size, 300.0
    )


def procedural_texture(index: int, size: int = TEXTURE_SIZE) -> np.ndarray:
    """Procedural background ``index`` (0 <= index < ``NUM_PROCEDURAL``) as a seamless ``(size, size, 3)`` uint8 RGB.

    The same index always gives the same image.
    """
    if not 0 <= index < NUM_PROCEDURAL:
        raise ValueError(f"procedural background index must lie in [0, {NUM_PROCEDURAL}), got {index}")
    rng = np.random.default_rng([20_251_125, index])
    field = _pattern(_FAMILIES[index % len(_FAMILIES)], rng, size)
    hue = rng.random()
    # two colours of related hue with clear contrast; muted so that the objects stand out
    dark = np.array(colorsys.hsv_to_rgb(hue, rng.uniform(0.25, 0.6), rng.uniform(0.25, 0.45)))
    light = np.array(colorsys.hsv_to_rgb((hue + rng.uniform(-0.12, 0.12)) % 1, rng.uniform(0.1, 0.4), 0.85))
    image = dark + field[..., None] * (light - dark)
    return np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)


class BackgroundLibrary:
    """The backgrounds a generation run draws from: the procedural textures, or the images of a user folder.

    ``names[i]`` is what a clip's row records (``procedural-07`` or the image's file name); ``image(i)`` the RGB array.
    """

    def __init__(self, folder: str | Path | None = None) -> None:
        self.folder = None if folder is None else Path(folder)
        self._images: dict[int, np.ndarray] = {}
        if self.folder is None:
            self._files: list[Path] = []
            self.names = [f"procedural-{i:02d}" for i in range(NUM_PROCEDURAL)]
            return
        if not self.folder.is_dir():
            raise FileNotFoundError(
                f"backgrounds folder {str(self.folder)!r} does not exist; pass a folder of images "
                f"({', '.join(IMAGE_SUFFIXES)}) or leave --backgrounds out to use the procedural textures"
            )
        self._files = sorted(p for p in self.folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
        if len(self._files) < 2:
            raise ValueError(
                f"backgrounds folder {str(self.folder)!r} holds {len(self._files)} image(s) with a suffix in "
                f"{IMAGE_SUFFIXES}; it needs at least 2 (the protocols split them between the two sets)"
            )
        self.names = [p.name for p in self._files]

    def __len__(self) -> int:
        return len(self.names)

    def image(self, index: int) -> np.ndarray:
        """Background ``index`` as a ``(S, S, 3)`` uint8 RGB array (user images are resized to a square).

        The most recently used images are cached (a user folder may hold more than memory should keep)."""
        image = self._images.pop(index, None)
        if image is None:
            if len(self._images) >= MAX_CACHED_IMAGES:
                self._images.pop(next(iter(self._images)))
            image = procedural_texture(index) if self.folder is None else self._load(index)
        self._images[index] = image  # (re)inserted last: the dict's order is least recently used first
        return image

    def _load(self, index: int) -> np.ndarray:
        from PIL import Image, UnidentifiedImageError

        path = self._files[index]
        try:
            with Image.open(path) as image:
                square = image.convert("RGB").resize((USER_TEXTURE_SIZE, USER_TEXTURE_SIZE), Image.Resampling.LANCZOS)
        except (OSError, UnidentifiedImageError) as error:
            raise ValueError(f"background image {str(path)!r} cannot be read ({error}); remove or replace it") from None
        return np.asarray(square, dtype=np.uint8)

    def fingerprint(self) -> list[str]:
        """What identifies the library in a run's options: procedural names, or each user image's name and content
        hash (so a replaced image is noticed when a run resumes)."""
        if self.folder is None:
            return list(self.names)
        return [f"{p.name}:{hashlib.sha256(p.read_bytes()).hexdigest()[:16]}" for p in self._files]
