"""Where a prod store lives: a folder of this machine, or an rclone remote (S3 and the like).

A backend reads, writes, lists, uploads, downloads and deletes the keys of a store
(``dataops.delivery.store`` lays them out). rclone rather than a Python client: one tool
covers S3, GCS, Azure, SFTP and WebDAV, is packaged by Debian and Ubuntu (GitHub's
runners install it with apt), and keeps credentials in its own configuration.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlparse

from dataops.core.errors import DataOpsError
from dataops.core.files import copy_atomic, write_atomic


class LocalStore:
    """A store in a folder of this machine (or of a share mounted on it)."""

    def __init__(self, root: Path) -> None:
        self.root, self.url = root, str(root)

    def read(self, key: str) -> bytes | None:
        try:
            return (self.root / key).read_bytes() if (self.root / key).is_file() else None
        except OSError as error:
            hint = "check the path and its permissions"
            raise DataOpsError(f"the store {self.url} cannot be read: {error}", hint) from error

    def write(self, key: str, data: bytes) -> None:
        write_atomic(self.root / key, data)  # a temporary file renamed onto the key

    def sizes(self, prefix: str) -> dict[str, int]:
        return {
            path.relative_to(self.root).as_posix(): path.stat().st_size
            for path in (self.root / prefix).rglob("*")
            if path.is_file() and not path.name.startswith(".")
        }

    def upload(self, files: dict[str, Path], scratch: Path) -> None:
        for key, source in files.items():
            copy_atomic(source, self.root / key)

    def download(self, keys: list[str], folder: Path) -> None:
        for key in keys:
            if (self.root / key).is_file():
                copy_atomic(self.root / key, folder / key)

    def delete(self, keys: list[str]) -> None:
        for key in keys:
            (self.root / key).unlink(missing_ok=True)


class RcloneStore:
    """A store on an rclone remote (rclone: ``apt-get install rclone`` on Debian, Ubuntu)."""

    def __init__(self, remote: str) -> None:
        self.url = remote if remote.endswith(":") else remote.rstrip("/")

    def _path(self, key: str = "") -> str:
        return self.url + ("/" if key and not self.url.endswith(":") else "") + key

    def _run(self, *args: str, missing_ok: bool = False) -> bytes | None:
        exe = os.environ.get("DATAOPS_RCLONE", "rclone")
        if shutil.which(exe) is None:
            raise DataOpsError(
                f"rclone ({exe}) is not installed; the store {self.url} is an rclone remote",
                "install it (Debian, Ubuntu, GitHub's runners: sudo apt-get install rclone),"
                " or set DATAOPS_RCLONE to its path",
            )
        done = subprocess.run([exe, *args], capture_output=True, check=False)
        if done.returncode == 0 or (missing_ok and done.returncode in (3, 4)):  # 3, 4: not found
            return done.stdout if done.returncode == 0 else None
        lines = done.stderr.decode(errors="replace").strip().splitlines() or ["no message"]
        raise DataOpsError(
            f"the store {self.url} cannot be reached: rclone {args[0]} exited"
            f" {done.returncode}: {lines[-1]}",
            "check the remote's name and credentials (its rclone.conf, RCLONE_CONFIG) and"
            f" the network: rclone lsf {self.url}",
        )

    def read(self, key: str) -> bytes | None:
        return self._run("cat", self._path(key), missing_ok=True) or None  # b"": no such key

    def write(self, key: str, data: bytes) -> None:
        temporary = f"{key}.{secrets.token_hex(4)}.tmp"
        with tempfile.TemporaryDirectory() as folder:
            (Path(folder) / "data").write_bytes(data)
            self._run("copyto", str(Path(folder) / "data"), self._path(temporary))
        self._run("moveto", self._path(temporary), self._path(key))

    def sizes(self, prefix: str) -> dict[str, int]:
        listing = ("lsf", "-R", "--files-only", "--format", "sp", self._path(prefix))
        lines = (self._run(*listing, missing_ok=True) or b"").decode().splitlines()
        return {f"{prefix}/{line.split(';', 1)[1]}": int(line.split(";")[0]) for line in lines}

    def upload(self, files: dict[str, Path], scratch: Path) -> None:
        staging = scratch / "upload"
        shutil.rmtree(staging, ignore_errors=True)
        try:
            for key, source in files.items():
                (staging / key).parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.link(source, staging / key)
                except OSError:
                    shutil.copyfile(source, staging / key)
            self._run("copy", "--no-traverse", str(staging), self._path())
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _listed(self, keys: list[str], *command: str) -> None:
        if keys:
            with tempfile.NamedTemporaryFile("w", suffix=".txt") as listing:
                listing.write("".join(f"{key}\n" for key in keys))
                listing.flush()
                self._run(*command, "--files-from", listing.name, "--no-traverse")

    def download(self, keys: list[str], folder: Path) -> None:
        self._listed(keys, "copy", self._path(), str(folder))

    def delete(self, keys: list[str]) -> None:
        self._listed(keys, "delete", self._path())


Store = LocalStore | RcloneStore


def open_store(url: str | None) -> Store:
    """The store at ``url``: a folder, a ``file://`` URL, or an rclone remote (``name:path``)."""
    if not url:
        raise DataOpsError(
            "no store configured for prod",
            "set DATAOPS_PROD_STORE (or pass --store) to a folder, a file:// URL or an rclone"
            " remote such as prodstore:bucket/nycflights",
        )
    if url.startswith("file:"):
        parsed = urlparse(url)
        if parsed.netloc not in ("", "localhost"):
            raise DataOpsError(f"{url} names another host", "use file:///absolute/path")
        return LocalStore(Path(unquote(parsed.path)))
    if ":" in url.split("/", 1)[0]:
        return RcloneStore(url)
    return LocalStore(Path(url).expanduser().resolve())
