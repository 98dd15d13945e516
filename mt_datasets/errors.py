"""The project's error types and its "did you mean" message, in one light module (standard library only).

Every module that names a bad value or raises one of these imports it from here, so the messages read alike and the
error types can be caught without importing the heavy module (``datasets``, ``torch``, FFmpeg) that raises them.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from collections.abc import Callable, Sequence
from typing import TypeVar

__all__ = [
    "DEBUG_ENV",
    "DatasetMismatchError",
    "PublishError",
    "VideoDecodeError",
    "add_debug_argument",
    "did_you_mean",
    "run_main",
]

T = TypeVar("T")

# Set to 1 (or pass --debug) to see the traceback behind a script's or command's one-line error.
DEBUG_ENV = "MT_DEBUG"


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


def add_debug_argument(parser: argparse.ArgumentParser) -> None:
    """``--debug``: show the traceback behind an error instead of its one line (as ``MT_DEBUG=1`` does)."""
    parser.add_argument(
        "--debug", action="store_true", help=f"show the traceback of an error, not its one line (or {DEBUG_ENV}=1)"
    )


def run_main(
    prog: str,
    main: Callable[[], T],
    errors: tuple[type[BaseException], ...] = (),
    *,
    debug: bool = False,
    exit_code: int = 1,
) -> T:
    """Run a script's or command's ``main``: the top-level error handling every entry point shares.

    ``errors`` (the caller's own error types), ``OSError`` (a read-only or full disk, a missing file, a network
    error) and ``KeyboardInterrupt`` end the process with one line on stderr, ``PROG: MESSAGE`` (``PROG: interrupted``,
    exit code 130, for Ctrl-C), instead of a traceback; ``debug`` or ``MT_DEBUG=1`` re-raises them.
    """
    debug = debug or os.environ.get(DEBUG_ENV, "") not in ("", "0")
    try:
        return main()
    except KeyboardInterrupt:
        if debug:
            raise
        print(f"{prog}: interrupted", file=sys.stderr)
        raise SystemExit(130) from None
    except (*errors, OSError) as error:
        if debug:
            raise
        message = " ".join(line.strip() for line in str(error).splitlines() if line.strip()) or type(error).__name__
        if exit_code == 1:  # as sys.exit(message): Python prints it to stderr, and callers can match the message
            raise SystemExit(f"{prog}: {message}") from None
        print(f"{prog}: {message}", file=sys.stderr)
        raise SystemExit(exit_code) from None
