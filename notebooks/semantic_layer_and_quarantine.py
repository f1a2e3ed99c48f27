"""The analyst's notebook on a sandbox: a question to the semantic layer, and the rows a
quarantine rule kept out of the trusted zone.

    dataops sandbox create alice
    dataops notebook semantic_layer_and_quarantine --sandbox alice
    DATAOPS_SANDBOX=alice python notebooks/semantic_layer_and_quarantine.py   # headless

The semantic layer answers through MetricFlow's Python API on the sandbox target
(prod's rows, read-only); the quarantine is read through the sandbox's views.
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import marimo as mo

    from dataops.consumers import notebooks
    from dataops.core.project import Project

    project = Project.discover()
    sandbox = notebooks.sandbox_name()
    return mo, notebooks, project, sandbox


@app.cell
def _(mo, notebooks, project, sandbox):
    # The question: which New York airport had the best on-time arrival rate?
    answer = notebooks.ask(
        project,
        sandbox,
        metrics=["on_time_arrival_rate", "scheduled_flights", "cancellation_rate"],
        group_by=["origin_airport"],
    ).sort_values("on_time_arrival_rate", ascending=False)
    print(answer.to_string(index=False))
    mo.vstack([mo.md("## On-time arrival rate by New York airport (MetricFlow)"), answer])
    return (answer,)


@app.cell
def _(mo, notebooks, project, sandbox):
    rules = notebooks.query(
        project,
        sandbox,
        """
        select rule_id, count(*) as quarantined_rows
        from quarantine.quarantine_flights
        group by rule_id
        order by quarantined_rows desc, rule_id
        """,
    )
    print(rules.to_string(index=False))
    mo.vstack([mo.md("## Quarantined flights by rule"), rules])
    return (rules,)


@app.cell
def _(mo, notebooks, project, rules, sandbox):
    rule = rules["rule_id"].iloc[0] if len(rules) else None
    rows = (
        notebooks.query(
            project,
            sandbox,
            "select * from quarantine.quarantine_flights where rule_id = ? limit 20",
            [rule],
        )
        if rule
        else None
    )
    mo.vstack(
        [
            mo.md(f"## The rows of rule `{rule}`" if rule else "## No quarantined flights"),
            rows if rows is not None else mo.md(""),
        ]
    )
    return


if __name__ == "__main__":
    app.run()
