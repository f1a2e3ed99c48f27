"""What ``dataops train``, ``dataops models`` and ``dataops model rollback`` print.

Data to stdout (tables), diagnostics to stderr, always literally and one line each, their
control characters escaped, as in ``printing`` (group names and tags come from the data).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table

from dataops.cli.printing import out, stdout
from dataops.core.errors import printable
from dataops.ml import registry

if TYPE_CHECKING:
    from dataops.ml.trainer import TrainingOutcome

METRIC_LABELS = (
    ("roc_auc", "ROC AUC"),
    ("pr_auc", "PR AUC"),
    ("log_loss", "log loss"),
    ("brier_score", "Brier score"),
    ("accuracy", "accuracy at the threshold"),
    ("recall", "recall at the threshold"),
    ("precision", "precision at the threshold"),
    ("predicted_positive_rate", "called delayed"),
    ("threshold", "decision threshold"),
)
GROUP_COLUMNS = (
    ("flights", "flights"),
    ("delayed_flights", "delayed"),
    ("recall", "recall"),
    ("false_positive_rate", "false pos. rate"),
    ("selection_rate", "called delayed"),
)


def _short(digest: str) -> str:
    return digest[:12]


def training(outcome: TrainingOutcome) -> None:
    """Data, metrics beside the baseline's, fairness, importance, time, the gate's checks."""
    data = outcome.fingerprint
    out(
        f"model {outcome.model_name} v{outcome.version} (run {outcome.run_id}),"
        f" target {outcome.target}, flights of {data.first_date} to {data.last_date}"
    )
    built = (
        f"dbt invocation {data.dbt_invocation_id} at {data.dbt_invocation_at}"
        if data.dbt_invocation_id
        else "no dbt invocation recorded"
    )
    published = f", published {data.published_at}" if data.published_at else ""
    out(
        f"data: {data.train_rows:,} training flights"
        f" (keys sha256 {_short(data.train_keys_sha256)}),"
        f" {data.validation_rows:,} validation flights"
        f" (keys sha256 {_short(data.validation_keys_sha256)}); {built}{published}"
    )
    table = Table(title="validation flights", title_justify="left")
    table.add_column("metric")
    table.add_column("model (gradient-boosted trees)", justify="right")
    table.add_column("baseline (logistic regression)", justify="right")
    for key, label in METRIC_LABELS:
        table.add_row(label, f"{outcome.metrics[key]:.4f}", f"{outcome.baseline_metrics[key]:.4f}")
    stdout.print(table)
    fairness_tables(outcome)
    top = ", ".join(
        f"{row.feature} {row.roc_auc_drop_mean:.3f}"
        for row in outcome.importance.head(5).itertuples()
    )
    out(f"permutation importance (ROC AUC lost when shuffled): {top}")
    seconds = outcome.seconds
    out(
        f"time: training {seconds['training']:.1f} s (model fit {seconds['model_fit']:.1f} s,"
        f" baseline fit {seconds['baseline_fit']:.1f} s), {seconds['total']:.1f} s in all"
    )
    out("gate:")
    for check in outcome.decision.checks:
        out(f"  {'pass' if check.passed else 'FAIL'}  {check.detail}")
    before = outcome.champion_before
    if outcome.promoted:
        was = f" (was v{before.version})" if before else " (the first)"
        out(f"champion: v{outcome.version}{was}")
    else:
        out(
            f"not promoted: the champion stays "
            f"{'v' + before.version if before else 'unset (no champion yet)'}"
        )
    out(f"browse: mlflow ui --backend-store-uri {outcome.tracking_uri}")


def fairness_tables(outcome: TrainingOutcome) -> None:
    """Per airline and per origin: every group; a value in parentheses is left out of its gap."""
    for column, frame in outcome.fairness.by_group.items():
        recall = outcome.fairness.gap(column, "recall")
        false_positive = outcome.fairness.gap(column, "false_positive_rate")
        table = Table(
            title=(
                f"fairness per {column}: recall gap {recall.gap:.3f},"
                f" false positive rate gap {false_positive.gap:.3f}"
                " (values in parentheses: too few flights to enter the gap)"
            ),
            title_justify="left",
        )
        table.add_column(column)
        for _key, label in GROUP_COLUMNS:
            table.add_column(label, justify="right")
        for group, row in frame.iterrows():
            table.add_row(
                printable(group),
                f"{int(row['flights']):,}",
                f"{int(row['delayed_flights']):,}",
                _rate(row["recall"], row["in_recall_gap"]),
                _rate(row["false_positive_rate"], row["in_false_positive_rate_gap"]),
                f"{row['selection_rate']:.3f}",
            )
        stdout.print(table)


def _rate(value: float, measured: bool) -> str:
    return f"{value:.3f}" if measured else f"({value:.3f})"


def versions(listing: list[dict], history: list[dict], store: str) -> None:
    """Every version, newest first: aliases, data, validation metrics, the gate's decision."""
    if not listing:
        out(f"no version registered in {store}: run dataops train")
        return
    out(f"registered versions of the model in {store}, newest first:")
    for item in listing:
        aliases = f" [{', '.join(item['aliases'])}]" if item["aliases"] else ""
        decision = "promoted" if item["promoted"] else "NOT promoted"
        out(
            f"v{item['version']}{aliases}  {decision}  registered {item['registered_at']},"
            f" target {item['target']}, flights of {item['dates']}"
            f" ({_count(item['train_rows'])} training,"
            f" {_count(item['validation_rows'])} validation)"
        )
        out(
            f"    validation ROC AUC {_number(item['roc_auc'])}"
            f" (baseline {_number(item['baseline_roc_auc'])}),"
            f" largest recall gap {_number(item['recall_gap'])},"
            f" largest false positive rate gap {_number(item['false_positive_rate_gap'])}"
        )
        out(f"    gate: {item['summary']}")
    out("champion history:")
    for event in history:
        previous = f" (was v{event['previous']})" if event.get("previous") else ""
        out(f"  {event['at']}  champion v{event['champion']}{previous}  by {event['by']}")


def _count(value: str | None) -> str:
    return f"{int(value):,}" if value else "?"


def _number(value: float | None) -> str:
    return "?" if value is None else f"{value:.4f}"


def rolled_back(result: registry.Rollback, name: str) -> None:
    out(f"champion of {name}: v{result.champion} (was v{result.previous})")
    out(
        "the predictions follow at the next build: dataops build -s ml_delay_predictions+"
        " (dataops model rollback again rolls forward)"
    )


def bench_table(results: list) -> None:
    """The figures of ``dataops bench-models``, one column per scale."""
    from dataops.bench.pipeline import GIB

    table = Table(
        title="dataops bench-models (wall seconds; peak memory of the step's process tree)",
        title_justify="left",
    )
    table.add_column("measure")
    for result in results:
        table.add_column(f"{result.scale:g}x", justify="right")

    def row(label: str, value) -> None:
        table.add_row(label, *(value(result) for result in results))

    row("flights", lambda r: f"{r.flights:,}")
    row("dataops train (wall, command)", lambda r: f"{r.steps['train'].seconds:.1f}")
    row(
        "  training (read, fit, evaluate)",
        lambda r: f"{r.training.get('training_seconds', 0):.1f}",
    )
    row("    model fit", lambda r: f"{r.training.get('model_fit_seconds', 0):.1f}")
    row("    baseline fit", lambda r: f"{r.training.get('baseline_fit_seconds', 0):.1f}")
    row("  train peak memory GiB", lambda r: f"{r.steps['train'].peak_bytes / GIB:.2f}")
    row(
        "validation ROC AUC (baseline)",
        lambda r: "{:.3f} ({:.3f})".format(
            r.training.get("validation_roc_auc", 0),
            r.training.get("baseline_validation_roc_auc", 0),
        ),
    )
    row("first scoring: every flight (node)", lambda r: f"{r.first_scoring_seconds:.1f}")
    row("  flights scored", lambda r: f"{r.first_scoring_rows:,}")
    row("  first scoring peak memory GiB", lambda r: f"{r.first_scoring_peak_bytes / GIB:.2f}")
    row("new day: scoring node", lambda r: f"{r.new_day_scoring_seconds:.2f}")
    row("new day: monitoring node", lambda r: f"{r.new_day_monitoring_seconds:.2f}")
    row("new day: flights", lambda r: f"{r.new_day_rows:,}")
    for phase, label in (
        ("imports", "  DuckDB, pandas, scoring imported"),
        ("mlflow_and_champion", "  MLflow start, champion resolved"),
        ("load_model", "  model loaded (scikit-learn, skops)"),
        ("read_day", "  day's features read"),
        ("predict_day", "  day's flights predicted"),
    ):
        row(label, lambda r, phase=phase: f"{r.phases.get(phase, 0):.2f}")
    row("new day build (dbt build, wall)", lambda r: f"{r.steps['new_day_build'].seconds:.1f}")
    row("peak memory GiB (train and scoring)", lambda r: f"{r.peak_bytes / GIB:.2f}")
    stdout.print(table)
