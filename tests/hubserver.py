"""Loopback HTTP servers for tests: a Hub stand-in that answers every request with one status, and olah.

Nothing here reaches the internet: every server binds 127.0.0.1 on a free port.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

__all__ = ["free_port", "olah_server", "status_server", "commit_repo"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def status_server(status: int, headers: dict[str, str] | None = None) -> Iterator[tuple[str, list[str]]]:
    """A server answering every request with ``status`` and a Hub-style JSON error; yields (url, requests seen)."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            seen.append(f"{self.command} {self.path}")
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            body = json.dumps({"error": f"test server says {status}"}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Error-Message", f"test server says {status}")
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _answer

        def log_message(self, *args) -> None:  # keep pytest output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def commit_repo(
    source: Path,
    mirrors: Path,
    repo_id: str,
    *,
    repo_type: str = "datasets",
    files: list[str] | None = None,
    tags: tuple[str, ...] = (),
) -> Path:
    """Copy a directory (or only ``files`` of it) into olah's mirror tree as a git repository with one commit.

    olah serves ``<mirrors>/<repo_type>/<org>/<name>`` (``datasets``, ``models`` or ``spaces``) straight from git
    objects (no LFS: the files are small); ``tags`` name the commit too. Returns the repository's path.
    """
    target = mirrors / repo_type / repo_id
    if files is None:
        shutil.copytree(source, target, ignore=shutil.ignore_patterns(".lock", ".*.tmp"))
    else:
        target.mkdir(parents=True)
        for name in files:
            shutil.copyfile(source / name, target / name)
    git = ["git", "-C", str(target), "-c", "user.name=tests", "-c", "user.email=tests@localhost"]
    tagging = [["tag", tag] for tag in tags]
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "release"], *tagging):
        subprocess.run([*git, *args], check=True, capture_output=True)
    return target


@contextmanager
def olah_server(mirrors: Path, workdir: Path, *, timeout: float = 60) -> Iterator[str]:
    """Run olah in offline mode on a free loopback port, serving the git repositories under ``mirrors``.

    Offline, olah never contacts huggingface.co: the metadata, tree, paths-info and resolve routes answer from the
    local mirror. Yields the endpoint URL (for ``HF_ENDPOINT``); the server process is terminated on exit.
    """
    port = free_port()
    config = workdir / "olah.toml"
    config.write_text(
        "[basic]\n"
        f'host = "127.0.0.1"\nport = {port}\n'
        f'repos-path = "{workdir / "cache"}"\n'
        f'mirrors-path = ["{mirrors}"]\n'
        "[accessibility]\noffline = true\n"
    )
    log = open(workdir / "olah.log", "wb")  # noqa: SIM115 - closed in finally
    process = subprocess.Popen(
        [sys.executable, "-m", "olah.server", "-c", str(config), "--log-path", str(workdir / "logs")],
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                output = (workdir / "olah.log").read_text()[-2000:]
                raise RuntimeError(f"olah exited with {process.returncode}: {output}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"olah did not start listening on {url} within {timeout} s") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
