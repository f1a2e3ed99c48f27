"""The analysis backbone's commands: train, models, model rollback, bench-models."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from dataops.cli import model_printing
from dataops.cli.group import cli, stderr, target_help
from dataops.core.errors import DataOpsError
from dataops.core.project import Project
from dataops.ml import registry, settings
from dataops.observability import activity_hooks as hooks
from dataops.observability import resources
from dataops.observability.activity import recorded

if TYPE_CHECKING:
    from dataops.ml.trainer import TrainingOutcome

log = logging.getLogger(__name__)


def train_champion(
    project: Project, target: str | None, overrides: dict | None = None
) -> TrainingOutcome:
    """Train with a progress bar over the steps, print the outcome; exit 1 when refused."""
    from dataops.ml import trainer

    progress = Progress(
        TextColumn("train"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
    )
    with progress:
        task = progress.add_task("starting", total=len(trainer.STEPS))

        def step(description: str) -> None:
            done = progress.tasks[0].completed
            progress.update(task, completed=done + 1, description=description)

        outcome = trainer.train_version(project, target, overrides, progress=step)
    model_printing.training(outcome)
    if not outcome.promoted:
        before = outcome.champion_before
        raise DataOpsError(
            f"{outcome.model_name} v{outcome.version} is registered but not promoted: "
            + "; ".join(check.detail for check in outcome.decision.failed),
            f"the champion stays {'v' + before.version if before else 'unset'};"
            " fix the data or the model and train again (dataops models lists every version)",
        )
    return outcome


@cli.command()
@click.option("--target", help=target_help("dbt target whose ML marts are read"))
@click.option(
    "--vars",
    "vars_",
    help="Override ml_* vars of dbt_project.yml for this run, as YAML:"
    " '{ml_gate_min_roc_auc: 0.7}'.",
)
@recorded("train", before=hooks.before_model, after=hooks.after_model)
def train(target: str | None, vars_: str | None) -> None:
    """Train, evaluate and log a version; it becomes the champion only if it passes the gate."""
    project = Project.discover()
    with resources.recorded(project, target, "train"):
        train_champion(project, target, settings.parse_overrides(vars_))


@cli.command()
def models() -> None:
    """The registered versions, the champion, and why each was or was not promoted."""
    project = Project.discover()
    name = settings.load(project.root).model_name
    store = registry.database(project.warehouse_dir)
    if not registry.exists(project.warehouse_dir):
        click.echo(f"no model registry at {store}: run dataops train")
        return
    client = registry.client(project.warehouse_dir)
    model_printing.versions(registry.describe(client, name), registry.history(client, name), store)


@cli.group(name="model")
def model_group() -> None:
    """Act on the registered model (the champion alias)."""


@model_group.command(name="rollback")
@recorded(
    "model rollback",
    target=hooks.model_registry,
    before=hooks.before_model,
    after=hooks.after_model,
)
def model_rollback() -> None:
    """The previous champion back (run it again to roll forward)."""
    project = Project.discover()
    name = settings.load(project.root).model_name
    model_printing.rolled_back(registry.rollback(project.warehouse_dir, name), name)


@cli.command(name="bench-models")
@click.option(
    "--scale",
    "scales",
    type=float,
    multiple=True,
    help="Size as a multiple of the real year (repeatable; default: 1 and 10).",
)
@click.option(
    "--folder",
    type=click.Path(path_type=Path),
    help="Working folder, emptied per scale (default: build/bench-models).",
)
def bench_models(scales: tuple[float, ...], folder: Path | None) -> None:
    """Time training on generated years and scoring a new day, with peak memory."""
    from dataops.bench import models as bench

    project = Project.discover()
    folder = (folder or project.root / "build" / "bench-models").resolve()
    results = bench.run(project, scales or (1, 10), folder)
    model_printing.bench_table(results)
    output = folder / "bench-models.json"
    output.write_text(json.dumps(bench.to_json(results), indent=2) + "\n", encoding="utf-8")
    click.echo(f"figures: {output}")
