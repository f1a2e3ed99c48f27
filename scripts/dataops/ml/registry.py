"""The MLflow store of a warehouse folder: runs, registered versions and the champion alias.

Offline and embedded: tracking and registry are one SQLite file,
``<warehouse>/mlflow.db``, with the artifacts (models, fairness tables, drift
references) beside it in ``<warehouse>/mlflow-artifacts/``. No server is needed
to train or score; ``mlflow ui --backend-store-uri sqlite:///warehouse/mlflow.db``
(``make mlflow-ui``) browses it.

Every training is a run of the experiment ``ml_model_name`` (``arrival_delay``)
and a version of the registered model of the same name, promoted or not. The
alias ``champion`` names the version that scores; ``previous_champion`` the one
before it, which ``dataops model rollback`` swaps back (again: forward). Every
change of the champion is appended to the registered model's tag
``champion_history``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from dataops.core.errors import DataOpsError
from dataops.core.files import exclusive_lock

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import ModelVersion

log = logging.getLogger(__name__)

DATABASE = "mlflow.db"
ARTIFACTS = "mlflow-artifacts"
LOCK = ".mlflow.lock"
CHAMPION = "champion"
PREVIOUS = "previous_champion"
HISTORY_TAG = "champion_history"
# Version tags written by dataops train (dataops models and the report read them).
TAG_PROMOTED = "gate.promoted"
TAG_SUMMARY = "gate.summary"
TAG_THRESHOLD = "decision_threshold"
TAG_TARGET = "target"
TAG_ROC_AUC = "validation_roc_auc"
# The experiment's kind, which chooses the MLflow UI's view of it: model training.
EXPERIMENT_KIND_TAG = "mlflow.experimentKind"
EXPERIMENT_KIND = "custom_model_development"
UI_WORKFLOW = "machine_learning"


def database(warehouse_dir: Path) -> Path:
    return warehouse_dir / DATABASE


def tracking_uri(warehouse_dir: Path) -> str:
    return f"sqlite:///{database(warehouse_dir).resolve()}"


def artifact_location(warehouse_dir: Path) -> str:
    return (warehouse_dir / ARTIFACTS).resolve().as_uri()


def ui_command(warehouse_dir: Path, port: int, host: str = "127.0.0.1") -> list[str]:
    """``mlflow ui`` over the folder's store on ``host:port``, as ``make mlflow-ui`` runs it."""
    import sys

    mlflow = Path(sys.executable).with_name("mlflow")
    return [
        str(mlflow),
        "ui",
        "--backend-store-uri",
        tracking_uri(warehouse_dir),
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        "1",
    ]


# The environment of ``mlflow ui``: offline, and without the job runner (GenAI jobs).
UI_ENVIRONMENT = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
}


def exists(warehouse_dir: Path) -> bool:
    return database(warehouse_dir).is_file()


def client(warehouse_dir: Path) -> MlflowClient:
    """A client of the folder's store; MLflow's default URIs point at it too."""
    import mlflow
    from mlflow import MlflowClient

    warehouse_dir.mkdir(parents=True, exist_ok=True)
    uri = tracking_uri(warehouse_dir)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


@contextmanager
def writing(warehouse_dir: Path) -> Iterator[None]:
    """One writer of the registry's aliases at a time (train, rollback)."""
    with exclusive_lock(
        warehouse_dir / LOCK,
        f"another dataops train or model rollback is changing {database(warehouse_dir)}",
        "wait for it to finish, then run the command again",
    ):
        yield


def experiment_id(mlflow_client: MlflowClient, warehouse_dir: Path, name: str) -> str:
    """The experiment of the model, created with its artifacts beside the store.

    Tagged as model training (``mlflow.experimentKind``): MLflow's UI then opens it
    on its runs, metrics, datasets and models instead of the GenAI views (traces,
    sessions, judges). An experiment created before the tag existed is tagged too.
    """
    experiment = mlflow_client.get_experiment_by_name(name)
    if experiment is None:
        return str(
            mlflow_client.create_experiment(
                name, artifact_location(warehouse_dir), tags={EXPERIMENT_KIND_TAG: EXPERIMENT_KIND}
            )
        )
    if experiment.tags.get(EXPERIMENT_KIND_TAG) != EXPERIMENT_KIND:
        mlflow_client.set_experiment_tag(
            experiment.experiment_id, EXPERIMENT_KIND_TAG, EXPERIMENT_KIND
        )
    return str(experiment.experiment_id)


def ui_url(base_url: str, experiment: str | None = None) -> str:
    """Where ``make mlflow-ui`` opens: the experiment's runs in the model-training view.

    The UI's home page keeps its view (GenAI or model training) per browser, GenAI at
    first; the ``workflowType`` parameter chooses model training.
    """
    page = f"experiments/{experiment}" if experiment else "experiments"
    return f"{base_url.rstrip('/')}/#/{page}?workflowType={UI_WORKFLOW}"


def version_by_alias(mlflow_client: MlflowClient, name: str, alias: str) -> ModelVersion | None:
    from mlflow.exceptions import MlflowException

    try:
        return mlflow_client.get_model_version_by_alias(name, alias)
    except MlflowException:
        return None


def champion(warehouse_dir: Path, name: str) -> ModelVersion | None:
    """The champion version, or None (no store, no registered model, no alias)."""
    if not exists(warehouse_dir):
        return None
    return version_by_alias(client(warehouse_dir), name, CHAMPION)


def load_model(version: ModelVersion, mlflow_client: MlflowClient | None = None):  # -> Pipeline
    """The scikit-learn pipeline of a registered version.

    Read from where the registry says the version's files are (its download URI,
    local beside the store): a ``models:/`` URI would resolve the version and its
    logged model again through new clients of the store.
    """
    import mlflow.sklearn
    from mlflow import MlflowClient

    found = mlflow_client or MlflowClient()
    return mlflow.sklearn.load_model(
        found.get_model_version_download_uri(version.name, version.version)
    )


def load_json_artifact(mlflow_client: MlflowClient, run_id: str, path: str) -> dict:
    """A JSON artifact of a run (the drift reference, the fairness tables)."""
    import mlflow.artifacts

    text = mlflow.artifacts.load_text(f"runs:/{run_id}/{path}")
    return json.loads(text)


def versions(mlflow_client: MlflowClient, name: str) -> list[ModelVersion]:
    """Every registered version of the model, newest first."""
    from mlflow.exceptions import MlflowException

    try:
        found = mlflow_client.search_model_versions(f"name = '{name}'")
    except MlflowException:
        return []
    return sorted(found, key=lambda version: int(version.version), reverse=True)


def describe(mlflow_client: MlflowClient, name: str) -> list[dict]:
    """Every version with its aliases, data, metrics and the gate's decision, newest first."""
    from mlflow.exceptions import MlflowException

    aliases: dict[str, list[str]] = {}
    try:
        for alias, version in mlflow_client.get_registered_model(name).aliases.items():
            aliases.setdefault(str(version), []).append(alias)
    except MlflowException:
        return []
    described = []
    for version in versions(mlflow_client, name):
        run = mlflow_client.get_run(version.run_id) if version.run_id else None
        metrics = run.data.metrics if run else {}
        tags = run.data.tags if run else {}
        registered = datetime.fromtimestamp(version.creation_timestamp / 1000, UTC)
        described.append(
            {
                "version": str(version.version),
                "aliases": sorted(aliases.get(str(version.version), [])),
                "registered_at": registered.isoformat(timespec="seconds"),
                "run_id": version.run_id,
                "target": version.tags.get(TAG_TARGET, ""),
                "dates": f"{tags.get('data.first_date', '?')}..{tags.get('data.last_date', '?')}",
                "train_rows": tags.get("data.train_rows"),
                "validation_rows": tags.get("data.validation_rows"),
                "roc_auc": metrics.get("validation_roc_auc"),
                "baseline_roc_auc": metrics.get("baseline_validation_roc_auc"),
                "recall_gap": metrics.get("fairness_largest_recall_gap"),
                "false_positive_rate_gap": metrics.get("fairness_largest_false_positive_rate_gap"),
                "training_seconds": metrics.get("training_seconds"),
                "threshold": version.tags.get(TAG_THRESHOLD),
                "promoted": version.tags.get(TAG_PROMOTED) == "true",
                "summary": version.tags.get(TAG_SUMMARY, ""),
                "metrics": dict(metrics),
            }
        )
    return described


def history(mlflow_client: MlflowClient, name: str) -> list[dict]:
    """Every change of the champion: version, previous, when, by which command."""
    from mlflow.exceptions import MlflowException

    try:
        model = mlflow_client.get_registered_model(name)
    except MlflowException:
        return []
    return json.loads(model.tags.get(HISTORY_TAG, "[]"))


def _record(mlflow_client: MlflowClient, name: str, event: dict) -> None:
    events = [*history(mlflow_client, name), event]
    mlflow_client.set_registered_model_tag(name, HISTORY_TAG, json.dumps(events))


def promote(mlflow_client: MlflowClient, name: str, version: str) -> str | None:
    """Make ``version`` the champion; the champion before it becomes the previous one."""
    current = version_by_alias(mlflow_client, name, CHAMPION)
    if current is not None:
        mlflow_client.set_registered_model_alias(name, PREVIOUS, current.version)
    mlflow_client.set_registered_model_alias(name, CHAMPION, version)
    _record(
        mlflow_client,
        name,
        {
            "champion": version,
            "previous": str(current.version) if current else None,
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "by": "dataops train",
        },
    )
    return str(current.version) if current else None


@dataclass(frozen=True)
class Rollback:
    champion: str
    previous: str


def rollback(warehouse_dir: Path, name: str) -> Rollback:
    """Swap the champion and the previous champion (twice: forward again)."""
    if not exists(warehouse_dir):
        raise DataOpsError(
            f"no model registry at {database(warehouse_dir)}", "run dataops train first"
        )
    mlflow_client = client(warehouse_dir)
    with writing(warehouse_dir):
        current = version_by_alias(mlflow_client, name, CHAMPION)
        previous = version_by_alias(mlflow_client, name, PREVIOUS)
        if current is None:
            raise DataOpsError(
                f"model {name} has no champion to roll back", "run dataops train first"
            )
        if previous is None:
            raise DataOpsError(
                f"model {name} has no previous champion: v{current.version} is the first",
                "rollback needs a second promoted version (dataops train)",
            )
        mlflow_client.set_registered_model_alias(name, CHAMPION, previous.version)
        mlflow_client.set_registered_model_alias(name, PREVIOUS, current.version)
        _record(
            mlflow_client,
            name,
            {
                "champion": str(previous.version),
                "previous": str(current.version),
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "by": "dataops model rollback",
            },
        )
    log.info("champion of %s: v%s (was v%s)", name, previous.version, current.version)
    return Rollback(champion=str(previous.version), previous=str(current.version))
