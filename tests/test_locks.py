"""One writer per directory: the lock beside the directory, its owner record, re-entry, and where it goes otherwise.

Two real processes meet the lock in test_syn_ta_generate.py (two generate commands) and test_publish.py (publish and
build against a process holding it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import mt_datasets.hub.locks as locks
from mt_datasets.hub.locks import directory_lock, lock_paths


def test_the_lock_sits_beside_the_directory_and_names_its_holder(tmp_path):
    out = tmp_path / "ds"
    out.mkdir()
    lock_file, owner_file = lock_paths(out)
    assert lock_file.parent == owner_file.parent == tmp_path
    with directory_lock(out, command="mt-datasets k400-ta build --out ds"):
        owner = json.loads(owner_file.read_text())
        assert owner["pid"] == os.getpid() and owner["command"] == "mt-datasets k400-ta build --out ds"
        with directory_lock(out):  # re-entrant in one process (a build, then the writer it opens)
            assert owner_file.is_file()
        assert owner_file.is_file()
    assert not owner_file.exists() and list(out.iterdir()) == []  # the directory itself is never touched


def test_a_second_process_is_refused_in_one_line_even_before_the_owner_is_written(tmp_path):
    out = tmp_path / "ds"
    with directory_lock(out):
        lock_paths(out)[1].write_text("not json")  # as if the holder had not written its record yet
        script = "import sys; from mt_datasets.hub.locks import directory_lock\nwith directory_lock(sys.argv[1]): pass"
        done = subprocess.run([sys.executable, "-c", script, str(out)], capture_output=True, text=True)
    assert done.returncode == 1 and "DirectoryBusyError" in done.stderr
    assert "is being written by another process (its details are not written yet)" in done.stderr
    with directory_lock(out):  # released: the next one gets it
        pass


def test_a_parent_that_cannot_hold_the_lock_puts_it_inside_the_directory(tmp_path, monkeypatch):
    # /proc takes no new files, even as root: the stand-in for a parent folder the user cannot write.
    monkeypatch.setattr(locks, "lock_paths", lambda directory: (locks.Path("/proc/mt.lock"), locks.Path("/proc/mt.o")))
    out = tmp_path / "ds"
    with directory_lock(out, command="x"):
        assert (out / ".mt-datasets.lock").is_file() and (out / ".mt-datasets.owner").is_file()
    assert not (out / ".mt-datasets.owner").exists()
    monkeypatch.setattr(locks, "_inside_paths", lambda directory: (locks.Path("/proc/a.lock"), locks.Path("/proc/b")))
    with pytest.raises(OSError, match="cannot create a lock file for"):
        with directory_lock(tmp_path / "other"):
            pass
