"""Training, downstream of the ML datasets: the asset of ``dataops train`` once it exists.

The training command (``dataops train [--target T]``, package ``dataops.ml``) reads
``marts.ml_delay_train`` and ``marts.ml_delay_validation`` read-only, trains,
and promotes the model only if it passes its gate. As an asset it runs after
those two marts; it is defined as soon as ``dataops.ml`` is installed, and is
launched by its own job ``train`` (not daily: a model is retrained on purpose).
"""

# No `from __future__ import annotations` here: Dagster reads the annotations of
# the functions it runs (contexts, configs) at definition time.
import importlib.util
import subprocess
import sys
from pathlib import Path

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from dataops.observability import resources
from dataops.orchestration.failures import TRANSIENT, is_transient, stop
from dataops.orchestration.settings import Settings

# the console script of the environment Dagster runs in
DATAOPS = Path(sys.executable).parent / "dataops"
MODEL_KEY = AssetKey(["ml", "arrival_delay_model"])
TRAINING_INPUTS = (
    AssetKey(["marts", "ml_delay_train"]),
    AssetKey(["marts", "ml_delay_validation"]),
)


def available() -> bool:
    """Whether the project has its training package (dataops.ml)."""
    return importlib.util.find_spec("dataops.ml") is not None


def training_asset(settings: Settings):
    @asset(
        key=MODEL_KEY,
        deps=list(TRAINING_INPUTS),
        group_name="ml",
        retry_policy=TRANSIENT,
        description="dataops train: the arrival-delay model, trained on ml_delay_train,"
        " evaluated on ml_delay_validation, promoted champion only if it passes the gate.",
    )
    def arrival_delay_model(context: AssetExecutionContext) -> MaterializeResult:
        command = [str(DATAOPS), "train", "--target", settings.target]
        try:
            done = subprocess.run(command, capture_output=True, text=True, check=False)
        except OSError as error:  # no console script: trying again cannot help
            raise stop(
                f"dataops train cannot be started ({error}): install the project in the"
                " environment Dagster runs in (pip install -e .)",
                alerted=False,
            ) from error
        context.log.info(done.stdout[-8000:])
        if done.returncode != 0:
            lines = done.stderr.strip().splitlines() or ["no message"]
            reason = next((line for line in lines if line.startswith("error:")), lines[-1])
            if is_transient(done.stderr):
                raise RuntimeError(reason)
            raise stop(f"dataops train exited {done.returncode}: {reason}", alerted=False)
        costs = resources.recorded_metadata(settings.project, settings.target, "train")
        return MaterializeResult(
            metadata={
                "target": settings.target,
                "output": MetadataValue.text(done.stdout[-2000:]),
                **costs,  # what the training cost, as dataops train recorded it
            }
        )

    return arrival_delay_model
