"""A loopback Hub that takes writes: enough of the Hugging Face Hub's HTTP protocol for huggingface_hub, datasets,
evaluate and transformers to create repositories, commit, tag and read back, unchanged.

Nothing here reaches the internet: the server binds 127.0.0.1 on a free port and runs in a thread of the test process.
Clients must set ``HF_ENDPOINT`` to its URL and ``HF_HUB_DISABLE_XET=1`` (with ``hf_xet`` installed huggingface_hub
would send LFS files through Xet, which this server does not speak). The protocol, as huggingface_hub 2.4 and
datasets 5.2 use it:

- ``POST /api/repos/create`` (409 with ``url`` when the repository exists), ``POST /api/validate-yaml``;
- ``GET|HEAD /api/{type}s/{ns}/{name}[/revision/{rev}]`` (``sha``, ``siblings``, ``private``, ...);
- ``POST /api/{type}s/{id}/preupload/{rev}`` (``lfs`` for binary files), ``POST .../commit/{rev}`` (NDJSON lines
  ``header``, ``file`` (base64), ``lfsFile`` (oid of an uploaded LFS object), ``deletedFile``, ``deletedFolder``);
- ``POST /{prefix}{id}.git/info/lfs/objects/batch`` with the ``basic`` transfer: uploads ``PUT`` back to this server;
- ``POST|DELETE .../branch/{name}``, ``POST .../tag/{rev}``, ``DELETE .../tag/{tag}``, ``GET .../refs``,
  ``GET .../commits/{rev}``, ``GET .../tree/{rev}[/{path}]`` (recursive on request, no pagination),
  ``POST .../paths-info/{rev}``;
- ``GET|HEAD /{prefix}{id}/resolve/{rev}/{path}`` with ``ETag``, ``X-Repo-Commit``, ``X-Linked-Etag`` /
  ``X-Linked-Size`` for LFS files, and byte ``Range`` requests.

``{prefix}`` is ``datasets/``, ``spaces/`` or nothing for models. A commit is a snapshot (path -> blob) with a parent;
branches and tags are names of commit oids. Regular blobs are stored by their git blob id, LFS objects by sha256, in
the server's directory. Private repositories answer 404 ``RepoNotFound`` to requests without a token.
:meth:`WriteHub.drop_next` makes the server close the connection without an answer on a chosen request, once, as a
network failure in the middle of an upload would.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = ["WriteHub", "client_env", "write_hub"]

_PREFIXES = {"datasets": "dataset", "spaces": "space"}
_LFS_SUFFIXES = (".parquet", ".safetensors", ".bin", ".mp4", ".webm", ".pt", ".arrow", ".npz", ".zip", ".gz")
_DATE = "2025-01-01T00:00:00.000Z"


def _git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _lfs_pointer(sha256: str, size: int) -> bytes:
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()


@dataclass(frozen=True)
class Blob:
    """A file of a commit: its git blob id and size, and for LFS files the sha256 of the content."""

    blob_id: str
    size: int
    lfs: str | None = None


@dataclass
class Repo:
    repo_type: str
    repo_id: str
    private: bool
    sdk: str | None = None
    commits: dict[str, tuple[str | None, dict[str, Blob], str]] = field(default_factory=dict)  # oid -> (parent, ...)
    branches: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    def resolve(self, revision: str) -> str | None:
        """The commit oid a branch, tag or commit oid names; None when nothing does."""
        revision = unquote(revision)
        if revision in self.branches:
            return self.branches[revision]
        if revision in self.tags:
            return self.tags[revision]
        for prefix in ("refs/heads/", "refs/tags/"):
            if revision.startswith(prefix):
                return self.resolve(revision[len(prefix) :])
        return revision if revision in self.commits else None

    def new_commit(self, parent: str | None, files: dict[str, Blob], message: str) -> str:
        oid = hashlib.sha1(json.dumps([parent, len(self.commits), message, time.time_ns()]).encode()).hexdigest()
        self.commits[oid] = (parent, files, message)
        return oid


class HubError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None, extra: dict | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.extra = status, message, code, extra or {}


class WriteHub:
    """The server's state: repositories, blobs on disk, the requests seen, and the LFS objects uploaded."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        (self.directory / "blobs").mkdir(parents=True, exist_ok=True)
        (self.directory / "lfs").mkdir(parents=True, exist_ok=True)
        self.repos: dict[tuple[str, str], Repo] = {}
        self.lock = threading.RLock()
        self.requests: list[str] = []
        self.lfs_uploads: list[str] = []  # sha256 of every LFS object PUT, in order
        self.url = ""
        self._drop: dict[str, int] = {}

    def drop_next(self, kind: str, nth: int = 1) -> None:
        """Close the connection without answering the ``nth`` next request of ``kind`` (``"commit"`` or
        ``"lfs-upload"``), once, after reading its body (the upload reached the server, the answer never left)."""
        self._drop[kind] = nth

    def _should_drop(self, kind: str) -> bool:
        with self.lock:
            if kind not in self._drop:
                return False
            self._drop[kind] -= 1
            if self._drop[kind] > 0:
                return False
            del self._drop[kind]
            return True

    def repo(self, repo_type: str, repo_id: str, authorized: bool) -> Repo:
        repo = self.repos.get((repo_type, repo_id))
        if repo is None or (repo.private and not authorized):
            raise HubError(404, f"Repository {repo_id} not found", "RepoNotFound")
        return repo

    def commit_of(self, repo: Repo, revision: str) -> str:
        oid = repo.resolve(revision)
        if oid is None:
            raise HubError(404, f"Revision {unquote(revision)} not found in {repo.repo_id}", "RevisionNotFound")
        return oid

    def files(self, repo: Repo, revision: str) -> tuple[str, dict[str, Blob]]:
        oid = self.commit_of(repo, revision)
        return oid, repo.commits[oid][1]

    def content(self, blob: Blob) -> Path:
        return self.directory / "lfs" / blob.lfs if blob.lfs else self.directory / "blobs" / blob.blob_id

    def store_regular(self, data: bytes) -> Blob:
        blob_id = _git_blob_id(data)
        (self.directory / "blobs" / blob_id).write_bytes(data)
        return Blob(blob_id, len(data))

    def lfs_blob(self, sha256: str) -> Blob:
        path = self.directory / "lfs" / sha256
        if not path.is_file():
            raise HubError(422, f"LFS object {sha256} was never uploaded")
        size = path.stat().st_size
        return Blob(_git_blob_id(_lfs_pointer(sha256, size)), size, sha256)

    def history(self, repo: Repo, revision: str) -> list[str]:
        """The commit oids from ``revision`` back to the first commit."""
        oid: str | None = self.commit_of(repo, revision)
        chain = []
        while oid is not None:
            chain.append(oid)
            oid = repo.commits[oid][0]
        return chain


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hub: WriteHub

    def log_message(self, *args) -> None:  # keep pytest output clean
        pass

    # --- transport -------------------------------------------------------------------------------------------------
    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None, ctype: str = "") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype or "application/json")
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, value, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(value).encode(), headers)

    def _drop(self) -> None:
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    @property
    def _authorized(self) -> bool:
        return self.headers.get("Authorization", "").startswith("Bearer ")

    def _dispatch(self) -> None:
        hub = self.hub
        hub.requests.append(f"{self.command} {self.path}")
        body = self._body() if self.command in ("POST", "PUT", "DELETE") else b""
        try:
            with hub.lock:
                self._route(urlsplit(self.path), body)
        except HubError as error:
            headers = {"X-Error-Message": error.message}
            if error.code:
                headers["X-Error-Code"] = error.code
            self._json({"error": error.message, **error.extra}, error.status, headers)
        except _Dropped:
            self._drop()

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = _dispatch

    # --- routes ----------------------------------------------------------------------------------------------------
    def _route(self, url, body: bytes) -> None:
        parts = [unquote(p) for p in url.path.strip("/").split("/")]
        query = parse_qs(url.query)
        if parts[:1] == ["api"]:
            return self._api(parts[1:], query, body)
        if parts[:1] == ["lfs-upload"]:
            return self._lfs_upload(parts[1], body)
        if parts[:1] == ["lfs-verify"]:
            return self._json({"success": True})
        repo_type = _PREFIXES.get(parts[0], "model")
        rest = parts[1:] if parts[0] in _PREFIXES else parts
        if len(rest) >= 2 and rest[1].endswith(".git") and rest[2:5] == ["info", "lfs", "objects"]:
            return self._lfs_batch(repo_type, f"{rest[0]}/{rest[1][:-4]}", body)
        if len(rest) >= 4 and rest[2] == "resolve":
            # The revision is one quoted segment; the file path follows it.
            raw = url.path.strip("/").split("/")[(1 if parts[0] in _PREFIXES else 0) + 3 :]
            return self._resolve(repo_type, f"{rest[0]}/{rest[1]}", unquote(raw[0]), unquote("/".join(raw[1:])))
        raise HubError(404, f"no route for {self.command} {url.path}")

    def _api(self, parts: list[str], query: dict, body: bytes) -> None:
        hub = self.hub
        if parts == ["repos", "create"]:
            return self._create(json.loads(body or b"{}"))
        if parts == ["validate-yaml"]:
            return self._validate_yaml(json.loads(body or b"{}"))
        if parts[:1] == ["whoami-v2"]:
            return self._json({"type": "user", "name": "tests", "auth": {"accessToken": {"role": "write"}}})
        if len(parts) < 3 or not parts[0].endswith("s"):
            raise HubError(404, f"no route for /api/{'/'.join(parts)}")
        repo_type, repo_id, action, rest = parts[0][:-1], f"{parts[1]}/{parts[2]}", parts[3:4], parts[4:]
        repo = hub.repo(repo_type, repo_id, self._authorized)
        if not action or action == ["revision"]:
            return self._info(repo, rest[0] if rest else "main")
        name = action[0]
        if name == "preupload":
            return self._preupload(repo, rest[0], json.loads(body))
        if name == "commit":
            return self._commit(repo, rest[0], body, query)
        if name == "branch":
            return self._branch(repo, "/".join(rest), json.loads(body or b"{}"))
        if name == "tag":
            return self._tag(repo, "/".join(rest), json.loads(body or b"{}"))
        if name == "refs":
            refs = [
                [{"name": n, "ref": f"refs/{kind}/{n}", "targetCommit": oid} for n, oid in table.items()]
                for kind, table in (("heads", repo.branches), ("tags", repo.tags))
            ]
            return self._json({"branches": refs[0], "tags": refs[1], "converts": [], "pullRequests": []})
        if name == "commits":
            chain = hub.history(repo, rest[0] if rest else "main")
            entry = {"message": "", "authors": [], "date": _DATE}
            return self._json([{**entry, "id": oid, "title": repo.commits[oid][2]} for oid in chain])
        if name == "tree":
            return self._tree(repo, rest[0], "/".join(rest[1:]), query)
        if name == "paths-info":
            return self._paths_info(repo, rest[0], body)
        raise HubError(404, f"no route for /api/{'/'.join(parts)}")

    def _create(self, payload: dict) -> None:
        repo_type = payload.get("type") or "model"
        repo_id = f"{payload.get('organization') or 'tests'}/{payload['name']}"
        prefix = "" if repo_type == "model" else f"{repo_type}s/"
        url = f"{self.hub.url}/{prefix}{repo_id}"
        if (repo_type, repo_id) in self.hub.repos:
            raise HubError(409, "You already created this repo", extra={"url": url})
        private = payload.get("private", payload.get("visibility") == "private") or False
        repo = Repo(repo_type, repo_id, bool(private), payload.get("sdk"))
        attributes = (
            "*.parquet filter=lfs diff=lfs merge=lfs -text\n*.safetensors filter=lfs diff=lfs merge=lfs -text\n"
        )
        repo.branches["main"] = repo.new_commit(
            None, {".gitattributes": self.hub.store_regular(attributes.encode())}, "initial commit"
        )
        self.hub.repos[(repo_type, repo_id)] = repo
        self._json({"url": url, "name": repo_id, "id": repo_id})

    def _validate_yaml(self, payload: dict) -> None:
        import yaml

        match = re.match(r"^---\s*\n(.*?)\n---\s*\n", payload.get("content", ""), re.S)
        try:
            yaml.safe_load(match.group(1)) if match else None
        except yaml.YAMLError as error:
            return self._json({"errors": [{"message": str(error)}], "warnings": []}, 400)
        self._json({"errors": [], "warnings": []})

    def _info(self, repo: Repo, revision: str) -> None:
        oid, files = self.hub.files(repo, revision)
        info = {
            "_id": repo.repo_id,
            "id": repo.repo_id,
            "author": repo.repo_id.split("/")[0],
            "sha": oid,
            "lastModified": _DATE,
            "createdAt": _DATE,
            "private": repo.private,
            "disabled": False,
            "gated": False,
            "downloads": 0,
            "likes": 0,
            "tags": [],
            "siblings": [{"rfilename": path} for path in sorted(files)],
        }
        if repo.repo_type == "model":
            info["modelId"] = repo.repo_id
        if repo.repo_type == "space":
            info.update(sdk=repo.sdk, runtime={"stage": "RUNNING"})
        self._json(info)

    def _preupload(self, repo: Repo, revision: str, payload: dict) -> None:
        _, files = self.hub.files(repo, revision)
        answers = []
        for entry in payload.get("files", []):
            sample = base64.b64decode(entry.get("sample", ""))
            path = entry["path"]
            lfs = b"\0" in sample or path.endswith(_LFS_SUFFIXES) or entry.get("size", 0) >= 10 * 1024**2
            current = files.get(path)
            oid = (current.lfs or current.blob_id) if current else None
            answers.append({"path": path, "uploadMode": "lfs" if lfs else "regular", "shouldIgnore": False, "oid": oid})
        self._json({"files": answers, "commitOid": self.hub.commit_of(repo, revision)})

    def _commit(self, repo: Repo, revision: str, body: bytes, query: dict) -> None:
        if self.hub._should_drop("commit"):
            raise _Dropped
        branch = unquote(revision)
        if branch not in repo.branches:
            raise HubError(404, f"Branch {branch} not found in {repo.repo_id}", "RevisionNotFound")
        parent = repo.branches[branch]
        files = dict(repo.commits[parent][1])
        summary = "commit"
        for line in body.splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            key, value = item["key"], item["value"]
            if key == "header":
                summary = value.get("summary") or summary
                if value.get("parentCommit") and value["parentCommit"] != parent:
                    raise HubError(412, "A commit has happened since the parent commit was read")
            elif key == "file":
                files[value["path"]] = self.hub.store_regular(base64.b64decode(value["content"]))
            elif key == "lfsFile":
                files[value["path"]] = self.hub.lfs_blob(value["oid"])
            elif key == "deletedFile":
                if files.pop(value["path"], None) is None:
                    raise HubError(404, "A file with this name doesn't exist", "EntryNotFound")
            elif key == "deletedFolder":
                folder = value["path"].rstrip("/") + "/"
                files = {path: blob for path, blob in files.items() if not path.startswith(folder)}
            else:
                raise HubError(400, f"unknown commit line {key!r}")
        oid = repo.new_commit(parent, files, summary)
        repo.branches[branch] = oid
        prefix = "" if repo.repo_type == "model" else f"{repo.repo_type}s/"
        self._json(
            {
                "success": True,
                "commitOid": oid,
                "commitUrl": f"{self.hub.url}/{prefix}{repo.repo_id}/commit/{oid}",
                "pullRequestUrl": None,
            }
        )

    def _branch(self, repo: Repo, name: str, payload: dict) -> None:
        if self.command == "DELETE":
            repo.branches.pop(name, None)
            return self._json({})
        if name in repo.branches:
            raise HubError(409, f"Branch {name} already exists")
        repo.branches[name] = self.hub.commit_of(repo, payload.get("startingPoint") or "main")
        self._json({})

    def _tag(self, repo: Repo, revision: str, payload: dict) -> None:
        if self.command == "DELETE":
            if repo.tags.pop(revision, None) is None:
                raise HubError(404, f"Tag {revision} not found", "RevisionNotFound")
            return self._json({})
        tag = payload["tag"]
        if tag in repo.tags:
            raise HubError(409, f"Tag {tag} already exists")
        repo.tags[tag] = self.hub.commit_of(repo, revision)
        self._json({})

    def _entries(self, files: dict[str, Blob], root: str, recursive: bool) -> list[dict]:
        prefix = f"{root.rstrip('/')}/" if root else ""
        entries, folders = [], set()
        for path in sorted(files):
            if not path.startswith(prefix):
                continue
            relative = path[len(prefix) :].split("/")
            for depth in range(1, len(relative)):
                if recursive or depth == 1:
                    folders.add(prefix + "/".join(relative[:depth]))
            if recursive or len(relative) == 1:
                entries.append(_file_entry(path, files[path]))
        return [
            {"type": "directory", "oid": hashlib.sha1(f.encode()).hexdigest(), "path": f} for f in sorted(folders)
        ] + entries

    def _tree(self, repo: Repo, revision: str, path: str, query: dict) -> None:
        _, files = self.hub.files(repo, revision)
        recursive = query.get("recursive", ["false"])[0].lower() in ("1", "true")
        if path and path in files:
            raise HubError(404, f"{path} is a file, not a folder", "EntryNotFound")
        if path and not any(p.startswith(path.rstrip("/") + "/") for p in files):
            raise HubError(404, f"{path} does not exist at {revision}", "EntryNotFound")
        self._json(self._entries(files, path, recursive))

    def _paths_info(self, repo: Repo, revision: str, body: bytes) -> None:
        _, files = self.hub.files(repo, revision)
        if self.headers.get("Content-Type", "").startswith("application/json"):
            paths = json.loads(body).get("paths", [])
        else:
            paths = parse_qs(body.decode()).get("paths", [])
        answer = []
        for path in paths:
            path = path.strip("/")
            if path in files:
                answer.append(_file_entry(path, files[path]))
            elif any(p.startswith(path + "/") for p in files) or path == "":
                answer.append({"type": "directory", "oid": hashlib.sha1(path.encode()).hexdigest(), "path": path})
        self._json(answer)

    def _lfs_batch(self, repo_type: str, repo_id: str, body: bytes) -> None:
        self.hub.repo(repo_type, repo_id, self._authorized)
        payload = json.loads(body)
        objects = []
        for item in payload.get("objects", []):
            entry = {"oid": item["oid"], "size": item["size"], "authenticated": True}
            if not (self.hub.directory / "lfs" / item["oid"]).is_file():
                entry["actions"] = {
                    "upload": {"href": f"{self.hub.url}/lfs-upload/{item['oid']}", "header": {}},
                    "verify": {"href": f"{self.hub.url}/lfs-verify", "header": {}},
                }
            objects.append(entry)
        self._send(
            200, json.dumps({"transfer": "basic", "objects": objects}).encode(), ctype="application/vnd.git-lfs+json"
        )

    def _lfs_upload(self, oid: str, body: bytes) -> None:
        if self.hub._should_drop("lfs-upload"):
            raise _Dropped
        if hashlib.sha256(body).hexdigest() != oid:
            raise HubError(400, f"the uploaded content does not hash to {oid}")
        (self.hub.directory / "lfs" / oid).write_bytes(body)
        self.hub.lfs_uploads.append(oid)
        self._send(200)

    def _resolve(self, repo_type: str, repo_id: str, revision: str, path: str) -> None:
        repo = self.hub.repo(repo_type, repo_id, self._authorized)
        oid, files = self.hub.files(repo, revision)
        blob = files.get(path)
        headers = {"X-Repo-Commit": oid, "Accept-Ranges": "bytes"}
        if blob is None:
            raise HubError(404, f"Entry {path} not found at {revision}", "EntryNotFound", {})
        headers["ETag"] = f'"{blob.blob_id}"'
        if blob.lfs:
            headers.update({"X-Linked-Etag": f'"{blob.lfs}"', "X-Linked-Size": str(blob.size)})
        data = self.hub.content(blob).read_bytes()
        match = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", "").strip())
        if match and (match.group(1) or match.group(2)):
            start, end = match.groups()
            if start:
                first, last = int(start), min(int(end) if end else len(data) - 1, len(data) - 1)
            else:
                first, last = max(0, len(data) - int(end)), len(data) - 1
            if first >= len(data):
                return self._send(416, b"", {**headers, "Content-Range": f"bytes */{len(data)}"})
            headers["Content-Range"] = f"bytes {first}-{last}/{len(data)}"
            return self._send(206, data[first : last + 1], headers, "application/octet-stream")
        self._send(200, data, headers, "application/octet-stream")


class _Dropped(Exception):
    """Raised inside a route to close the connection without an answer."""


def _file_entry(path: str, blob: Blob) -> dict:
    entry = {"type": "file", "oid": blob.blob_id, "size": blob.size, "path": path}
    if blob.lfs:
        entry["lfs"] = {"oid": blob.lfs, "size": blob.size, "pointerSize": len(_lfs_pointer(blob.lfs, blob.size))}
    return entry


@contextmanager
def write_hub(directory: Path) -> Iterator[WriteHub]:
    """Run a :class:`WriteHub` storing under ``directory`` on a free loopback port; yields it (``.url`` set)."""
    hub = WriteHub(directory)
    handler = type("Handler", (_Handler,), {"hub": hub})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    hub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hub
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def client_env(hub: WriteHub, base: dict[str, str], home: Path, token: str | None = "hf_test_token") -> dict[str, str]:
    """The environment of a client process of ``hub``: its endpoint, no Xet, online, its own HF cache ``home``."""
    env = {**base, "HF_ENDPOINT": hub.url, "HF_HUB_DISABLE_XET": "1", "HF_HOME": str(home)}
    for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "HF_EVALUATE_OFFLINE", "HF_DATASETS_CACHE", "HF_TOKEN"):
        env.pop(name, None)
    if token:
        env["HF_TOKEN"] = token
    return env
