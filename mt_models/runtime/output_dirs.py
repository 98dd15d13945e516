"""One run per output directory: what every script that writes (train, eval, diagnose, demo, the protocol runner)
checks before any work, and holds while it works.

:func:`claim_output_dir` refuses, in one line, an output directory that

- is a file (or lies under a file) where a folder should be;
- holds something the run does not make: a dataset (its ``README.md``, ``data/``, ``meta/``), a user's README, any
  file or folder that matches none of the names the caller says it writes (``makes``, glob patterns over relative
  paths; ``meta/presence.*`` allows a ``meta`` folder holding only such files). Hidden names are not counted (the
  crash-safe writers' ``.NAME.PID.tmp``, an editor's or a desktop's files);
- is held by another live run: the lock of :mod:`mt_datasets.hub.locks` (the one the dataset generator and builders
  take), beside the directory, naming the holder (pid, host, command).

Under ``accelerate launch`` the main process takes the lock and tells the others whether it got it, so every process
stops together.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from mt_datasets.errors import did_you_mean

__all__ = ["OutputDirError", "check_output_dir", "claim_output_dir", "foreign_entries", "missing_local_path"]


class OutputDirError(ValueError):
    """An output directory a run may not write into; the message is one line naming what is there and the fix."""


def _matches(relative: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatch(relative, pattern) for pattern in patterns)


def _prefixes(patterns: Sequence[str]) -> set[str]:
    """The folders that patterns such as ``meta/presence.*`` reach into."""
    folders = set()
    for pattern in patterns:
        parts = pattern.split("/")
        folders.update("/".join(parts[:k]) for k in range(1, len(parts)))
    return folders


def foreign_entries(directory: str | Path, makes: Sequence[str]) -> list[str]:
    """The entries of ``directory`` (relative POSIX paths, sorted) that match none of ``makes``; hidden ones skipped.

    A folder that only a deeper pattern reaches into (``meta`` for ``meta/presence.*``) is looked into, not counted.
    """
    directory = Path(directory)
    if not directory.is_dir():
        return []
    folders = _prefixes(makes)
    found: list[str] = []

    def walk(folder: Path, prefix: str) -> None:
        for entry in sorted(folder.iterdir()):
            if entry.name.startswith("."):
                continue
            relative = f"{prefix}{entry.name}"
            if _matches(relative, makes):
                continue
            if relative in folders and entry.is_dir():
                walk(entry, relative + "/")
            else:
                found.append(relative + ("/" if entry.is_dir() else ""))

    walk(directory, "")
    return found


def _dataset_folder(directory: Path) -> bool:
    from mt_datasets.hub.layout import DATA_DIR, INFO_FILE

    readme = (directory / "README.md").is_file()
    return readme and ((directory / INFO_FILE).is_file() or (directory / DATA_DIR).is_dir())


def check_output_dir(directory: str | Path, *, makes: Sequence[str], option: str = "--output_dir", what: str) -> None:
    """Raise :class:`OutputDirError` when ``directory`` is (or lies under) a file, or holds what ``what`` (e.g.
    ``"training"``) does not write: anything matching none of ``makes``."""
    directory = Path(directory)
    for folder in (directory, *directory.parents):
        if folder.exists():
            if not folder.is_dir():
                where = "is a file" if folder == directory else f"lies under {folder}, which is a file"
                raise OutputDirError(
                    f"{option} {directory} {where}, not a folder: choose a folder (a new one is created); "
                    "nothing was written"
                )
            break
    foreign = foreign_entries(directory, makes)
    if not foreign:
        return
    kind = "is a dataset folder: it holds" if _dataset_folder(directory) else "holds"
    article = "an" if what[0] in "aeiou" else "a"
    listed = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
    raise OutputDirError(
        f"{option} {directory} {kind} {listed}, which {article} {what} does not write: choose a new or empty folder; "
        "nothing was written"
    )


@contextmanager
def claim_output_dir(
    directory: str | Path,
    *,
    makes: Sequence[str],
    option: str = "--output_dir",
    what: str,
    error: type[Exception] = OutputDirError,
) -> Iterator[Path]:
    """Check ``directory`` (:func:`check_output_dir`) and hold its lock for the ``with`` block.

    Raises ``error`` (the caller's one-line error type; :class:`OutputDirError` by default) for a directory the run
    may not write into, or one another live process holds (naming it). Every process of an ``accelerate launch``
    raises alike; the main process holds the lock.
    """
    from mt_datasets.hub.locks import DirectoryBusyError, directory_lock
    from mt_models.runtime.fast_path import process_state

    directory = Path(directory)
    try:
        check_output_dir(directory, makes=makes, option=option, what=what)
    except OutputDirError as refused:
        raise error(str(refused)) from None
    state = process_state()
    lock = directory_lock(directory) if state.is_main_process else None
    busy = None
    if lock is not None:
        try:
            lock.__enter__()
        except DirectoryBusyError as held:
            busy, lock = str(held), None
    if state.num_processes > 1:
        from accelerate.utils import broadcast_object_list

        busy = broadcast_object_list([busy])[0]
    if busy is not None:
        raise error(f"{option} {busy}")
    try:
        yield directory  # created by the run's first write: a run refused later (a bad model) leaves no folder
    finally:
        if lock is not None:
            lock.__exit__(None, None, None)


def missing_local_path(value: str | None, option: str) -> str | None:
    """One line when ``value`` reads as a local path that does not exist: part of it is a local folder (``runs/`` of
    ``runs/my-modle``), so it is a mistyped path rather than a Hub id, and no network error should answer it.

    Returns None for an existing path, a bare name (a registered backbone, a Hub dataset) or an ``org/name`` whose
    ``org`` is no local folder.
    """
    if not value:
        return None
    path = Path(value).expanduser()
    if path.exists() or len(path.parts) < 2:
        return None
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    if parent == Path(".") and not value.startswith("./"):
        return None
    missing = path.relative_to(parent).parts[0] if parent != Path(".") else path.parts[0]
    choices = sorted(p.name for p in parent.iterdir() if not p.name.startswith(".")) if parent.is_dir() else []
    hint = did_you_mean(missing, choices, "name").split(".", 1)[1].strip() if choices else f"{parent} is empty."
    return f"{option} {value}: no such folder ({parent / missing} does not exist). {hint}"
