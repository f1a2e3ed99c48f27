"""The limits of an anomaly band (macros/measures/anomaly_band_limit.sql), for any input.

The anomaly tests (volume_anomaly, column_anomalies, freshness_anomaly) flag a value outside
the band ``expected`` plus or minus ``margin``; the band must stay inside the values the
metric can take (no rate band below 0 or above 1) and a count's band is whole numbers,
rounded outward (a count of 64 is not flagged against 64.51 to 78.85). The macro is
rendered with Jinja and its SQL evaluated by DuckDB.
"""

from __future__ import annotations

import functools
import math

import duckdb
import jinja2
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT

MACRO = ROOT / "macros" / "measures" / "anomaly_band_limit.sql"
FINITE = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
MARGIN = st.floats(min_value=0, max_value=1e6, allow_nan=False)
# One DuckDB query an example: cheap, so many more examples than the profile's default.
MANY = settings(max_examples=100)


@functools.cache
def _limit_macro():
    return jinja2.Environment().from_string(MACRO.read_text(encoding="utf-8")).module


def band(
    expected: float, margin: float, lower: float | None, upper: float | None, integer: bool
) -> tuple[float, float]:
    macro = _limit_macro().anomaly_band_limit

    def literal(value: float | None) -> str:
        return "cast(null as double)" if value is None else f"cast({value!r} as double)"

    args = (
        literal(expected),
        literal(margin),
        literal(lower),
        literal(upper),
        "true" if integer else "false",
    )
    sql = f"select {macro('lower', *args)}, {macro('upper', *args)}"
    return duckdb.sql(sql).fetchall()[0]


@st.composite
def domains(draw) -> tuple[float | None, float | None]:
    lower = draw(st.none() | FINITE)
    upper = draw(st.none() | FINITE)
    if lower is not None and upper is not None and lower > upper:
        lower, upper = upper, lower
    return lower, upper


@MANY
@given(expected=FINITE, margin=MARGIN, domain=domains(), integer=st.booleans())
def test_band_stays_in_the_domain_and_rounds_counts_outward(
    expected: float, margin: float, domain: tuple[float | None, float | None], integer: bool
) -> None:
    lower_limit, upper_limit = domain
    # the expected value is a mean of values the metric took: inside its domain
    assume(lower_limit is None or expected >= lower_limit)
    assume(upper_limit is None or expected <= upper_limit)
    lower, upper = band(expected, margin, lower_limit, upper_limit, integer)
    raw_lower, raw_upper = expected - margin, expected + margin
    assert lower <= expected <= upper or (integer and lower <= upper)
    if lower_limit is not None:
        assert lower >= lower_limit
    if upper_limit is not None:
        assert upper <= upper_limit
    floor_limit = raw_lower if lower_limit is None else max(raw_lower, lower_limit)
    ceiling_limit = raw_upper if upper_limit is None else min(raw_upper, upper_limit)
    if integer:
        # whole numbers, widened by less than one, unless a limit of the domain cuts them
        if lower_limit is None or lower_limit <= math.floor(raw_lower):
            assert lower == math.floor(raw_lower)
        if upper_limit is None or upper_limit >= math.ceil(raw_upper):
            assert upper == math.ceil(raw_upper)
        assert lower >= floor_limit - 1 and upper <= ceiling_limit + 1
    else:
        assert math.isclose(lower, floor_limit, rel_tol=1e-12, abs_tol=1e-9)
        assert math.isclose(upper, ceiling_limit, rel_tol=1e-12, abs_tol=1e-9)
    # nothing the raw band holds is flagged
    assert lower <= floor_limit + 1e-9 and upper >= ceiling_limit - 1e-9


@MANY
@given(
    share=st.floats(min_value=0, max_value=1),
    margin=MARGIN,
)
def test_a_rate_band_is_never_below_0_nor_above_1(share: float, margin: float) -> None:
    lower, upper = band(share, margin, 0.0, 1.0, False)
    assert 0.0 <= lower <= share <= upper <= 1.0


@MANY
@given(
    count=st.integers(min_value=0, max_value=10**6),
    expected=st.floats(min_value=0, max_value=1e6),
    margin=MARGIN,
)
def test_a_count_inside_the_band_widened_to_whole_numbers_is_not_flagged(
    count: int, expected: float, margin: float
) -> None:
    lower, upper = band(expected, margin, 0.0, None, True)
    assert lower >= 0 and lower == int(lower) and upper == int(upper)
    if expected - margin - 1 < count < expected + margin + 1:
        assert lower <= count <= upper
    if count < expected - margin - 1 or count > expected + margin + 1:
        assert not lower <= count <= upper
