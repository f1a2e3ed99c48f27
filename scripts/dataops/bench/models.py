"""The backbone's benchmark: training and scoring times, and peak memory, on generated years.

For each scale, in its own folder (``build/bench-models/x<scale>/``, emptied first):

1. ``dataops generate`` writes the scaled-up years, the last day held back;
   ``dataops ingest`` and ``dbt build`` build every zone (not measured here:
   ``dataops bench`` does);
2. ``dataops train`` (fairness bounds lifted: ``BENCH_VARS``): the wall time of
   the command, the training time it logs
   (reading the marts, fitting the model and the baseline, permutation
   importance, fairness, drift reference) and the peak memory of the process;
3. the first scoring: ``dbt build -s ml_delay_predictions+`` scores every flight
   with the new champion (the node's time from dbt's run_results);
4. a new day: the held-back day is ingested and built (``dbt build``, incremental);
   the scoring node's time is that day's scoring, MLflow's start included;
5. the same day scored in a process of its own, phase by phase: importing what
   the dbt model imports (DuckDB, pandas, the scoring), loading MLflow and
   resolving the champion, loading the model (scikit-learn and skops imported),
   reading the day's features and predicting them.

Every step runs as a child process (``dataops.bench.pipeline.measure``): wall time and
peak resident memory of its whole process tree.
"""

from __future__ import annotations

import json
import logging
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dataops.bench import pipeline as pipeline_bench
from dataops.core.project import Project

log = logging.getLogger(__name__)

SCORING_NODE = "model.nycflights.ml_delay_predictions"
# A generated year copies the real flights onto rotated routes: its fairness gaps say
# nothing about the real airlines, so the benchmark, which times the training, lifts
# the fairness bounds (a champion is needed to time the scoring).
BENCH_VARS = "{ml_gate_max_recall_gap: 1, ml_gate_max_false_positive_rate_gap: 1}"
MONITORING_NODES = (
    "model.nycflights.model_daily_performance",
    "model.nycflights.model_feature_drift",
)


@dataclass
class ModelScale:
    scale: float
    flights: int
    steps: dict[str, pipeline_bench.Step] = field(default_factory=dict)
    training: dict[str, float] = field(default_factory=dict)
    first_scoring_seconds: float = 0.0
    first_scoring_rows: int = 0
    first_scoring_peak_bytes: int = 0
    new_day_scoring_seconds: float = 0.0
    new_day_monitoring_seconds: float = 0.0
    new_day_rows: int = 0
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def peak_bytes(self) -> int:
        return max(step.peak_bytes for name, step in self.steps.items() if name != "build")


def _node_seconds(target_dir: Path, unique_id: str) -> float:
    results = json.loads((target_dir / "run_results.json").read_text(encoding="utf-8"))
    for result in results["results"]:
        if result["unique_id"] == unique_id:
            return float(result["execution_time"])
    return 0.0


def _training_metrics(warehouse_dir: Path, model_name: str) -> dict[str, float]:
    from dataops.ml import registry

    client = registry.client(warehouse_dir)
    newest = registry.versions(client, model_name)[0]
    metrics = client.get_run(newest.run_id).data.metrics
    keep = ("validation_roc_auc", "baseline_validation_roc_auc")
    return {key: value for key, value in metrics.items() if key.endswith("_seconds") or key in keep}


def _phases(output: Path) -> dict[str, float]:
    text = output.read_text(encoding="utf-8").strip().splitlines()
    return json.loads(text[-1]) if text else {}


def bench_scale(project: Project, scale: float, folder: Path, target: str = "ci") -> ModelScale:
    """Every step for one scale, in ``folder`` (emptied first)."""
    from dataops.data.generate import DEFAULT_SEED, plan
    from dataops.ml import settings

    if folder.exists():
        shutil.rmtree(folder)
    data, warehouse_dir, artifacts = folder / "data", folder / "warehouse", folder / "dbt"
    env, dbt_args = pipeline_bench.bench_environment(project, folder, target)
    dataops = list(pipeline_bench.DATAOPS)
    dbt = list(pipeline_bench.DBT)
    result = ModelScale(scale, plan(None, scale, DEFAULT_SEED).flights)
    logs = folder / "logs"
    logs.mkdir(parents=True)

    def step(name: str, command: Sequence[str]) -> pipeline_bench.Step:
        measured = pipeline_bench.measure(name, command, env, project.root, logs / f"{name}.log")
        result.steps[name] = measured
        return measured

    step("generate", [*dataops, "generate", "--scale", str(scale)])
    held = pipeline_bench._hold_back_last_day(data / "inbox", folder / "held")
    log.info("held back: %s", ", ".join(held))
    step("ingest", [*dataops, "ingest", "--target", target])
    step("build", [*dbt, "build", *dbt_args])
    step("train", [*dataops, "train", "--target", target, "--vars", BENCH_VARS])
    model_name = settings.load(project.root).model_name
    result.training = _training_metrics(warehouse_dir, model_name)
    step("first_scoring", [*dbt, "build", "--select", "ml_delay_predictions+", *dbt_args])
    result.first_scoring_seconds = _node_seconds(artifacts / "target", SCORING_NODE)
    result.first_scoring_peak_bytes = result.steps["first_scoring"].peak_bytes
    for source in ("flights", "weather"):
        for path in (folder / "held" / source).iterdir():
            path.rename(data / "inbox" / source / path.name)
    step("new_day_ingest", [*dataops, "ingest", "--target", target])
    step("new_day_build", [*dbt, "build", *dbt_args])
    result.new_day_scoring_seconds = _node_seconds(artifacts / "target", SCORING_NODE)
    result.new_day_monitoring_seconds = max(
        _node_seconds(artifacts / "target", node) for node in MONITORING_NODES
    )
    warehouse = warehouse_dir / f"{target}.duckdb"
    phases = [sys.executable, "-m", "dataops.bench.models", str(warehouse), model_name]
    step("score_day_phases", phases)
    result.phases = _phases(logs / "score_day_phases.log")
    result.new_day_rows = int(result.phases.pop("rows", 0))
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        query = "select count(*) from marts.ml_delay_predictions"
        result.first_scoring_rows = int(con.execute(query).fetchall()[0][0])
    finally:
        con.close()
    return result


def run(project: Project, scales: Sequence[float], folder: Path) -> list[ModelScale]:
    return [bench_scale(project, scale, folder / f"x{scale:g}") for scale in scales]


def to_json(results: Sequence[ModelScale]) -> dict[str, object]:
    return {
        "machine": pipeline_bench.machine(),
        "scales": [
            {
                **{k: v for k, v in asdict(result).items() if k != "steps"},
                "steps": {name: asdict(step) for name, step in result.steps.items()},
                "peak_gib": round(result.peak_bytes / pipeline_bench.GIB, 3),
            }
            for result in results
        ],
    }


def score_day_phases(warehouse: Path, model_name: str) -> dict[str, float]:
    """The newest day of the features scored as the dbt model scores it, timed phase by phase."""
    phases: dict[str, float] = {}
    started = time.perf_counter()
    import duckdb

    from dataops.ml import features, registry, scoring  # noqa: F401  (what the dbt model imports)

    phases["imports"] = time.perf_counter() - started
    mark = time.perf_counter()
    champion = registry.champion(warehouse.parent, model_name)
    phases["mlflow_and_champion"] = time.perf_counter() - mark
    mark = time.perf_counter()
    pipeline = registry.load_model(champion)
    phases["load_model"] = time.perf_counter() - mark
    mark = time.perf_counter()
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        frame = con.execute(
            "select * from marts.ml_delay_features where flight_date ="
            " (select max(flight_date) from marts.ml_delay_features)"
        ).df()
    finally:
        con.close()
    phases["read_day"] = time.perf_counter() - mark
    mark = time.perf_counter()
    columns = tuple(str(column) for column in pipeline.feature_names_in_)
    pipeline.predict_proba(features.feature_frame(frame, columns))
    phases["predict_day"] = time.perf_counter() - mark
    phases["total"] = time.perf_counter() - started
    phases["rows"] = len(frame)
    return phases


if __name__ == "__main__":
    # Child process of the benchmark: the warehouse file and the registered model's name.
    print(json.dumps(score_day_phases(Path(sys.argv[1]), sys.argv[2])))
