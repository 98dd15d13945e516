"""The project's error types and its "did you mean" message, in one light module (standard library only).

Every module that names a bad value or raises one of these imports it from here, so the messages read alike and the
error types can be caught without importing the heavy module (``datasets``, ``torch``, FFmpeg) that raises them.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

__all__ = ["DatasetMismatchError", "PublishError", "VideoDecodeError", "did_you_mean"]


def did_you_mean(value: str, choices: Sequence[str], what: str) -> str:
    """An error message for an unknown ``value`` that suggests the closest of ``choices``.

    >>> did_you_mean("set 1", ["set1", "set2"], "config")
    "Unknown config 'set 1'. Did you mean 'set1' or 'set2'? Valid configs: 'set1', 'set2'."
    """
    close = difflib.get_close_matches(value, list(choices), n=3, cutoff=0.5)
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    listed = ", ".join(repr(c) for c in choices) if len(choices) <= 30 else f"{len(choices)} names"
    return f"Unknown {what} {value!r}.{hint} Valid {what}s: {listed}."


class VideoDecodeError(RuntimeError):
    """A video that cannot be decoded: corrupt, truncated, empty, missing, or not a video at all.

    Attributes:
        source: a readable name of the video: its path, or ``"<bytes: N>"`` for in-memory data.
        reason: what went wrong.
    """

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"cannot decode video {source}: {reason}")
        self.source = source
        self.reason = reason


class DatasetMismatchError(ValueError):
    """A dataset directory was reopened with a different dataset, schema, format version or info record."""


class PublishError(RuntimeError):
    """A dataset directory that cannot be published, or a Hub error; the message is one line saying what to do."""
