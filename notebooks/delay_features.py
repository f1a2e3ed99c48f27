"""The data scientist's loop on a sandbox: explore ml_delay_features, try a feature, fit a
quick model and compare it with the champion of the MLflow registry.

    dataops sandbox create alice
    dataops notebook delay_features --sandbox alice              # marimo's editor
    DATAOPS_SANDBOX=alice python notebooks/delay_features.py     # headless, as make test

Reads prod's rows through the sandbox (prod attached read-only); writes only the
sandbox's file (the trial feature, in schema ``scratch``).
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import marimo as mo
    import pandas as pd
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score

    from dataops.consumers import notebooks
    from dataops.core.project import Project
    from dataops.ml import features, registry

    project = Project.discover()
    sandbox = notebooks.sandbox_name()
    return (
        HistGradientBoostingClassifier,
        features,
        mo,
        notebooks,
        pd,
        project,
        registry,
        roc_auc_score,
        sandbox,
    )


@app.cell
def _(mo, notebooks, project, sandbox):
    by_hour = notebooks.query(
        project,
        sandbox,
        """
        select
            scheduled_departure_hour_local,
            count(*) as flights,
            avg(cast(is_arrival_delayed as double)) as delayed_share
        from marts.ml_delay_features
        group by 1
        order by 1
        """,
    )
    mo.vstack([mo.md(f"## Explore `ml_delay_features` (sandbox `{sandbox}`)"), by_hour])
    return (by_hour,)


@app.cell
def _(mo, notebooks, project, sandbox):
    # The idea: a crowded hour at the origin delays its departures. Known before
    # departure: the schedule of the day says how many flights leave in that hour.
    trial = notebooks.query(
        project,
        sandbox,
        """
        select
            flight_id,
            count(*) over (
                partition by origin_airport_id, flight_date, scheduled_departure_hour_local
            ) as departures_in_the_hour_at_origin
        from marts.ml_delay_features
        """,
    )
    written = notebooks.write(project, sandbox, trial, "trial_features")
    mo.md(f"## Try a feature\n`scratch.trial_features`: {written} rows in the sandbox")
    return (trial,)


@app.cell
def _(features, notebooks, pd, project, sandbox, trial):
    def split(relation: str) -> pd.DataFrame:
        frame = notebooks.query(project, sandbox, f"select * from {relation}")
        return frame.merge(trial, on="flight_id", how="left").sort_values("flight_id")

    train = split(features.TRAIN_RELATION)
    validation = split(features.VALIDATION_RELATION)
    return train, validation


@app.cell
def _(HistGradientBoostingClassifier, features, mo, roc_auc_score, train, validation):
    def quick_auc(columns: list[str]) -> float:
        def matrix(frame):
            out = frame[columns].copy()
            for name in features.CATEGORICAL:
                if name in out:
                    out[name] = out[name].astype("category").cat.codes
            return out.astype(float)

        model = HistGradientBoostingClassifier(max_iter=50, random_state=0)
        model.fit(matrix(train), train[features.LABEL].astype(int))
        labels = validation[features.LABEL].astype(int)
        if labels.nunique() < 2:
            return float("nan")
        return float(roc_auc_score(labels, model.predict_proba(matrix(validation))[:, 1]))

    without = quick_auc(list(features.FEATURES))
    with_trial = quick_auc([*features.FEATURES, "departures_in_the_hour_at_origin"])
    mo.md(
        f"## A quick model\nvalidation ROC AUC without the feature {without:.4f},"
        f" with it {with_trial:.4f}"
    )
    return with_trial, without


@app.cell
def _(features, mo, project, registry, roc_auc_score, validation):
    champion = registry.champion(project.warehouse_dir, "arrival_delay")
    if champion is None:
        champion_auc = None
        verdict = (
            f"no champion in {registry.database(project.warehouse_dir)} yet:"
            " dataops train promotes one when it passes the gate"
        )
    else:
        _model = registry.load_model(champion, registry.client(project.warehouse_dir))
        _scores = _model.predict_proba(features.feature_frame(validation))[:, 1]
        champion_auc = float(roc_auc_score(validation[features.LABEL].astype(int), _scores))
        verdict = f"champion v{champion.version}: validation ROC AUC {champion_auc:.4f}"
    print(verdict)
    mo.md(
        "## Compare with the champion\n"
        f"{verdict}\n\nA feature worth keeping goes into `ml_delay_features` (and"
        " `FEATURES`), then `dataops ci`, `dataops train` and its gate: docs/consumers.md."
    )
    return champion_auc, verdict


if __name__ == "__main__":
    app.run()
