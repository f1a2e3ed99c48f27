"""Delivery: conventions, write-audit-publish, sandboxes, slim CI and prod's store."""

from __future__ import annotations

import time
from pathlib import Path

import click

from dataops.cli import printing
from dataops.cli.group import cli
from dataops.cli.pipeline import ingest_inbox
from dataops.core.errors import DataOpsError
from dataops.core.project import Project
from dataops.delivery import ci as ci_module
from dataops.delivery import conventions
from dataops.delivery import publish as publish_module
from dataops.delivery import sandbox as sandbox_module
from dataops.delivery import store as store_module
from dataops.observability import activity_hooks as hooks
from dataops.observability import resources
from dataops.observability.activity import recorded


@cli.command()
@click.option(
    "--manifest",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Check this manifest.json instead of parsing the project (dbt parse).",
)
def check(manifest: Path | None) -> None:
    """Convention checks over dbt's manifest: dbt-bouncer (dbt-bouncer.yml), then the project's
    own rules (keys, snapshot lineage, hooks)."""
    started = time.monotonic()
    project = Project.discover()
    config = project.root / conventions.BOUNCER_CONFIG
    if manifest is None:
        violations = conventions.check_project(project)
    else:
        violations = conventions.check_manifest(manifest, config)
    for violation in violations:
        printing.out(violation)
    if violations:
        rules = sorted({violation.rule for violation in violations})
        raise DataOpsError(
            f"{len(violations)} convention violations ({', '.join(rules)})",
            f"fix each node listed above as its message says; the rules: {config.name}"
            " (dbt-bouncer) and scripts/dataops/delivery/conventions.py (docs/delivery.md)",
        )
    checks = len(conventions.load_config(config)["manifest_checks"])
    click.echo(
        f"conventions: {checks} dbt-bouncer checks, {len(conventions.PROJECT_RULES)} project"
        f" rules and {len(conventions.GLOSSARY_RULES)} glossary rules, no violation"
        f" ({time.monotonic() - started:.1f} s)"
    )


@cli.command()
@click.option(
    "--full-refresh",
    is_flag=True,
    help="Rebuild every incremental model of the candidate (after a model's columns changed).",
)
@click.option(
    "--full-audit",
    is_flag=True,
    help="Build and test every model, not only what the new files reach.",
)
@click.option(
    "--allow-shrink",
    is_flag=True,
    help="Publish even if a public mart loses rows or days beyond the bounds (recorded).",
)
@recorded("publish", target=hooks.prod, after=hooks.after_publish)
def publish(full_refresh: bool, full_audit: bool, allow_shrink: bool) -> None:
    """Ingest into a candidate of prod, build what the new files reach and test it, audit the
    change against prod, swap it into prod if it passed."""
    project = Project.discover()
    places = publish_module.Places.of(project)

    def ingest_into(target: str) -> int:
        summary = ingest_inbox(project, target, publishing=True)
        return sum(counts.landed for counts in summary.sources.values())

    with resources.recorded(project, publish_module.PROD, "publish") as run:
        outcome = publish_module.publish(
            project,
            ingest_into,
            full_refresh,
            full_audit=full_audit,
            allow_shrink=allow_shrink,
            # the publish's record goes into the candidate: prod is not written after the swap
            before_swap=lambda candidate: resources.record_into(project, run, candidate),
        )
        if not outcome.published:
            run.status = "blocked"  # prod stays as it was: the record waits beside it
    if outcome.adopted.files:
        click.echo(outcome.adopted.line)
    if not outcome.published:
        build = outcome.build
        click.echo(f"tests: {build.tests_line}")
        for node in build.failed_nodes:
            rows = "" if node.failing_rows is None else f" ({node.failing_rows:,} failing rows)"
            printing.out(f"{node.status.upper()} {node.unique_id}{rows}: {node.message}")
        raise DataOpsError(
            f"publish blocked: {len(build.failed_nodes)} nodes failed; prod unchanged"
            f" ({places.prod}); candidate kept for inspection: {places.candidate}",
            "fix the failures listed above, then run dataops publish again (the files"
            " ingested into the candidate are carried over)",
        )
    printing.build_summary(project, publish_module.PROD, outcome.build)
    selection = "the day's work (what the new files reach)" if outcome.daily else "every model"
    click.echo(f"built: {selection}")
    click.echo(
        "seconds: " + ", ".join(f"{name} {seconds:.1f}" for name, seconds in outcome.phases.items())
    )
    for change in outcome.record.get("public_marts", []):
        if change["rows_lost"] or change["days_lost"]:
            click.echo(
                f"allowed to shrink: {change['mart']} lost {change['rows_lost']:,} rows,"
                f" {change['days_lost']} days (--allow-shrink, recorded)"
            )
    kept = f" (previous: {places.previous})" if places.previous.exists() else ""
    click.echo(f"published: {places.prod}{kept}")
    click.echo(f"artifacts: {places.prod_artifacts}")


@cli.command()
@recorded("rollback", target=hooks.prod, after=hooks.after_rollback)
def rollback() -> None:
    """Swap prod and the previous prod (run it again to roll forward)."""
    project = Project.discover()
    places = publish_module.Places.of(project)
    record = publish_module.rollback(project)
    click.echo(
        f"rolled back: {places.prod} is the version published at"
        f" {record.get('published_at', 'an unknown time')}"
    )
    click.echo(f"the replaced version is kept at {places.previous} (dataops rollback restores it)")


@cli.group()
def sandbox() -> None:
    """Disposable per-analyst warehouses built from prod (dbt target `sandbox`)."""


@sandbox.command("create")
@click.argument("name")
@click.option(
    "--copy",
    "copy",
    is_flag=True,
    help="Copy prod's file instead of views over prod attached read-only.",
)
@recorded("sandbox create", target=hooks.sandbox)
def sandbox_create(name: str, copy: bool) -> None:
    """Create the sandbox NAME from prod, in seconds."""
    project = Project.discover()
    started = time.perf_counter()
    mode = sandbox_module.COPY if copy else sandbox_module.ZERO_COPY
    path = sandbox_module.create(project, name, mode)
    click.echo(f"sandbox {name} ({mode}): {path} in {time.perf_counter() - started:.2f} s")
    click.echo("build in it with:")
    click.echo(f"  DATAOPS_SANDBOX={name} dbt build -s my_model+ --target sandbox")


@sandbox.command("list")
def sandbox_list() -> None:
    """The sandboxes, with their size and last change."""
    found = sandbox_module.list_sandboxes(Project.discover())
    for info in found:
        click.echo(
            f"{info.name:<24} {info.bytes / 1e6:>9.1f} MB  {info.modified:%Y-%m-%d %H:%M} UTC"
            f"  {info.path}"
        )
    if not found:
        click.echo("no sandbox (dataops sandbox create NAME makes one)")


@sandbox.command("drop")
@click.argument("name")
@recorded("sandbox drop", target=hooks.sandbox)
def sandbox_drop(name: str) -> None:
    """Delete the sandbox NAME (prod is never touched)."""
    path = sandbox_module.drop(Project.discover(), name)
    click.echo(f"dropped sandbox {name} ({path})")


@sandbox.command("measure")
@click.option("--select", "-s", "select", multiple=True, default=("mart_performance__days+",))
def sandbox_measure(select: tuple[str, ...]) -> None:
    """Time a zero-copy sandbox against a copy of prod: creation, then a build of SELECT."""
    results = sandbox_module.measure(Project.discover(), select)
    prod = publish_module.Places.of(Project.discover()).prod
    click.echo(f"prod: {prod} ({prod.stat().st_size / 1e6:.1f} MB); build: {' '.join(select)}")
    header = f"{'mode':<10} {'create s':>9} {'build s':>8} {'dbt run s':>10} {'file MB':>8}"
    click.echo(header)
    for row in results:
        click.echo(
            f"{row.mode:<10} {row.create_seconds:>9.3f} {row.build_seconds:>8.1f}"
            f" {row.run_seconds:>10.1f} {row.file_bytes / 1e6:>8.1f}"
        )
    zero, copied = results
    click.echo(
        f"create, copy / zero-copy: {copied.create_seconds / max(zero.create_seconds, 1e-9):.2f};"
        f" sandbox file, copy / zero-copy: {copied.file_bytes / max(zero.file_bytes, 1):.0f}"
    )


@cli.command()
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("build/data-diff.md"),
    show_default=True,
    help="Where to write the Markdown diff (for a pull-request comment).",
)
def ci(output: Path) -> None:
    """Slim CI: build state:modified+ against prod's state, diff the changed marts."""
    project = Project.discover()
    outcome = ci_module.run_ci(project)
    path = output if output.is_absolute() else project.root / output
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(outcome.markdown, encoding="utf-8")
    printing.block(outcome.markdown)
    click.echo(f"diff: {path}")
    if not outcome.build.success:
        raise DataOpsError(
            f"{len(outcome.build.failed_nodes)} nodes failed in the change's build",
            f"fix them; the failures are listed in {path}",
        )


# Prod's durable copy (store.py): a folder or an rclone remote, DATAOPS_PROD_STORE.
_store_option = click.option(
    "--store",
    "url",
    envvar="DATAOPS_PROD_STORE",
    show_envvar=True,
    help="A folder, a file:// URL or an rclone remote (name:bucket/path).",
)


def _megabytes(sizes: dict[str, int]) -> str:
    return f"{len(sizes)} files, {sum(sizes.values()) / 1e6:.1f} MB"


@cli.group(name="store")
def store_group() -> None:
    """Prod and the landing in a durable store: push after a publish, pull on a new machine."""


@store_group.command(name="init")
@_store_option
def store_init(url: str | None) -> None:
    """Create an empty store: the first pull from it starts prod from nothing (once only)."""
    store = store_module.open_store(url)
    snapshot = store_module.init(store)
    click.echo(f"initialised {store.url}: snapshot {snapshot} (empty prod)")


@store_group.command(name="push")
@_store_option
@click.option(
    "--keep",
    default=store_module.KEEP,
    show_default=True,
    type=click.IntRange(min=2),
    help="Snapshots kept in the store: the current one and those before it.",
)
@click.option("--force", is_flag=True, help="Push even if the store moved on since the last pull.")
def store_push(url: str | None, keep: int, force: bool) -> None:
    """Save prod, its state and the landing as the store's new snapshot (new files only)."""
    store = store_module.open_store(url)
    outcome = store_module.push(Project.discover(), store, keep=keep, force=force)
    if not outcome.copied:
        click.echo(f"{store.url} holds this prod already: snapshot {outcome.snapshot}")
        return
    click.echo(f"pushed snapshot {outcome.snapshot} to {store.url}: {outcome.files} files")
    click.echo(f"uploaded: {_megabytes(outcome.copied)} (the other files were in the store)")
    if outcome.removed:
        click.echo(f"deleted older snapshots: {', '.join(outcome.removed)}")


@store_group.command(name="pull")
@_store_option
@click.option("--snapshot", help="An earlier snapshot (dataops store status lists them).")
@click.option("--force", is_flag=True, help="Replace local prod changes never pushed.")
def store_pull(url: str | None, snapshot: str | None, force: bool) -> None:
    """Make this checkout's prod and landing the store's snapshot, every file verified."""
    store = store_module.open_store(url)
    outcome = store_module.pull(Project.discover(), store, snapshot=snapshot, force=force)
    published = outcome.published_at or "never (an empty prod)"
    click.echo(f"pulled snapshot {outcome.snapshot} from {store.url}: {outcome.files} files")
    click.echo(f"published at: {published}; downloaded: {_megabytes(outcome.copied)}")
    if outcome.removed:
        click.echo(f"removed (not in the snapshot): {', '.join(outcome.removed)}")


@store_group.command(name="status")
@_store_option
def store_status(url: str | None) -> None:
    """The snapshots the store keeps, the current one first."""
    for manifest in store_module.history(store_module.open_store(url)):
        entries = manifest["files"].values()
        click.echo(
            f"{manifest['snapshot']}  created {manifest.get('created_at')}  published"
            f" {manifest.get('published_at') or '-'}  {len(entries)} files"
            f" {sum(entry.bytes for entry in entries) / 1e6:.1f} MB"
        )
