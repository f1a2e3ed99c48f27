"""Prod's durable copy: verified snapshots in a store the user chooses (DATAOPS_PROD_STORE).

A snapshot holds prod (``prod.duckdb``, its saved dbt state, the previous prod) and the
persistent landing (the only copy of every landed file), so that a machine that starts
empty (a CI runner) carries on where the last publish ended. The store is a folder
(``/mnt/share/prod``, ``file:///...``) or an rclone remote (``name:bucket/path``: S3
and the like). Its layout::

    dataops-store.json        written once, by ``init``
    objects/<ab>/<sha256>     the bytes of each file once, named by their SHA-256
    snapshots/<id>.json       one manifest per push: path -> sha256, bytes, mode
    CURRENT                   {"snapshot": id, "sha256": sha256 of that manifest}

A push uploads the objects the store lacks (landed files never change: only new ones),
then the manifest, then writes ``CURRENT`` under a temporary name renamed onto it: a
pull sees the previous snapshot or the new one, never part of one. The current and the
previous snapshots are kept, older ones deleted with the objects only they used. A pull
checks the manifest against ``CURRENT``, stages what the checkout lacks and checks every
file's SHA-256 before it replaces a local file: a missing, empty or damaged store is
refused, the checkout left as it was. Publish's lock keeps publish, push and pull of one
checkout apart; one push at a time per store.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets
import shutil
import stat
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from dataops.core.errors import DataOpsError
from dataops.core.files import copy_atomic, fsync_path, sha256_of, write_atomic
from dataops.core.project import Project
from dataops.delivery.publish import Places, publish_lock
from dataops.delivery.store_backends import Store
from dataops.delivery.store_backends import open_store as open_store  # the entry point of a store

log = logging.getLogger(__name__)

FORMAT = 1
MARKER = "dataops-store.json"
POINTER = "CURRENT"
KEEP = 2
SYNC_RECORD = ".store-sync.json"  # in the warehouse folder: the last snapshot pulled or pushed
STAGING = ".store-staging"
LANDING = "landing/"
SHA256 = re.compile(r"[0-9a-f]{64}")
DAMAGED = (
    "the store is damaged or incomplete: pull an earlier snapshot (dataops store status"
    " lists them; dataops store pull --snapshot ID), or restore the store from a copy"
)


def object_key(sha: str) -> str:
    return f"objects/{sha[:2]}/{sha}"


@dataclass(frozen=True)
class Entry:
    """One file of a snapshot."""

    sha256: str
    bytes: int
    mode: int


def areas(project: Project) -> dict[str, Path]:
    """The folders (and the one file) of a snapshot, and where they are in this checkout."""
    places = Places.of(project)
    return {
        "warehouse/prod.duckdb": places.prod,
        "warehouse/prod-artifacts": places.prod_artifacts,
        "warehouse/previous": places.previous.parent,
        LANDING.rstrip("/"): project.landing_dir,
    }


def local_path(where: dict[str, Path], name: str) -> Path:
    parts = name.split("/")
    for area, root in where.items():
        if name == area:
            return root
        if name.startswith(area + "/") and "" not in parts and ".." not in parts:
            return root.joinpath(*name[len(area) + 1 :].split("/"))
    raise DataOpsError(f"the store's manifest names an unexpected path: {name!r}", DAMAGED)


def scan(where: dict[str, Path]) -> dict[str, Entry]:
    """Every file of the checkout's prod and landing (temporary, hidden names left out)."""
    found: dict[str, Entry] = {}
    for area, root in where.items():
        for path in [root] if root.is_file() else sorted(root.rglob("*")):
            relative = path.relative_to(root).parts
            if (
                path.is_file()
                and not path.is_symlink()
                and not any(part.startswith(".") for part in relative)
            ):
                info = path.stat()
                entry = Entry(sha256_of(path), info.st_size, stat.S_IMODE(info.st_mode))
                found["/".join((area, *relative))] = entry
    return found


def _json(store: Store, key: str, sha: str | None = None) -> tuple[bytes, dict] | None:
    data = store.read(key)
    if data is not None and sha is not None and hashlib.sha256(data).hexdigest() != sha:
        raise DataOpsError(f"{key} in the store {store.url} changed since it was written", DAMAGED)
    try:
        return None if data is None else (data, json.loads(data))
    except ValueError as error:
        raise DataOpsError(f"{key} in the store {store.url} is not valid JSON", DAMAGED) from error


def manifest_of(store: Store, pointer: dict) -> dict:
    """A snapshot's manifest, checked against the SHA-256 its pointer gives."""
    key = f"snapshots/{pointer['snapshot']}.json"
    found = _json(store, key, pointer["sha256"])
    if found is None:
        raise DataOpsError(f"{key} is missing from the store {store.url}", DAMAGED)
    manifest = found[1]
    try:
        manifest["files"] = {name: Entry(**entry) for name, entry in manifest["files"].items()}
    except (KeyError, TypeError, AttributeError) as error:
        raise DataOpsError(f"{key} in the store {store.url} is malformed", DAMAGED) from error
    if not all(SHA256.fullmatch(entry.sha256) for entry in manifest["files"].values()):
        raise DataOpsError(f"{key} in the store {store.url} names invalid objects", DAMAGED)
    return manifest


def current(store: Store) -> tuple[bytes, dict]:
    """The raw pointer and the current snapshot's manifest; refuses a missing or empty store."""
    found = _json(store, POINTER)
    if found is None:
        if store.read(MARKER) is None:
            raise DataOpsError(
                f"no prod store at {store.url} (nothing there)",
                "check DATAOPS_PROD_STORE (is the folder mounted, the remote reachable?); to"
                " start prod from nothing, the first time only: dataops store init",
            )
        raise DataOpsError(f"the store {store.url} has no {POINTER} pointer", DAMAGED)
    if not isinstance(found[1], dict) or {"snapshot", "sha256"} - found[1].keys():
        raise DataOpsError(f"the {POINTER} pointer of {store.url} is malformed", DAMAGED)
    return found[0], manifest_of(store, found[1])


def history(store: Store, depth: int = 1_000) -> list[dict]:
    """The current snapshot and those before it still in the store, newest first."""
    chain = [current(store)[1]]
    while chain[-1].get("parent") and len(chain) < depth:
        try:
            chain.append(manifest_of(store, chain[-1]["parent"]))
        except DataOpsError:
            break  # deleted: older snapshots are not kept
    return chain


def _new_snapshot(store: Store, files: dict[str, Entry], parent: dict | None, **extra) -> dict:
    """Write a manifest (not yet current); returns its pointer."""
    snapshot = f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(4)}"
    body = {"format": FORMAT, "snapshot": snapshot, "parent": parent, **extra}
    body["created_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    body["files"] = {name: vars(entry) for name, entry in sorted(files.items())}
    data = (json.dumps(body, indent=1) + "\n").encode()
    store.write(f"snapshots/{snapshot}.json", data)
    return {"snapshot": snapshot, "sha256": hashlib.sha256(data).hexdigest()}


def init(store: Store) -> str:
    """Start a store whose one snapshot is an empty prod: the only way to begin from nothing."""
    if store.read(MARKER) is not None or store.read(POINTER) is not None:
        raise DataOpsError(f"{store.url} is a prod store already", "dataops store pull reads it")
    store.write(MARKER, json.dumps({"format": FORMAT}).encode() + b"\n")
    pointer = _new_snapshot(store, {}, None, note="initialised: an empty prod")
    store.write(POINTER, json.dumps(pointer).encode() + b"\n")
    return pointer["snapshot"]


def _record(project: Project, store: Store | None = None, manifest: dict | None = None) -> dict:
    """Read (or, given a manifest, write) what this checkout last pulled or pushed."""
    path = project.warehouse_dir / SYNC_RECORD
    if manifest is None:
        try:
            return json.loads(path.read_bytes()) if path.is_file() else {}
        except ValueError:
            return {}  # unknown: a pull then replaces no local prod file without --force
    files = {n: e.sha256 for n, e in manifest["files"].items() if not n.startswith(LANDING)}
    record = {"store": store.url if store else None, "snapshot": manifest["snapshot"]}
    write_atomic(path, json.dumps(record | {"files": files}, indent=1).encode())
    return record


@dataclass
class Transfer:
    """What a push or a pull did: the snapshot, its file count, what was copied, removed."""

    snapshot: str
    files: int
    copied: dict[str, int] = field(default_factory=dict)  # path -> bytes, one per object
    removed: list[str] = field(default_factory=list)  # push: old snapshots; pull: local files
    published_at: str | None = None


def push(project: Project, store: Store, keep: int = KEEP, force: bool = False) -> Transfer:
    """Save the checkout's prod and landing as the store's new current snapshot."""
    places = Places.of(project)
    with publish_lock(places):
        raw, base = current(store)
        files, last = scan(areas(project)), _record(project).get("snapshot")
        if base["files"] and last != base["snapshot"] and not force:
            raise DataOpsError(
                f"the store {store.url} is at snapshot {base['snapshot']}; this checkout last"
                f" pulled or pushed {last or 'nothing'} from it",
                "pull first (dataops store pull), publish, then push; --force replaces the"
                " store's prod with this checkout's",
            )
        if "warehouse/prod.duckdb" in base["files"].keys() - files.keys():
            raise DataOpsError(f"no prod in this checkout ({places.prod})", "pull or publish first")
        if files == base["files"]:
            _record(project, store, base)
            return Transfer(base["snapshot"], len(files))
        present = store.sizes("objects")
        new = {object_key(e.sha256): (n, e) for n, e in files.items()}
        new = {key: item for key, item in new.items() if present.get(key) != item[1].bytes}
        where = areas(project)
        scratch = project.warehouse_dir / STAGING
        store.upload({key: local_path(where, name) for key, (name, _) in new.items()}, scratch)
        present = store.sizes("objects")
        if short := [name for key, (name, e) in new.items() if present.get(key) != e.bytes]:
            raise DataOpsError(
                f"{len(short)} files did not reach {store.url}, e.g. {short[0]}",
                "run the push again: the store still serves the previous snapshot",
            )
        published = places.prod_artifacts / "publish.json"
        at = json.loads(published.read_bytes()).get("published_at") if published.is_file() else None
        pointer = _new_snapshot(store, files, json.loads(raw), published_at=at)
        if store.read(POINTER) != raw:
            raise DataOpsError(
                f"the store {store.url} changed during this push (another push?)",
                "nothing was replaced: pull, publish again, then push",
            )
        store.write(POINTER, json.dumps(pointer).encode() + b"\n")
        _record(project, store, {"snapshot": pointer["snapshot"], "files": files})
        copied = {name: entry.bytes for name, entry in new.values()}
        return Transfer(pointer["snapshot"], len(files), copied, _prune(store, keep, present), at)


def _prune(store: Store, keep: int, objects: dict[str, int]) -> list[str]:
    """Delete the snapshots before the last ``keep`` and the objects only they used."""
    try:
        kept = history(store, max(keep, 2))
        names = {f"snapshots/{manifest['snapshot']}.json" for manifest in kept}
        old = sorted(set(store.sizes("snapshots")) - names)
        used = {object_key(e.sha256) for manifest in kept for e in manifest["files"].values()}
        store.delete(old)
        store.delete(sorted(set(objects) - used))
    except DataOpsError as error:
        log.warning("older snapshots not deleted (%s); the next push tries again", error.reason)
        return []
    return [name.removeprefix("snapshots/").removesuffix(".json") for name in old]


def _install(staged: Path, target: Path, mode: int) -> None:
    """Put ``staged`` at ``target`` by one rename (after a copy, across filesystems)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.store.tmp")
    try:
        os.replace(staged, temporary)
    except OSError:
        copy_atomic(staged, temporary)
    temporary.chmod(mode)
    os.replace(temporary, target)
    fsync_path(target.parent)


def _stage(store: Store, staging: Path, wanted: dict[str, Entry], have: dict[str, Path]) -> None:
    """Fetch the wanted objects (copy those the checkout has) into staging, and check each."""
    store.download([object_key(sha) for sha in wanted if sha not in have], staging)
    problems = []
    for sha, entry in wanted.items():
        staged = staging / object_key(sha)
        if sha in have:
            copy_atomic(have[sha], staged)
        if not staged.is_file():
            problems.append(f"{object_key(sha)} is missing")
        elif staged.stat().st_size != entry.bytes or sha256_of(staged) != sha:
            problems.append(f"{object_key(sha)} does not match its SHA-256")
    if problems:
        raise DataOpsError(
            f"the snapshot of {store.url} is refused, nothing local changed: {len(problems)}"
            f" of its files fail verification ({problems[0]})",
            DAMAGED,
        )


def pull(
    project: Project, store: Store, snapshot: str | None = None, force: bool = False
) -> Transfer:
    """Make the checkout's prod the store's snapshot, every file verified before it is placed."""
    where = areas(project)
    with publish_lock(Places.of(project)):
        chain = history(store) if snapshot else [current(store)[1]]
        manifest = next((m for m in chain if snapshot in (None, m["snapshot"])), None)
        if manifest is None:
            raise DataOpsError(f"no snapshot {snapshot} in {store.url}", "dataops store status")
        files: dict[str, Entry] = manifest["files"]
        targets = {name: local_path(where, name) for name in files}
        local, synced = scan(where), _record(project).get("files", {})
        prod = [name for name in local if not name.startswith(LANDING)]
        at_risk = [
            name
            for name in prod
            if local[name].sha256 not in (getattr(files.get(name), "sha256", ""), synced.get(name))
        ]
        if at_risk and not force:
            raise DataOpsError(
                f"this checkout's prod changed since its last pull or push ({at_risk[0]} and"
                f" {len(at_risk) - 1} more files): a pull would replace it",
                "push it first (dataops store push), or pull with --force to discard it",
            )
        have = {entry.sha256: local_path(where, name) for name, entry in local.items()}
        wanted = {entry.sha256: entry for name, entry in files.items() if local.get(name) != entry}
        staging = project.warehouse_dir / STAGING
        shutil.rmtree(staging, ignore_errors=True)
        try:
            _stage(store, staging, wanted, have)
            placed: dict[str, Path] = {}
            # The landing first, then prod's file, its artifacts last: publish's order.
            order = sorted(files, key=lambda n: (not n.startswith(LANDING), "artifacts" in n, n))
            for name in order:
                entry, target = files[name], targets[name]
                if local.get(name) == entry:
                    continue
                if entry.sha256 in placed:  # the same bytes at a second path
                    copy_atomic(placed[entry.sha256], target)
                    target.chmod(entry.mode)
                else:
                    _install(staging / object_key(entry.sha256), target, entry.mode)
                    placed[entry.sha256] = target
            removed = [name for name in prod if name not in files]
            for name in removed:
                local_path(where, name).unlink()
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        _record(project, store, manifest)
        copied = {e.sha256: e.bytes for e in wanted.values() if e.sha256 not in have}
        at = manifest.get("published_at")
        return Transfer(manifest["snapshot"], len(files), copied, removed, at)
