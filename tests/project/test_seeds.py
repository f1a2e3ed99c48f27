"""The project's seeds hold what they say: every US federal holiday of the years the
generator can produce, and a rule for every rule id the validated models can name.

``python tests/project/test_seeds.py`` writes ``seeds/us_federal_holidays.csv`` again from
pandas' ``USFederalHolidayCalendar`` (observed dates) and the days-off rule below.
"""

from __future__ import annotations

import csv
import re
from datetime import date, timedelta
from pathlib import Path

from pandas.tseries.holiday import USFederalHolidayCalendar

ROOT = Path(__file__).parents[2]
SEEDS = ROOT / "seeds"
HOLIDAYS_CSV = SEEDS / "us_federal_holidays.csv"
RULES_CSV = SEEDS / "quarantine_rules.csv"
# 2013 is the real year; a hundred years of copies is far more than dataops generate can
# write on any disk (100x, ten years, takes 15 GB).
FIRST_YEAR, LAST_YEAR = 2013, 2112
HOLIDAY_COLUMNS = ["holiday_date", "holiday_name", "period_start_date", "period_end_date"]


def days_off(observed: date, name: str) -> tuple[date, date]:
    """The days off around an observed holiday: the weekend it touches, and the bridge day
    between it and that weekend (the Monday before a Tuesday, the Friday after a
    Thursday); a Wednesday stands alone. Christmas also takes Christmas Eve."""
    before, after = {0: (2, 0), 1: (3, 0), 2: (0, 0), 3: (0, 3), 4: (0, 2)}[observed.weekday()]
    start, end = observed - timedelta(days=before), observed + timedelta(days=after)
    if name == "Christmas Day":
        start = min(start, date(observed.year, 12, 24))
    return start, end


def federal_holidays(first_year: int = FIRST_YEAR, last_year: int = LAST_YEAR) -> list[list[str]]:
    """The holidays, named with the typographic apostrophe (U+2019) as OPM writes them:
    dbt-spark's session method loads seeds without escaping straight quotes."""
    observed = USFederalHolidayCalendar().holidays(
        f"{first_year}-01-01", f"{last_year}-12-31", return_name=True
    )
    rows = []
    for stamp, name in observed.items():
        day = stamp.date()
        start, end = days_off(day, name)
        rows.append(
            [day.isoformat(), name.replace("'", "\u2019"), start.isoformat(), end.isoformat()]
        )
    return rows


def write_holidays(path: Path = HOLIDAYS_CSV) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HOLIDAY_COLUMNS)
        writer.writerows(federal_holidays())


def read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_holiday_seed_is_the_federal_calendar() -> None:
    rows = read_csv(HOLIDAYS_CSV)
    assert rows[0] == HOLIDAY_COLUMNS
    assert rows[1:] == federal_holidays()
    years = {row[0][:4] for row in rows[1:]}
    assert {str(year) for year in range(FIRST_YEAR, LAST_YEAR + 1)} <= years


def test_holiday_periods_of_2013() -> None:
    """The long weekends and bridge days around 2013's holidays, as traffic shows them."""
    periods = {row[1]: (row[2], row[3]) for row in federal_holidays(2013, 2013)}
    assert periods["Memorial Day"] == ("2013-05-25", "2013-05-27")
    assert periods["Independence Day"] == ("2013-07-04", "2013-07-07")
    assert periods["Labor Day"] == ("2013-08-31", "2013-09-02")
    assert periods["Thanksgiving Day"] == ("2013-11-28", "2013-12-01")
    assert periods["Christmas Day"] == ("2013-12-24", "2013-12-25")
    assert periods["Columbus Day"] == ("2013-10-12", "2013-10-14")


def test_every_rule_the_models_name_is_in_the_catalogue() -> None:
    """Each `then '<rule>'` of a validated model has a row in seeds/quarantine_rules.csv."""
    rules = read_csv(RULES_CSV)
    assert rules[0] == ["rule_id", "source", "severity", "reason", "source_owner_action"]
    catalogue = {row[0]: row for row in rules[1:]}
    named = {
        rule
        for model in (ROOT / "models" / "trusted").glob("int_*_validated.sql")
        for rule in re.findall(r"then '(\w+)'", model.read_text(encoding="utf-8"))
    }
    assert named and named == set(catalogue)
    for rule_id, source, severity, reason, action in catalogue.values():
        assert rule_id.startswith(f"{source}_"), rule_id
        assert "'" not in reason + action, rule_id  # dbt-spark seeds do not escape quotes
        assert severity in {"error", "warn", "info"}, rule_id
        assert reason and action, rule_id


if __name__ == "__main__":
    write_holidays()
