"""The one error type of the tooling: what went wrong, and what to do about it."""

from __future__ import annotations

import re


class DataOpsError(Exception):
    """An error the user can act on.

    ``reason`` says what was wrong (and where); ``hint`` says what to do next.
    The CLI prints both on one line and exits non-zero.
    """

    def __init__(self, reason: str, hint: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.reason} ({self.hint})" if self.hint else self.reason


# DuckDB's refusal to open a file another process holds (a writer, or a reader while a
# writer asks), as its message says it.
DUCKDB_LOCK_MESSAGES = ("could not set lock on file", "conflicting lock is held")
_LOCKED_FILE = re.compile(r'lock on file "([^"]+)"')
_HOLDER = re.compile(r"\(PID (\d+)\)")


def is_duckdb_lock(error: BaseException | str) -> bool:
    """Whether ``error`` is DuckDB refusing a file another process holds."""
    text = str(error).lower()
    return any(message in text for message in DUCKDB_LOCK_MESSAGES)


def warehouse_locked(
    error: BaseException | str, warehouse: object = None, then: str = "run the command again"
) -> DataOpsError:
    """What to say when DuckDB refuses the warehouse: which file, and which process holds it."""
    text = str(error)
    file = _LOCKED_FILE.search(text)
    holder = _HOLDER.search(text)
    name = warehouse if warehouse is not None else file.group(1) if file else ""
    return DataOpsError(
        f"the warehouse {name} is locked by another process"
        + (f" (PID {holder.group(1)})" if holder else ""),
        f"wait for the dbt or dataops command writing it to finish, then {then}",
    )


# C0 and C1 control characters, DEL, and the Unicode line and paragraph separators: what a
# terminal or a log reader would act on instead of showing.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def printable(text: object) -> str:
    """``text`` with every control character escaped (``\\n``, ``\\x1b``), for one output line.

    Names and messages that come from outside (a file's name, a line of its content,
    an exception's text) pass through this before they are printed or logged, so that
    a name with a newline cannot forge a log line and an escape code cannot drive the
    terminal.
    """
    return _CONTROL.sub(_escaped, str(text))


def _escaped(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape").decode("ascii")
