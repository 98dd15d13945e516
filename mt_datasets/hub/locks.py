"""One writer at a time per dataset directory: a file lock (``filelock``, as datasets and huggingface_hub use) that
names the process holding it.

``mt-datasets syn-ta generate``, ``k400-ta build``, ``ssv2-ta build``, ``syn-ta convert`` and ``publish`` hold the lock
of their directory while they work, so a second command on the same directory stops at once with one line naming
the first (its pid, host and command) instead of failing half-way through the other's files.

The lock lives beside the directory, not in it (``PARENT/.NAME.mt-datasets.lock``; the holder's details in
``PARENT/.NAME.mt-datasets.owner`` while it is held), so locking never changes what the directory holds: a dataset
directory stays byte-identical, and an unrelated directory that a command refuses stays untouched. Only where the
parent is not writable does the lock go inside the directory (``.mt-datasets.lock``, hidden: ``publish`` skips it).
The operating system releases the lock of a killed process. Within one process the lock is re-entrant (a build holds
it, and the writer it opens takes it again).
"""

from __future__ import annotations

import json
import os
import shlex
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from mt_datasets.files import atomic_write_bytes

__all__ = ["DirectoryBusyError", "directory_lock", "lock_paths"]


class DirectoryBusyError(RuntimeError):
    """Another process holds the directory's lock; the message is one line naming it."""


# resolved directory -> (its lock, how many times this process holds it, the owner file)
_HELD: dict[Path, tuple[FileLock, int, Path]] = {}
_GUARD = threading.Lock()


def lock_paths(directory: str | Path) -> tuple[Path, Path]:
    """``(lock file, owner file)`` of ``directory``: hidden files beside it."""
    directory = Path(directory).resolve()
    return (
        directory.parent / f".{directory.name}.mt-datasets.lock",
        directory.parent / f".{directory.name}.mt-datasets.owner",
    )


def _inside_paths(directory: Path) -> tuple[Path, Path]:
    """Where the lock goes when the directory's parent cannot hold it (not writable): inside the directory."""
    directory = directory.resolve()
    return directory / ".mt-datasets.lock", directory / ".mt-datasets.owner"


def _creatable(lock_path: Path) -> str | None:
    """None when the lock file can be created (or opened) where ``lock_path`` says, else why not.

    filelock reports a lock file it cannot create as a lock it could not acquire; this tells the two apart.
    """
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644))
    except OSError as error:
        return f"{lock_path}: {error.strerror or error}"
    return None


@contextmanager
def directory_lock(directory: str | Path, *, command: str | None = None) -> Iterator[None]:
    """Hold ``directory``'s lock for the ``with`` block, or raise :class:`DirectoryBusyError` at once.

    ``command`` is what the owner file records as this process's command (default: its command line). The lock
    lives beside the directory; where its parent is not writable, inside it (hidden). ``OSError`` when neither can
    hold a lock file.
    """
    directory = Path(directory)
    key = directory.resolve()
    with _GUARD:
        held = _HELD.get(key)
        if held is not None:
            _HELD[key] = (held[0], held[1] + 1, held[2])
    if held is None:
        lock_path, owner_path = lock_paths(directory)
        reasons = [_creatable(lock_path)]
        if reasons[0] is not None:
            lock_path, owner_path = _inside_paths(directory)
            reasons.append(_creatable(lock_path))
            if reasons[1] is not None:
                raise OSError(f"cannot create a lock file for {directory} ({'; '.join(reasons)}): make it writable")
        lock = FileLock(str(lock_path), timeout=0, thread_local=False)
        try:
            lock.acquire()
        except Timeout:
            raise DirectoryBusyError(_busy_message(directory, owner_path)) from None
        owner = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "command": command or (shlex.join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv else "python"),
            "since": time.strftime("%Y-%m-%d %H:%M:%S"),
        }
        atomic_write_bytes(owner_path, json.dumps(owner).encode())
        with _GUARD:
            _HELD[key] = (lock, 1, owner_path)
    try:
        yield
    finally:
        with _GUARD:
            lock, count, owner_path = _HELD[key]
            if count > 1:
                _HELD[key] = (lock, count - 1, owner_path)
            else:
                del _HELD[key]
                # Still held while the owner file goes, so no other process's owner file is removed.
                owner_path.unlink(missing_ok=True)
                lock.release()


def _busy_message(directory: Path, owner_path: Path) -> str:
    try:
        owner = json.loads(owner_path.read_text())
        who = f"pid {owner['pid']} on {owner['host']}, running `{owner['command']}` since {owner['since']}"
    except (OSError, ValueError, KeyError, TypeError):
        who = "its details are not written yet"
    return (
        f"{directory} is being written by another process ({who}); one writer per directory: wait for it to finish "
        "or stop it, or use another directory"
    )
