"""Prod's store: push, pull, refusals, and the GitHub workflow that uses it, on real days of 2013.

One scenario, as the workflow runs it on machines that start empty:

1. checkout A publishes 1-2 January, initialises a store (a folder) and pushes;
2. checkout B starts empty, pulls (byte-identical to A), receives 3 January,
   publishes, is refused a pull that would discard that publish, and pushes:
   only the files the store lacked are copied;
3. A, left at the first snapshot, is refused a push over the second;
4. checkout C starts empty and pulls through a ``file://`` URL: B's prod;
5. copies of the store, each damaged in one way, are refused by a pull into a
   copy of A, which stays byte for byte as it was; so are a missing tool and an
   unreachable remote;
6. a push cut short leaves the store serving the previous snapshot.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb
import pytest
import yaml

from dataops.core.project import Project
from dataops.delivery import store as store_module
from tests.core.test_pipeline import flights_between

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]
BIN = Path(sys.executable).parent
WORKFLOW = ROOT / ".github" / "workflows" / "dataops.yml"
FIRST, LAST, NEXT, LATER = date(2013, 1, 1), date(2013, 1, 2), date(2013, 1, 3), date(2013, 1, 4)
# What a real rclone 1.60 prints when the remote's host refuses the connection.
UNREACHABLE_RCLONE = """\
import sys
sys.stderr.write(
    'Failed to create file system for "prodstore:bucket/prod/CURRENT": NewFs: couldn\\'t'
    ' connect SSH: dial tcp 127.0.0.1:9: connect: connection refused\\n'
)
sys.exit(1)
"""


def env_of(checkout: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATAOPS_", "DBT_"))}
    env |= {
        "DATAOPS_PROJECT_DIR": str(ROOT),
        "DATAOPS_DATA_DIR": str(checkout / "data"),
        "DATAOPS_WAREHOUSE_DIR": str(checkout / "warehouse"),
    }
    return env | extra


def run(checkout: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "dataops"), *args],
        env=env_of(checkout, **extra),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )


def ok(done: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@contextmanager
def in_checkout(checkout: Path) -> Iterator[Project]:
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env_of(checkout).items():
            if key.startswith("DATAOPS_"):
                patch.setenv(key, value)
        patch.delenv("DBT_TARGET", raising=False)
        yield Project.discover(ROOT)


def _hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def prod_tree(checkout: Path) -> dict[str, tuple[str, int]]:
    """Prod, its artifacts, the previous prod and the landing: name -> (sha256, mode)."""
    tree = {}
    roots = {
        "warehouse/prod.duckdb": checkout / "warehouse" / "prod.duckdb",
        "warehouse/prod-artifacts": checkout / "warehouse" / "prod-artifacts",
        "warehouse/previous": checkout / "warehouse" / "previous",
        "landing": checkout / "data" / "landing",
    }
    for name, root in roots.items():
        for path in [root] if root.is_file() else root.rglob("*"):
            if path.is_file() and not path.name.startswith("."):
                relative = path.relative_to(root).as_posix()
                key = name if relative == "." else f"{name}/{relative}"
                tree[key] = (_hash(path), stat.S_IMODE(path.stat().st_mode))
    return tree


def whole_tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (the lock file aside): relative path -> sha256."""
    return {
        path.relative_to(folder).as_posix(): _hash(path)
        for path in folder.rglob("*")
        if path.is_file() and path.name != ".publish.lock"
    }


def flights_in(checkout: Path) -> int:
    con = duckdb.connect(str(checkout / "warehouse" / "prod.duckdb"), read_only=True)
    try:
        return con.execute("select count(*) from marts.fct_flights").fetchall()[0][0]
    finally:
        con.close()


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("store")
    a, b, c, store = base / "a", base / "b", base / "c", base / "store"
    steps: dict = {"base": base, "a": a, "b": b, "c": c, "store": store}

    # 1. A publishes the first two days, initialises the store, pushes
    ok(run(a, "feed", "--start", str(FIRST), "--end", str(LAST)))
    ok(run(a, "publish"))
    steps["init"] = ok(run(a, "store", "init", "--store", str(store)))
    with in_checkout(a) as project:
        steps["first"] = store_module.push(project, store_module.open_store(str(store)))
    steps["tree1"] = prod_tree(a)

    # 2. B starts empty, pulls, publishes the next day, pushes
    steps["pull_b"] = ok(run(b, "store", "pull", DATAOPS_PROD_STORE=str(store)))
    steps["tree_b_pulled"] = prod_tree(b)
    ok(run(b, "feed", "--start", str(NEXT)))
    ok(run(b, "publish"))
    published_b = whole_tree(b)
    steps["pull_over_publish"] = run(b, "store", "pull", "--store", str(store))
    steps["pull_over_publish_kept"] = whole_tree(b) == published_b
    with in_checkout(b) as project:
        steps["second"] = store_module.push(project, store_module.open_store(str(store)))
    steps["tree2"] = prod_tree(b)

    # 3. A, still at the first snapshot, pushes over the second
    pointer = (store / store_module.POINTER).read_bytes()
    steps["stale_push"] = run(a, "store", "push", "--store", str(store))
    steps["stale_push_pointer_kept"] = (store / store_module.POINTER).read_bytes() == pointer

    # 4. C starts empty and pulls through a file:// URL
    steps["pull_c"] = ok(run(c, "store", "pull", "--store", store.as_uri()))
    steps["status"] = ok(run(c, "store", "status", "--store", str(store)))
    return steps


def test_pull_into_an_empty_checkout_gives_prod_byte_for_byte(scenario: dict) -> None:
    tree1, tree2 = scenario["tree1"], scenario["tree2"]
    assert "warehouse/prod.duckdb" in tree1 and "warehouse/prod-artifacts/manifest.json" in tree1
    assert any(name.startswith("landing/flights/") for name in tree1)
    assert scenario["tree_b_pulled"] == tree1
    # the second snapshot has a previous prod: the first one, byte for byte
    assert tree2["warehouse/previous/prod.duckdb"] == tree1["warehouse/prod.duckdb"]
    assert prod_tree(scenario["c"]) == tree2
    assert flights_in(scenario["c"]) == flights_between(FIRST, NEXT)
    # landed files stay read-only
    assert all(mode == 0o444 for name, (_, mode) in tree2.items() if "/flights/" in name)


def test_second_push_copies_only_what_the_store_lacks(scenario: dict) -> None:
    tree1, tree2 = scenario["tree1"], scenario["tree2"]
    first, second = scenario["first"], scenario["second"]
    assert set(first.copied) == set(tree1)
    in_store = {sha for sha, _ in tree1.values()}
    lacking = {name for name, (sha, _) in tree2.items() if sha not in in_store}
    assert set(second.copied) == lacking
    new_landed = {n for n in tree2 if n.startswith("landing/") and n not in tree1}
    assert new_landed and new_landed <= set(second.copied)
    # of the older landing files, only the ingestion log's Parquet copy (rewritten by each
    # ingest) is copied again
    old_landing_copied = {n for n in second.copied if n.startswith("landing/") and n in tree1}
    assert old_landing_copied <= {n for n in tree1 if n.startswith("landing/_ingestion/")}
    assert "warehouse/previous/prod.duckdb" not in second.copied
    # the store keeps the current snapshot and the previous one, no more
    status = scenario["status"].stdout.splitlines()
    assert [line.split()[0] for line in status] == [second.snapshot, first.snapshot]
    assert second.removed == [scenario["init"].stdout.split("snapshot ")[1].split()[0]]


def test_pull_refuses_to_discard_a_publish_never_pushed(scenario: dict) -> None:
    refused = scenario["pull_over_publish"]
    assert refused.returncode == 1
    assert "changed since its last pull or push" in refused.stderr
    assert "dataops store push" in refused.stderr
    assert scenario["pull_over_publish_kept"]


def test_push_from_a_checkout_behind_the_store_is_refused(scenario: dict) -> None:
    stale = scenario["stale_push"]
    assert stale.returncode == 1
    assert scenario["second"].snapshot in stale.stderr and "pull first" in stale.stderr
    assert scenario["stale_push_pointer_kept"]


def _object_of(store: Path, sha: str) -> Path:
    return store / store_module.object_key(sha)


def _current_manifest(store: Path) -> Path:
    pointer = json.loads((store / store_module.POINTER).read_text())
    return store / "snapshots" / f"{pointer['snapshot']}.json"


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.chmod(0o644)
    path.write_bytes(bytes(data))


def _damage(case: str, store: Path, tree2: dict, tree1: dict) -> None:
    new_landed = sorted(n for n in tree2 if n.startswith("landing/flights/") and n not in tree1)
    if case == "missing":
        shutil.rmtree(store)
    elif case == "empty":
        shutil.rmtree(store)
        store.mkdir()
    elif case == "changed byte in prod":
        _flip_a_byte(_object_of(store, tree2["warehouse/prod.duckdb"][0]))
    elif case == "missing landed file":
        _object_of(store, tree2[new_landed[0]][0]).unlink()
    elif case == "half-written object":
        path = _object_of(store, tree2["warehouse/prod-artifacts/manifest.json"][0])
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif case == "manifest never written":
        _current_manifest(store).unlink()
    elif case == "changed manifest":
        path = _current_manifest(store)
        path.write_text(path.read_text().replace('"mode": 292', '"mode": 511', 1))
    elif case == "half-written pointer":
        path = store / store_module.POINTER
        path.write_bytes(path.read_bytes()[:20])


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing", "no prod store at"),
        ("empty", "no prod store at"),
        ("changed byte in prod", "does not match its SHA-256"),
        ("missing landed file", "is missing"),
        ("half-written object", "does not match its SHA-256"),
        ("manifest never written", "is missing from the store"),
        ("changed manifest", "changed"),
        ("half-written pointer", "not valid JSON"),
    ],
)
def test_damaged_store_is_refused_and_nothing_local_changes(
    scenario: dict, tmp_path: Path, case: str, message: str
) -> None:
    store, checkout = tmp_path / "store", tmp_path / "a"
    shutil.copytree(scenario["store"], store)
    shutil.copytree(scenario["a"], checkout)
    before = whole_tree(checkout)
    _damage(case, store, scenario["tree2"], scenario["tree1"])
    refused = run(checkout, "store", "pull", "--store", str(store))
    assert refused.returncode == 1, refused.stdout
    assert message in refused.stderr
    assert "what to do" in refused.stderr
    assert whole_tree(checkout) == before


def test_undamaged_copy_of_the_store_pulls_into_the_same_checkout(
    scenario: dict, tmp_path: Path
) -> None:
    """The control of the refusals above: the same pull on an intact store replaces A's prod."""
    store, checkout = tmp_path / "store", tmp_path / "a"
    shutil.copytree(scenario["store"], store)
    shutil.copytree(scenario["a"], checkout)
    assert prod_tree(checkout) == scenario["tree1"]
    ok(run(checkout, "store", "pull", "--store", str(store)))
    assert prod_tree(checkout) == scenario["tree2"]


def test_remote_store_without_rclone_or_unreachable_is_refused(
    scenario: dict, tmp_path: Path
) -> None:
    checkout = tmp_path / "a"
    shutil.copytree(scenario["a"], checkout)
    before = whole_tree(checkout)
    remote = ("store", "pull", "--store", "prodstore:bucket/prod")
    missing = run(checkout, *remote, DATAOPS_RCLONE=str(tmp_path / "no-rclone"))
    assert missing.returncode == 1
    assert "rclone" in missing.stderr and "not installed" in missing.stderr
    assert "apt-get install rclone" in missing.stderr
    stub = tmp_path / "rclone"
    stub.write_text(f"#!{sys.executable}\n{UNREACHABLE_RCLONE}", encoding="utf-8")
    stub.chmod(0o755)
    unreachable = run(checkout, *remote, DATAOPS_RCLONE=str(stub))
    assert unreachable.returncode == 1
    assert "prodstore:bucket/prod cannot be reached" in unreachable.stderr
    assert "connection refused" in unreachable.stderr
    unset = run(checkout, "store", "pull")
    assert unset.returncode == 1 and "DATAOPS_PROD_STORE" in unset.stderr
    assert whole_tree(checkout) == before


class Killed(BaseException):
    """Stands for the push's process dying halfway through its upload."""


def test_push_cut_short_leaves_the_previous_snapshot(
    scenario: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    b, store_dir = tmp_path / "b", tmp_path / "store"
    shutil.copytree(scenario["b"], b)
    shutil.copytree(scenario["store"], store_dir)
    ok(run(b, "feed", "--start", str(LATER)))
    ok(run(b, "ingest"))  # the dev target: the landing gets the day's files
    pointer = (store_dir / store_module.POINTER).read_bytes()
    store = store_module.open_store(str(store_dir))
    sent: list[str] = []
    upload = store.upload

    def cut_short(files: dict[str, Path], scratch: Path) -> None:
        key = sorted(files)[0]
        upload({key: files[key]}, scratch)
        sent.append(key)
        raise Killed

    monkeypatch.setattr(store, "upload", cut_short)
    with in_checkout(b) as project, pytest.raises(Killed):
        store_module.push(project, store)
    assert (store_dir / store_module.POINTER).read_bytes() == pointer
    fresh = tmp_path / "d"
    ok(run(fresh, "store", "pull", "--store", str(store_dir)))
    assert prod_tree(fresh) == scenario["tree2"]
    monkeypatch.undo()
    with in_checkout(b) as project:
        finished = store_module.push(project, store_module.open_store(str(store_dir)))
    tree = prod_tree(b)
    assert any(n.startswith("landing/flights/") for n in tree if n not in scenario["tree2"])
    lacking = {store_module.object_key(sha) for sha, _ in tree.values()} - {
        store_module.object_key(sha) for sha, _ in scenario["tree2"].values()
    }
    # the object sent before the cut is not sent again
    assert len(sent) == 1 and sent[0] in lacking
    assert {store_module.object_key(tree[n][0]) for n in finished.copied} == lacking - set(sent)


def test_workflow_passes_zizmor_and_pins_every_action() -> None:
    done = subprocess.run(
        [str(BIN / "zizmor"), "--offline", str(WORKFLOW)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout
    assert "No findings" in done.stdout
    text = WORKFLOW.read_text(encoding="utf-8")
    uses = re.findall(r"^\s*(?:- )?uses: (\S+)(.*)$", text, flags=re.MULTILINE)
    assert len(uses) >= 8
    for action, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", action), action
        assert re.fullmatch(r"\s+# v\d+\.\d+\.\d+", comment), (action, comment)
    workflow = yaml.safe_load(text)
    assert workflow["permissions"] == {}
    for name, job in workflow["jobs"].items():
        writes = [scope for scope, level in job["permissions"].items() if level == "write"]
        assert writes == (["pull-requests"] if name == "comment" else []), name
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False
    runs = [step.get("run", "") for step in workflow["jobs"]["publish"]["steps"]]
    # prod comes from the store before the publish and goes back to it after
    publish = runs.index("make publish")
    assert any("dataops store pull" in line for line in runs[:publish])
    assert any("dataops store push" in line for line in runs[publish:])
