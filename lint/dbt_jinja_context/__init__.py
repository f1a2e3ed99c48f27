"""Stand-ins for the parts of dbt's Jinja context that the project's SQL uses.

sqlfluff's jinja templater (the fast lint of the pre-commit hook) renders the
models without dbt. With `apply_dbt_builtins` it already stands in for `ref`,
`source`, `config`, `var`, `is_incremental`, `this` and `return`; this package,
its `library_path` in `.sqlfluff`, adds the rest:

- `dbt`: the cross-database macros, rendered as dbt-duckdb renders them;
- `adapter.dispatch`: resolved to the project's `duckdb__` (else `default__`)
  macro, as dbt does on DuckDB;
- `execute`: false, as while dbt parses the project, so a macro that queries
  the warehouse renders its parse-time placeholder instead;
- `config`: callable as in a model, and `config.get` (no value is set);
- `target`: the default target, `dev` on DuckDB.

The exact lint (CI) uses the dbt templater, which compiles with dbt itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context

execute = False


class _Target:
    """The profile's default target, as dbt's `target` shows it."""

    name = "dev"
    type = "duckdb"
    schema = "main"
    database = "dev"


class _Dbt:
    """The `dbt.` namespace of cross-database macros, as SQL text for DuckDB."""

    @staticmethod
    def type_string() -> str:
        return "text"

    @staticmethod
    def type_timestamp() -> str:
        return "timestamp"

    @staticmethod
    def type_int() -> str:
        return "integer"

    @staticmethod
    def type_bigint() -> str:
        return "bigint"

    @staticmethod
    def type_float() -> str:
        return "double"

    @staticmethod
    def type_numeric() -> str:
        return "numeric(28, 6)"

    @staticmethod
    def type_boolean() -> str:
        return "boolean"

    @staticmethod
    def safe_cast(field: str, type: str) -> str:
        return f"try_cast({field} as {type})"

    @staticmethod
    def hash(field: str) -> str:
        return f"md5(cast({field} as text))"

    @staticmethod
    def concat(fields: Sequence[str]) -> str:
        return " || ".join(fields)

    @staticmethod
    def current_timestamp() -> str:
        return "now()"

    @staticmethod
    def date_trunc(datepart: str, date: str) -> str:
        return f"date_trunc('{datepart}', {date})"

    @staticmethod
    def dateadd(datepart: str, interval: Any, from_date_or_timestamp: str) -> str:
        return f"({from_date_or_timestamp} + cast({interval} as bigint) * interval 1 {datepart})"

    @staticmethod
    def datediff(first_date: str, second_date: str, datepart: str) -> str:
        return f"date_diff('{datepart}', {first_date}, {second_date})"

    @staticmethod
    def escape_single_quotes(value: str) -> str:
        return value.replace("'", "''")

    @staticmethod
    def string_literal(value: str) -> str:
        return f"'{value}'"

    @staticmethod
    def date_spine(datepart: str, start_date: str, end_date: str) -> str:
        return (
            f"select range as date_{datepart}"
            f" from range({start_date}, {end_date}, interval 1 {datepart})"
        )


class _Adapter:
    """`adapter.dispatch`, resolved against the macros loaded from macros/."""

    @pass_context
    def dispatch(
        self, context: Context, macro_name: str, macro_namespace: str | None = None
    ) -> Callable[..., Any]:
        for prefix in ("duckdb__", "default__"):
            macro = context.get(prefix + macro_name)
            if macro is not None:
                return macro
        raise LookupError(f"no duckdb__ or default__ implementation of {macro_name}")


dbt = _Dbt()
adapter = _Adapter()
target = _Target()


class _Config:
    """dbt's `config`: a call sets the model's configuration; `get` reads none back."""

    def __call__(self, *args: Any, **kwargs: Any) -> str:
        return ""

    def get(self, name: str, default: Any = None) -> Any:
        return default


config = _Config()
