"""The on-time performance dashboard (exposure ``on_time_performance_dashboard``).

A marimo app over prod's performance marts, read-only: ``dataops dashboard`` (or
``make dashboard``) serves it on http://127.0.0.1:2718/ with prod's observability
report at /report. The data is copied into memory when the app starts and when
"Reload" finds a newer publish (``dataops.consumers.dashboard``): the app never
holds prod open, so it never blocks a publish.
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="full", app_title="On-time performance")


@app.cell
def _():
    import marimo as mo
    import plotly.express as px

    from dataops.consumers import dashboard
    from dataops.core.errors import DataOpsError
    from dataops.core.project import Project

    return DataOpsError, Project, dashboard, mo, px


@app.cell
def _(Project, dashboard):
    reader = dashboard.Reader(Project.discover(), dashboard.environment_target())
    return (reader,)


@app.cell
def _(mo):
    reload = mo.ui.button(label="Reload", value=0, on_click=lambda count: count + 1, kind="neutral")
    return (reload,)


@app.cell
def _(DataOpsError, mo, reader, reload):
    reload.value  # noqa: B018 (a click reads prod again when it changed)
    _missing = None
    try:
        snapshot = reader.current()
    except DataOpsError as error:
        snapshot = None
        _missing = mo.vstack(
            [
                mo.md("# On-time performance"),
                mo.callout(
                    mo.md(
                        f'<span id="no-data">**No data to show.** {error.reason}.</span>'
                        f"\n\nWhat to do: {error.hint}, then press Reload."
                    ),
                    kind="warn",
                ),
                reload,
            ]
        )
    mo.stop(snapshot is None, _missing)
    return (snapshot,)


@app.cell
def _(dashboard, mo, reader, reload, snapshot):
    _kept = (
        mo.callout(mo.md(f"Showing the data read earlier: {reader.problem.reason}."), kind="warn")
        if reader.problem
        else mo.md("")
    )
    mo.vstack(
        [
            mo.md("# On-time performance of the New York departures"),
            mo.hstack(
                [
                    mo.md(
                        f'<span id="stamp">{dashboard.stamp(snapshot)}</span>'
                        ' · <a href="/report" target="_blank" id="report-link">'
                        "observability report</a>"
                    ),
                    reload,
                ],
                justify="space-between",
            ),
            _kept,
        ]
    )
    return


@app.cell
def _(mo, snapshot):
    _names = snapshot.airline_names()
    airline_choice = mo.ui.multiselect(
        options={f"{code} {name}": code for code, name in _names.items()},
        label="Airlines",
    )
    airport_choice = mo.ui.multiselect(options=snapshot.airports(), label="New York airports")
    period_choice = mo.ui.date_range(
        start=snapshot.data_from,
        stop=snapshot.data_through,
        value=(snapshot.data_from, snapshot.data_through),
        label="Period",
    )
    mo.hstack([airline_choice, airport_choice, period_choice], justify="start", gap=2)
    return airline_choice, airport_choice, period_choice


@app.cell
def _(airline_choice, airport_choice, dashboard, period_choice):
    filters = dashboard.Filters(
        airlines=tuple(airline_choice.value),
        airports=tuple(airport_choice.value),
        start=period_choice.value[0],
        end=period_choice.value[1],
    )
    return (filters,)


@app.cell
def _(mo):
    def chart(figure, height=360):
        """A plotly figure in a frame that loads plotly.js from this server (marimo's own
        plotly output fetches MathJax from a CDN; the dashboard stays offline)."""
        html = figure.to_html(
            full_html=True,
            include_plotlyjs="/static/plotly.min.js",
            config={"displaylogo": False},
        )
        return mo.iframe(html, height=f"{height + 20}px")

    return (chart,)


@app.function
def percent(value):
    return "n/a" if value is None else f"{value:.1%}"


@app.function
def minutes(value):
    return "n/a" if value is None else f"{value:.1f} min"


@app.cell
def _(dashboard, filters, mo, snapshot):
    airport_days = dashboard.by_airport_day(snapshot, filters)
    _total = dashboard.totals(airport_days)
    mo.vstack(
        [
            mo.md("## The period at a glance (New York airports and period chosen)"),
            mo.hstack(
                [
                    mo.stat(f"{_total['scheduled_flights']:,}", label="Flights scheduled"),
                    mo.stat(percent(_total["on_time_arrival_rate"]), label="On-time arrivals"),
                    mo.stat(percent(_total["cancellation_rate"]), label="Cancelled"),
                    mo.stat(
                        minutes(_total["average_arrival_delay_minutes"]),
                        label="Average arrival delay",
                    ),
                    mo.stat(
                        minutes(_total["average_departure_delay_minutes"]),
                        label="Average departure delay",
                    ),
                ],
                justify="start",
                gap=2,
            ),
            mo.md(
                f'<span id="headline">{_total["scheduled_flights"]:,} flights scheduled,'
                f" {percent(_total['on_time_arrival_rate'])} on time,"
                f" {percent(_total['cancellation_rate'])} cancelled</span>"
            ),
        ]
    )
    return (airport_days,)


@app.cell
def _(chart, dashboard, filters, mo, px, snapshot):
    airline_months = dashboard.by_airline_month(snapshot, filters)
    _chart = px.bar(
        airline_months,
        x="airline_id",
        y="on_time_arrival_rate",
        color="month_start_date" if airline_months["month_start_date"].nunique() > 1 else None,
        barmode="group",
        hover_data=["airline_name", "scheduled_flights", "cancellation_rate"],
        labels={"airline_id": "Airline", "on_time_arrival_rate": "On-time arrival rate"},
        height=360,
    )
    _chart.update_yaxes(tickformat=".0%")
    mo.vstack(
        [
            mo.md(
                "## Punctuality and cancellations by airline and month\n"
                "Filters: airlines and period (months); every New York airport."
            ),
            chart(_chart),
            mo.ui.table(
                airline_months,
                selection=None,
                page_size=12,
                label="mart_performance__airlines",
            ),
        ]
    )
    return (airline_months,)


@app.cell
def _(dashboard, filters, mo, snapshot):
    routes = dashboard.by_route(snapshot, filters)
    mo.vstack(
        [
            mo.md(
                "## By route and month\n"
                "Filters: New York airports (origin) and period (months); every airline."
            ),
            mo.ui.table(routes, selection=None, page_size=10, label="mart_performance__routes"),
        ]
    )
    return (routes,)


@app.cell
def _(airport_days, chart, mo, px):
    _chart = px.line(
        airport_days,
        x="flight_date",
        y="on_time_arrival_rate",
        color="origin_airport_id",
        markers=True,
        labels={
            "flight_date": "Day",
            "on_time_arrival_rate": "On-time arrival rate",
            "origin_airport_id": "Airport",
        },
        height=320,
    )
    _chart.update_yaxes(tickformat=".0%")
    _cancelled = px.bar(
        airport_days,
        x="flight_date",
        y="cancelled_flights",
        color="origin_airport_id",
        labels={"flight_date": "Day", "cancelled_flights": "Cancelled flights"},
        height=260,
    )
    mo.vstack(
        [
            mo.md(
                "## By New York airport and day\n"
                "Filters: New York airports and period; every airline."
            ),
            chart(_chart, 320),
            chart(_cancelled, 260),
            mo.ui.table(
                airport_days,
                selection=None,
                page_size=10,
                label="mart_performance__airports",
            ),
        ]
    )
    return


@app.cell
def _(airport_days, chart, dashboard, mo, px):
    distribution = dashboard.delay_distribution(airport_days)
    _chart = px.bar(
        distribution,
        x="band_start_minutes",
        y="airport_days",
        hover_data=["scheduled_flights"],
        labels={
            "band_start_minutes": (
                f"Average arrival delay of the day, minutes ({dashboard.DELAY_BAND_MINUTES}"
                "-minute bands)"
            ),
            "airport_days": "Airport-days",
        },
        height=300,
    )
    mo.vstack(
        [
            mo.md(
                "## Distribution of delays\n"
                "How many airport-days had each average arrival delay"
                " (New York airports and period chosen)."
            ),
            chart(_chart, 300),
        ]
    )
    return


if __name__ == "__main__":
    app.run()
