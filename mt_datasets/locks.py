"""One writer at a time per dataset directory: a file lock (``filelock``, as datasets and huggingface_hub use) that
names the process holding it.

``mt-datasets syn-ta generate``, ``k400-ta build``, ``ssv2-ta build``, ``syn-ta convert`` and ``publish`` hold the lock
of their directory while they work, so a second command on the same directory stops at once with one line naming
the first (its pid, host and command) instead of failing half-way through the other's files.

The lock lives beside the directory, not in it (``PARENT/.NAME.mt-datasets.lock``; the holder's details in
``PARENT/.NAME.mt-datasets.owner`` while it is held), so locking never changes what the directory holds: a dataset
directory stays byte-identical, and an unrelated directory that a command refuses stays untouched. The operating
system releases the lock of a killed process. Within one process the lock is re-entrant (a build holds it, and the
writer it opens takes it again).
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


# resolved lock path -> (the lock, how many times this process holds it)
_HELD: dict[Path, tuple[FileLock, int]] = {}
_GUARD = threading.Lock()


def lock_paths(directory: str | Path) -> tuple[Path, Path]:
    """``(lock file, owner file)`` of ``directory``: hidden files beside it."""
    directory = Path(directory).resolve()
    return (
        directory.parent / f".{directory.name}.mt-datasets.lock",
        directory.parent / f".{directory.name}.mt-datasets.owner",
    )


@contextmanager
def directory_lock(directory: str | Path, *, command: str | None = None) -> Iterator[None]:
    """Hold ``directory``'s lock for the ``with`` block, or raise :class:`DirectoryBusyError` at once.

    ``command`` is what the owner file records as this process's command (default: its command line). The directory
    itself is neither created nor touched; its parent must exist (it is created when missing).
    """
    lock_path, owner_path = lock_paths(directory)
    with _GUARD:
        held = _HELD.get(lock_path)
        if held is not None:
            _HELD[lock_path] = (held[0], held[1] + 1)
    if held is None:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(lock_path), timeout=0, thread_local=False)
        try:
            lock.acquire()
        except Timeout:
            raise DirectoryBusyError(_busy_message(Path(directory), owner_path)) from None
        owner = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "command": command or (shlex.join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv else "python"),
            "since": time.strftime("%Y-%m-%d %H:%M:%S"),
        }
        atomic_write_bytes(owner_path, json.dumps(owner).encode())
        with _GUARD:
            _HELD[lock_path] = (lock, 1)
    try:
        yield
    finally:
        with _GUARD:
            lock, count = _HELD[lock_path]
            if count > 1:
                _HELD[lock_path] = (lock, count - 1)
            else:
                del _HELD[lock_path]
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
