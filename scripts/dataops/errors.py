"""The one error type of the tooling: what went wrong, and what to do about it."""

from __future__ import annotations


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
